// Lifecycle, client side: labels, bad input, readiness (owned port, URL, wait
// --ready), follow, prune and --rm, stats, up/down from bgterm.toml. Real
// programs throughout: python3's http.server for the HTTP parts.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Bg, BIN, eventually } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

// A port unlikely to be in use (each test file its own range).
function freePort(): number {
  return 21000 + Math.floor(Math.random() * 9000);
}

async function httpStatus(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

const server = (port: number) => ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1"];

describe("labels", () => {
  test("start -l is recorded; ls --label and close --label select with AND", async () => {
    const a = await bg.start(["-l", "app=shop", "-l", "tier=web", "sleep", "60"]);
    const b = await bg.start(["-l", "app=shop", "-l", "tier=db", "sleep", "60"]);
    const c = await bg.start(["--label=app=blog", "sleep", "60"]);
    expect((await bg.json(["info", a])).labels).toEqual({ app: "shop", tier: "web" });
    const ids = async (...labels: string[]) =>
      (await bg.json(["ls", ...labels.flatMap((l) => ["--label", l])])).map((r: { id: number }) => r.id);
    expect(await ids("app=shop")).toEqual([Number(a), Number(b)]);
    expect(await ids("app=shop", "tier=db")).toEqual([Number(b)]);
    expect(await ids("app=none")).toEqual([]);
    expect(await bg.json(["close", "--label", "app=shop", "--label", "tier=web"])).toEqual({ closed: [Number(a)] });
    expect(await ids()).toEqual([Number(b), Number(c)]);
    await bg.ok(["close", "-l", "app=shop"]);
    expect(await ids()).toEqual([Number(c)]);
    await bg.ok(["close", c]);
  });
});

describe("bad input: exit 2, nothing started", () => {
  test("labels, durations, restart policies, URLs and option clashes", async () => {
    const cases: [string[], RegExp][] = [
      [["-l", "bad key=1"], /invalid label key/],
      [["-l", "novalue"], /takes KEY=VALUE/],
      [["-l", `k=${"x".repeat(257)}`], /at most 256 bytes/],
      [["-l", "k=a\tb"], /printable/],
      [["-l", `${"k".repeat(65)}=1`], /invalid label key/],
      [["--max-runtime", "5x"], /--max-runtime takes a whole number of milliseconds or a duration/],
      [["--ttl", "-1s"], /--ttl takes a whole number of milliseconds or a duration/],
      [["--ttl", "0"], /--ttl must be more than 0/],
      [["--max-runtime", "0s"], /--max-runtime must be more than 0/],
      [["--ready-timeout", "1y", "--ready", "x"], /--ready-timeout takes a whole number of milliseconds or a duration/],
      [["--restart", "sometimes"], /--restart takes one of no, on-failure, always/],
      [["--backoff"], /--backoff needs --restart/],
      [["--restart", "always", "--max-restarts", "-3"], /--max-restarts takes a whole number/],
      [["--ready-url", "ftp://example.com/"], /--ready-url takes an http/],
      [["--ready-url", "localhost:80"], /--ready-url takes an http/],
      [["--health-url", "file:///etc/passwd"], /--health-url takes an http/],
      [["--health-interval", "5s"], /--health-interval needs --health-url/],
      [["--ready-port", "80", "--ready-url", "http://127.0.0.1/"], /only one of/],
    ];
    for (const [options, message] of cases) {
      const result = await bg.run(["start", ...options, "sleep", "60"]);
      expect({ options, code: result.code }).toEqual({ options, code: 2 });
      expect(result.stderr).toMatch(message);
    }
    for (const options of [
      ["ls", "--label", "=x"],
      ["close", "--label", "a b=c"],
      ["prune", "--older-than", "soon"],
    ]) {
      expect((await bg.run(options)).code).toBe(2);
    }
    expect(await bg.json(["ls"])).toEqual([]);
  });
});

describe("readiness", () => {
  test("--ready-port counts only a listener owned by the session: a second server on a taken port is not ready", async () => {
    const port = freePort();
    const first = await bg.start(["--ready-port", String(port), "--ready-timeout", "20s", ...server(port)]);
    const second = await bg.run(["start", "--ready-port", String(port), "--ready-timeout", "20s", ...server(port)]);
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(/Address already in use/);
    expect(second.stderr).toMatch(/exited \(code 1\) before it was ready/);
    // Someone else's listener: a session that never listens is not ready either.
    const bystander = await bg.run(["start", "--ready-port", String(port), "--ready-timeout", "600ms", "sleep", "60"]);
    expect(bystander.code).toBe(124);
    await bg.ok(["close", "--all"]);
    expect(first).toMatch(/^\d+$/);
  });

  test("--ready-url waits for a 2xx answer; --no-wait and wait --ready", async () => {
    const port = freePort();
    const url = `http://127.0.0.1:${port}/`;
    await bg.start(["--ready-url", url, "--ready-timeout", "20s", ...server(port)]);
    expect(await httpStatus(url)).toBe(200);
    // Started without waiting: the server comes up a second later.
    const port2 = freePort();
    const late = await bg.start([
      "--no-wait",
      "--ready-url",
      `http://127.0.0.1:${port2}/`,
      "--",
      "sh",
      "-c",
      `sleep 1; exec python3 -m http.server ${port2} --bind 127.0.0.1`,
    ]);
    expect(await httpStatus(`http://127.0.0.1:${port2}/`)).toBe(0);
    expect(await bg.json(["wait", "--ready", late, "--timeout", "20s"])).toEqual({ id: Number(late), ready: true });
    expect(await httpStatus(`http://127.0.0.1:${port2}/`)).toBe(200);
    const none = await bg.run(["wait", "--ready", await bg.start(["sleep", "60"])]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/has no readiness check/);
    // A URL that never answers 2xx: timeout, the session keeps running.
    const missing = await bg.run([
      "start",
      "--ready-url",
      `${url}no-such-page`,
      "--ready-timeout",
      "800ms",
      "sleep",
      "60",
    ]);
    expect(missing.code).toBe(124);
    await bg.ok(["close", "--all"]);
  });
});

describe("readiness of a program that ends at once", () => {
  test("its output matched (or its file appeared) before it exited: ready, exit 0; otherwise exit 4", async () => {
    // Gone before the client could connect: what it left behind says whether it was ready.
    const quick = await bg.run(["start", "--ready", "^up$", "sh", "-c", "echo up"]);
    expect({ code: quick.code, stderr: quick.stderr }).toEqual({ code: 0, stderr: "" });
    const never = await bg.run(["start", "--ready", "^down$", "sh", "-c", "echo up"]);
    expect(never.code).toBe(4);
    expect(never.stderr).toMatch(/exited \(code 0\) before it was ready/);
    const later = await bg.start(["--no-wait", "--ready", "^up$", "sh", "-c", "echo up"]);
    await eventually(async () => (await bg.json(["info", later])).state === "exited", "the program to exit");
    expect(await bg.json(["wait", "--ready", later, "--timeout", "20s"])).toEqual({ id: Number(later), ready: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-flag-"));
    const flagged = await bg.run(["start", "-C", dir, "--ready-file", "flag", "sh", "-c", "touch flag"]);
    expect(flagged.code).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
    await bg.ok(["close", "--all"]);
  });
});

describe("follow", () => {
  test("streams until the program exits, then exits with its code; --tail; several sessions prefixed", async () => {
    const id = await bg.start(["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.2; done; exit 3"]);
    const result = await bg.run(["follow", id, "--plain"]);
    expect(result.code).toBe(3);
    expect(result.text).toBe("line 1\nline 2\nline 3\n");
    // Followed from the cursor: nothing is left unread.
    expect(await bg.ok(["read", id])).toBe("");
    expect((await bg.run(["follow", id, "--tail", "2", "--plain"])).text).toBe("line 2\nline 3\n");
    expect((await bg.run(["follow", id, "--from", "8", "--plain"])).text).toBe("line 2\nline 3\n");
    const web = await bg.start(["-n", "web", "sh", "-c", "echo one; sleep 0.3; echo two"]);
    const api = await bg.start(["-n", "api", "sh", "-c", "sleep 0.1; echo three; exit 5"]);
    const both = await bg.run(["follow", "web", "api", "--plain"]);
    expect(both.code).toBe(5);
    expect(both.text.split("\n").filter(Boolean).sort()).toEqual(["api | three", "web | one", "web | two"]);
    const json = await bg.run(["follow", id, "--tail", "1", "--json"]);
    expect(
      json.text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { id: Number(id), name: null, text: "line 3\r\n" },
      { id: Number(id), exit_code: 3 },
    ]);
    await bg.ok(["close", id, web, api]);
  });

  test("a closed pipe ends follow quietly; the next read starts at what it had not written", async () => {
    const id = await bg.start(["sh", "-c", "i=0; while [ $i -lt 60 ]; do i=$((i+1)); echo n$i; sleep 0.02; done"]);
    const piped = Bun.spawn(["bash", "-c", `"${BIN}" follow ${id} --plain | head -n 2; exit "\${PIPESTATUS[0]}"`], {
      env: bg.env(),
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err] = await Promise.all([new Response(piped.stdout).text(), new Response(piped.stderr).text()]);
    expect(await piped.exited).toBe(141);
    expect(out).toBe("n1\nn2\n");
    expect(err).toBe("");
    await bg.ok(["wait", id]);
    const rest = (await bg.ok(["read", id, "--plain"])).split("\n").filter(Boolean);
    // What follow had not written is still unread: a contiguous run up to the end.
    expect(rest.at(-1)).toBe("n60");
    const first = Number(rest[0]!.slice(1));
    expect(rest).toEqual(Array.from({ length: 61 - first }, (_, i) => `n${first + i}`));
    await bg.ok(["close", id]);
  });

  test("a follower stopped by Ctrl-C loses nothing: the next read starts where printing stopped", async () => {
    const id = await bg.start(["sh", "-c", "i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo n$i; sleep 0.05; done"]);
    const child = Bun.spawn([BIN, "follow", id, "--plain"], { env: bg.env(), stdout: "pipe" });
    const reader = child.stdout.getReader();
    let printed = "";
    while (!printed.includes("n5\n")) printed += new TextDecoder().decode((await reader.read()).value);
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      printed += new TextDecoder().decode(value);
    }
    await child.exited;
    await bg.ok(["wait", id]);
    const rest = (await bg.ok(["read", id, "--plain"])).split("\n").filter(Boolean);
    const seen = new Set([...printed.split("\n").filter(Boolean), ...rest]);
    for (let i = 1; i <= 40; i++) expect(seen.has(`n${i}`)).toBe(true);
    await bg.ok(["close", id]);
  });
});

describe("prune and --rm", () => {
  test("prune removes exited and lost sessions (with --label, --older-than); --rm goes once wait collected the exit", async () => {
    const done1 = await bg.start(["-l", "job=a", "true"]);
    const done2 = await bg.start(["-l", "job=b", "sh", "-c", "exit 4"]);
    const live = await bg.start(["-l", "job=a", "sleep", "60"]);
    await bg.run(["wait", done1]);
    await bg.run(["wait", done2]);
    expect(await bg.json(["prune", "--older-than", "1h"])).toEqual({ removed: [] });
    expect(await bg.json(["prune", "--label", "job=a"])).toEqual({
      removed: [{ id: Number(done1), name: null, state: "exited", exit_code: 0 }],
    });
    // A lost session (its supervisor killed) is pruned too.
    const lost = await bg.start(["-l", "job=c", "sleep", "600"]);
    const lostRecord = await bg.json(["info", lost]);
    process.kill(lostRecord.supervisor_pid, "SIGKILL");
    await eventually(async () => (await bg.json(["info", lost])).state === "lost", "the session to be lost");
    expect(await bg.json(["prune", "-l", "job=c"])).toEqual({
      removed: [{ id: Number(lost), name: null, state: "lost", exit_code: null }],
    });
    expect((await bg.ok(["prune"])).trim()).toBe(`${done2}\t-\texited\t4`);
    expect((await bg.json(["ls"])).map((r: { id: number }) => r.id)).toEqual([Number(live)]);
    const rm = await bg.start(["--rm", "sh", "-c", "echo bye; exit 6"]);
    expect((await bg.run(["wait", rm])).code).toBe(6);
    expect((await bg.run(["info", rm])).code).toBe(3);
    expect(fs.existsSync(path.join(bg.stateDir, "sessions", rm))).toBe(false);
    await bg.ok(["close", live]);
  });
});

describe("stats", () => {
  test("info and ls give CPU and RSS of the session's processes; ls --stats adds columns", async () => {
    const busy = await bg.start(["sh", "-c", "sleep 60 & while :; do :; done"]);
    const idle = await bg.start(["sleep", "60"]);
    await eventually(async () => (await bg.json(["info", busy])).cpu_percent > 5, "the busy loop to show CPU use");
    const records = await bg.json(["ls"]);
    const busyRecord = records.find((r: { id: number }) => r.id === Number(busy));
    expect(busyRecord.rss_bytes).toBeGreaterThan(100_000);
    expect(busyRecord.cpu_seconds).toBeGreaterThan(0);
    expect(records.find((r: { id: number }) => r.id === Number(idle)).cpu_percent).toBeLessThan(5);
    const table = (await bg.ok(["ls", "--stats"])).trim().split("\n");
    const row = table.find((line) => line.startsWith(`${busy}\t`))!.split("\t");
    expect(row).toHaveLength(10);
    expect(Number(row[7])).toBeGreaterThan(5);
    await bg.ok(["close", busy, idle]);
    expect((await bg.json(["ls"])).length).toBe(0);
  });
});

describe("up and down", () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-proj-"));
  fs.mkdirSync(path.join(project, ".git"));
  fs.mkdirSync(path.join(project, "sub", "deeper"), { recursive: true });
  const port = freePort();
  const example = `# a web server, a worker that needs it, and a test watcher
[sessions.web]
command = "python3 -m http.server ${port} --bind 127.0.0.1"
ready_url = "http://127.0.0.1:${port}/"

[sessions.worker]
command = ["sh", "-c", "echo worker up; while true; do sleep 1; done"]
after = ["web"]
ready = "worker up"
restart = "on-failure"
labels = { role = "worker" }

[sessions.tests]
command = "echo watching; sleep 600"
after = ["worker"]
cwd = "sub"
env = { MODE = "watch" }
`;
  const run = (args: string[], cwd = project) => bg.run(args, { cwd });
  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  test("up starts in dependency order, reuses what runs; down closes; found from a subdirectory", async () => {
    fs.writeFileSync(path.join(project, "bgterm.toml"), example);
    const up = await run(["up", "--json"], path.join(project, "sub", "deeper"));
    expect(up.code).toBe(0);
    const rows = JSON.parse(up.text).sessions;
    expect(rows.map((r: { name: string }) => r.name)).toEqual(["web", "worker", "tests"]);
    expect(rows.map((r: { action: string }) => r.action)).toEqual(["started", "started", "started"]);
    expect(rows[0].ready_by).toBe(`url http://127.0.0.1:${port}/`);
    expect(await httpStatus(`http://127.0.0.1:${port}/`)).toBe(200);
    const tests = await bg.json(["info", "tests"]);
    expect(tests.labels).toEqual({ project });
    expect(tests.cwd).toBe(path.join(project, "sub"));
    expect((await bg.json(["info", "worker"])).labels).toEqual({ role: "worker", project });
    // Again: everything is reused, nothing new starts.
    const again = JSON.parse((await run(["up", "--json"])).text).sessions;
    expect(again.map((r: { id: number }) => r.id)).toEqual(rows.map((r: { id: number }) => r.id));
    expect(again.map((r: { action: string }) => r.action)).toEqual(["reused", "reused", "reused"]);
    const table = await run(["up"]);
    expect(table.text).toMatch(/^web\t\d+\trunning \(reused\)\turl http/m);
    expect(await bg.json(["down", "tests"], { cwd: project })).toMatchObject({ closed: [rows[2].id] });
    expect((await bg.json(["ls", "--label", `project=${project}`])).length).toBe(2);
    // up NAME starts it and what it needs (reused here).
    const one = JSON.parse((await run(["up", "tests", "--json"])).text).sessions;
    expect(one.map((r: { name: string; action: string }) => `${r.name}:${r.action}`)).toEqual([
      "web:reused",
      "worker:reused",
      "tests:started",
    ]);
    expect((await run(["down"])).code).toBe(0);
    expect(await bg.json(["ls"])).toEqual([]);
  });

  test("the README's example (web server, worker, test watcher) comes up and goes down", async () => {
    const readme = fs.readFileSync(path.join(import.meta.dir, "..", "..", "README.md"), "utf8");
    const block = /```toml\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("## Lifecycle")))![1]!;
    const readmePort = freePort();
    fs.writeFileSync(path.join(project, "bgterm.toml"), block.replaceAll("8000", String(readmePort)));
    const up = await run(["up", "--json"]);
    expect(up.stderr).toBe("");
    const rows = JSON.parse(up.text).sessions;
    expect(rows.map((r: { name: string; state: string }) => `${r.name}:${r.state}`)).toEqual([
      "web:running",
      "worker:running",
      "tests:running",
    ]);
    expect(await httpStatus(`http://127.0.0.1:${readmePort}/`)).toBe(200);
    expect(await bg.ok(["read", "worker", "--plain"])).toMatch(/job done/);
    expect((await bg.json(["info", "worker"])).labels).toEqual({ role: "worker", project });
    expect((await run(["down", "--json"])).code).toBe(0);
    expect(await bg.json(["ls"])).toEqual([]);
  });

  test("a session not ready in time: up stops there with 124 and names it; what comes after does not start", async () => {
    fs.writeFileSync(
      path.join(project, "bgterm.toml"),
      '[sessions.slow]\ncommand = "sleep 60"\nready = "never printed"\nready_timeout = "500ms"\n' +
        '[sessions.next]\ncommand = "sleep 60"\nafter = ["slow"]\n',
    );
    const up = await run(["up"]);
    expect(up.code).toBe(124);
    expect(up.stderr).toMatch(
      /^bgterm: sessions\.slow: session \d+ was not ready after 500 ms \(it is still running\)$/m,
    );
    expect((await bg.json(["ls"])).map((r: { name: string }) => r.name)).toEqual(["slow"]);
    expect((await run(["down"])).code).toBe(0);
    expect(await bg.json(["ls"])).toEqual([]);
  });

  test("bad files: syntax errors with line and column, unknown keys named, cycles, unknown names; nothing starts", async () => {
    const cases: [string, RegExp][] = [
      ['[sessions.a]\ncommand = "sleep 1"\nafter = ["b"\n', /bgterm\.toml:3:\d+: .*]/],
      ['[sessions.a]\ncommand = "sleep 1"\ncomand = "x"\n', /bgterm\.toml:3: unknown key 'comand' in \[sessions\.a\]/],
      ['[web]\ncommand = "sleep 1"\n', /unknown key 'web'/],
      [
        '[sessions.a]\ncommand = "sleep 1"\nafter = ["b"]\n[sessions.b]\ncommand = "sleep 1"\nafter = ["a"]\n',
        /dependency cycle: a -> b -> a/,
      ],
      ['[sessions.a]\ncommand = "sleep 1"\nafter = ["nope"]\n', /names 'nope', which is not declared/],
      [
        '[sessions.a]\ncommand = "sleep 1"\nttl = "5 min"\n',
        /sessions\.a\.ttl takes a whole number of milliseconds or a duration/,
      ],
      [
        '[sessions.a]\ncommand = "sleep 1"\nhealth_cmd = "true"\nhealth_start_period = "soon"\n',
        /sessions\.a\.health_start_period takes a whole number of milliseconds or a duration/,
      ],
      ['[sessions.a]\ncommand = "sleep 1"\nttl = "0s"\n', /sessions\.a\.ttl must be more than 0/],
      ['[sessions.a]\ncommand = "sleep 1"\nrestart = "maybe"\n', /sessions\.a\.restart takes one of no, on-failure/],
      ['[sessions.a]\ncommand = "sleep 1"\nready_url = "ftp://x"\n', /ready_url takes an http/],
      ['[sessions.a]\ncwd = "."\n', /sessions\.a\.command is required/],
    ];
    for (const [text, message] of cases) {
      fs.writeFileSync(path.join(project, "bgterm.toml"), text);
      const result = await run(["up"]);
      expect({ text, code: result.code }).toEqual({ text, code: 2 });
      expect(result.stderr).toMatch(message);
    }
    // A program that is not there: start's exit code, and which session says so.
    fs.writeFileSync(
      path.join(project, "bgterm.toml"),
      '[sessions.a]\ncommand = "sleep 60"\n[sessions.b]\ncommand = ["no-such-program-x", "1"]\n',
    );
    const absent = await run(["up"]);
    expect(absent.code).toBe(127);
    expect(absent.stderr).toMatch(/bgterm\.toml: sessions\.b\.command: command not found: no-such-program-x/);
    fs.writeFileSync(path.join(project, "bgterm.toml"), example);
    const unknown = await run(["up", "nosuch"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no session named 'nosuch'/);
    // -f is relative to the current directory.
    fs.writeFileSync(path.join(project, "sub", "other.toml"), '[sessions.x]\ncommand = "sleep 1"\nrows = "many"\n');
    const other = await run(["up", "-f", "other.toml"], path.join(project, "sub"));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/sessions\.x\.rows takes a whole number/);
    expect((await run(["up", "-f", "nope.toml"])).stderr).toMatch(/cannot read .*nope\.toml: ENOENT/);
    fs.rmSync(path.join(project, "bgterm.toml"));
    const missing = await run(["up"], path.join(project, "sub"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no bgterm\.toml/);
    expect(await bg.json(["ls"])).toEqual([]);
  });

  test("a project directory path longer than a label value still comes up and down", async () => {
    let dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-long-"));
    const top = dir;
    fs.mkdirSync(path.join(dir, ".git"));
    while (Buffer.byteLength(dir) <= 300) dir = path.join(dir, "a-rather-long-directory-name-segment");
    fs.mkdirSync(dir, { recursive: true });
    try {
      fs.writeFileSync(path.join(dir, "bgterm.toml"), '[sessions.longp]\ncommand = "sleep 600"\n');
      const upped = await run(["up", "--json"], dir);
      expect({ code: upped.code, stderr: upped.stderr }).toEqual({ code: 0, stderr: "" });
      const label = (await bg.json(["info", "longp"])).labels.project as string;
      expect(Buffer.byteLength(label)).toBeLessThanOrEqual(256);
      expect(label).toMatch(/^\u2026.*a-rather-long-directory-name-segment#[0-9a-f]{12}$/);
      // Reused, not started twice: up finds it by the shortened label.
      expect(JSON.parse((await run(["up", "--json"], dir)).text).sessions[0].action).toBe("reused");
      expect((await bg.json(["down"], { cwd: dir })).closed).toHaveLength(1);
      expect(await bg.json(["ls"])).toEqual([]);
    } finally {
      fs.rmSync(top, { recursive: true, force: true });
    }
  });
});
