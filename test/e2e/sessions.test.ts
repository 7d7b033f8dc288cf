// Session lifecycle: ids and names, bad arguments, start failures, ls/info,
// close and containment, surviving the starting shell, and the exit codes.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Bg, eventually, processAlive } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

describe("ids and names", () => {
  test("ids are small integers, allocated atomically and never reused", async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => bg.start(["cat"])));
    const numbers = ids.map(Number).sort((a, b) => a - b);
    expect(new Set(numbers).size).toBe(8);
    await bg.ok(["close", ...ids]);
    const next = Number(await bg.start(["cat"]));
    expect(next).toBeGreaterThan(Math.max(...numbers));
    await bg.ok(["close", String(next)]);
  });

  test("a name is a second handle; a live clash is a usage error; an exited holder gives it up", async () => {
    const id = await bg.start(["-n", "web.api_1", "cat"]);
    expect((await bg.json(["info", "web.api_1"])).id).toBe(Number(id));
    const clash = await bg.run(["start", "--name", "web.api_1", "cat"]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toBe(
      `bgterm: the name 'web.api_1' is already used by running session ${id} (use --reuse or --replace)\n`,
    );
    const ended = await bg.start(["-n", "job", "true"]);
    await bg.ok(["wait", ended]);
    const second = await bg.start(["-n", "job", "cat"]);
    expect((await bg.json(["info", "job"])).id).toBe(Number(second));
    expect((await bg.json(["info", ended])).name).toBeNull();
    await bg.ok(["close", id, ended, second]);
    expect((await bg.run(["info", "job"])).code).toBe(3);
  });

  test("bad names and session arguments are rejected before any path is built", async () => {
    for (const bad of ["12345", "a/b", "..", "bad name", "x".repeat(65), "né"]) {
      const result = await bg.run(["start", "-n", bad, "cat"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toStartWith("bgterm: invalid session name");
    }
    for (const bad of ["../etc", "/abs/path", "1/../2", "", "a\nb", "99999999999999999999"]) {
      const result = await bg.run(["info", bad]);
      expect(result.code).toBe(2);
      expect(result.stderr).toStartWith("bgterm: invalid session id");
    }
    const missing = await bg.run(["poll", "424242"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe("bgterm: no session with id 424242\n");
    expect((await bg.run(["send", "nosuchname", "x"])).code).toBe(3);
    expect(fs.readdirSync(path.join(bg.stateDir, "sessions")).every((e) => /^\d+$/.test(e))).toBe(true);
  });
});

describe("start", () => {
  test("start failures are synchronous, with 127/126/2, and leave no session", async () => {
    const before = await bg.json(["ls"]);
    const notFound = await bg.run(["start", "no-such-program-xyz"]);
    expect([notFound.code, notFound.stderr]).toEqual([127, "bgterm: command not found: no-such-program-xyz\n"]);
    const plainFile = path.join(bg.stateDir, "not-executable");
    fs.writeFileSync(plainFile, "data", { mode: 0o644 });
    const notExec = await bg.run(["start", plainFile]);
    expect(notExec.code).toBe(126);
    fs.chmodSync(plainFile, 0o755);
    const badFormat = await bg.run(["start", plainFile]);
    expect(badFormat.code).toBe(126);
    const badCwd = await bg.run(["start", "-C", "/no/such/dir", "cat"]);
    expect([badCwd.code, badCwd.stderr]).toEqual([2, "bgterm: working directory /no/such/dir does not exist\n"]);
    const badSize = await bg.run(["start", "--cols", "0", "cat"]);
    expect(badSize.code).toBe(2);
    const badBuffer = await bg.run(["start", "--max-buffer", "1X", "cat"]);
    expect(badBuffer.code).toBe(2);
    const badBackend = await bg.run(["start", "--backend", "nope", "cat"]);
    expect(badBackend.code).toBe(2);
    expect(await bg.json(["ls"])).toEqual(before);
  });

  test("a single word with shell syntax runs under /bin/sh -c; argv otherwise; env, cwd, TERM", async () => {
    const id = await bg.start([
      "-C",
      "/tmp",
      "-e",
      "GREETING=hi there",
      "echo $GREETING from $(pwd) on $TERM; sleep 30",
    ]);
    expect(await bg.readUntil(id, /xterm/)).toBe("hi there from /tmp on xterm-256color\r\n");
    const record = await bg.json(["info", id]);
    expect(record.command).toEqual(["/bin/sh", "-c", "echo $GREETING from $(pwd) on $TERM; sleep 30"]);
    expect(record.cwd).toBe("/tmp");
    const argv = await bg.start(["printf", "%s|", "a b", "$HOME"]);
    await bg.ok(["wait", argv]);
    expect(await bg.ok(["read", argv])).toBe("a b|$HOME|");
    const term = await bg.start(["-e", "TERM=vt100", "sh", "-c", "echo $TERM; sleep 30"]);
    expect(await bg.readUntil(term, /\n/)).toBe("vt100\r\n");
    await bg.ok(["close", id, argv, term]);
  });

  test("the caller's environment is passed as it is: a .env or bunfig.toml in the current directory is not loaded", async () => {
    // A Bun-compiled program reads ./.env and ./bunfig.toml at start unless
    // built not to; bgterm must not put a project's .env into its sessions.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-dotenv-"));
    try {
      fs.writeFileSync(path.join(dir, ".env"), "BGTERM_DOTENV_PROBE=leaked\n");
      fs.writeFileSync(path.join(dir, "bunfig.toml"), "this is not toml [\n");
      const started = await bg.run(["start", "sh", "-c", 'echo "probe=[$BGTERM_DOTENV_PROBE]"; sleep 30'], {
        cwd: dir,
      });
      expect(started.stderr).toBe("");
      expect(started.code).toBe(0);
      const id = started.text.trim();
      expect(await bg.readUntil(id, /probe=\[.*\]/)).toContain("probe=[]");
      await bg.ok(["close", id]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("start --json prints the session record", async () => {
    // Options after the command belong to it, so --json goes before.
    const record = JSON.parse(await bg.ok(["start", "--json", "-n", "rec", "cat"]));
    expect(Object.keys(record).sort()).toEqual(
      [
        "age_ms",
        "backend",
        "command",
        "cols",
        "cursor",
        "cwd",
        "dropped_bytes",
        "end_offset",
        "exit_code",
        "id",
        "name",
        "pid",
        "rows",
        "start_offset",
        "started_at",
        "state",
        "storage_error",
        "supervisor_pid",
        "unread_bytes",
        // Lifecycle (README "Lifecycle").
        "ended_at",
        "labels",
        "ended_by",
        "runs",
        "restart_count",
        "health",
        "cpu_percent",
        "cpu_seconds",
        "rss_bytes",
      ].sort(),
    );
    expect(record).toMatchObject({
      name: "rec",
      state: "running",
      cols: 80,
      rows: 24,
      backend: "bun",
      exit_code: null,
    });
    await bg.ok(["close", String(record.id)]);
  });

  test("a session survives the shell that started it, and that shell's SIGHUP", async () => {
    const script = `id=$(${JSON.stringify(path.resolve("dist/bgterm"))} start cat); echo $id; kill -HUP $$`;
    const shell = Bun.spawn(["sh", "-c", script], { env: bg.env(), stdout: "pipe" });
    const id = (await new Response(shell.stdout).text()).trim();
    await shell.exited;
    expect((await bg.json(["info", id])).state).toBe("running");
    expect(await bg.ok(["send", id, "still here"])).toContain("still here");
    await bg.ok(["close", id]);
  });
});

describe("ls, info, close", () => {
  test("ls lists every session; tab-separated when piped", async () => {
    const a = await bg.start(["-n", "lister", "cat"]);
    const b = await bg.start(["sh", "-c", "exit 9"]);
    await bg.run(["wait", b]);
    const rows = (await bg.ok(["ls"]))
      .trim()
      .split("\n")
      .map((line) => line.split("\t"));
    const rowA = rows.find((r) => r[0] === a)!;
    const rowB = rows.find((r) => r[0] === b)!;
    expect([rowA[1], rowA[2], rowA[7]]).toEqual(["lister", "running", "cat"]);
    expect([rowB[2], rowB[4]]).toEqual(["exited", "9"]);
    const json = await bg.json(["ls"]);
    expect(json.find((r: any) => r.id === Number(b))).toMatchObject({ state: "exited", exit_code: 9 });
    await bg.ok(["close", a, b]);
  });

  test("close ends background jobs and group-changing children too, and removes the state", async () => {
    const id = await bg.start(["bash", "--norc", "--noprofile"]);
    await bg.ok([
      "send",
      id,
      "sleep 1000 & echo bg=$!; (sleep 1001 | cat) & set -m; sleep 1002 & echo grp=$!; set +m",
      "--plain",
    ]);
    const out = await bg.ok(["send", id, "echo pids $(jobs -p)", "--plain"]);
    const pids = [...out.matchAll(/(?:bg|grp)=(\d+)/g), ...out.matchAll(/pids ([\d ]+)/g)]
      .flatMap((m) => m[1]!.trim().split(/\s+/))
      .map(Number);
    const record = await bg.json(["info", id]);
    const all = [record.pid, ...pids];
    expect(all.every(processAlive)).toBe(true);
    await bg.ok(["close", id, "--grace", "300"]);
    await eventually(() => all.every((pid) => !processAlive(pid)), "every process of the session to end");
    expect(fs.existsSync(path.join(bg.stateDir, "sessions", id))).toBe(false);
    expect((await bg.run(["info", id])).code).toBe(3);
  });

  test("close --all closes everything; a bad argument closes nothing", async () => {
    const a = await bg.start(["cat"]);
    const bad = await bg.run(["close", a, "../x"]);
    expect(bad.code).toBe(2);
    expect((await bg.json(["info", a])).state).toBe("running");
    await bg.ok(["close", "--all"]);
    expect(await bg.json(["ls"])).toEqual([]);
  });
});

describe("exit codes", () => {
  test("0 ok, 1 environment, 2 usage, 3 no session, 4 not running, 124 timeout, child code for wait", async () => {
    const id = await bg.start(["sh", "-c", "read x; exit 17"]);
    expect((await bg.run(["wait", id, "--timeout", "100"])).code).toBe(124);
    expect((await bg.run(["poll", id, "--until", "x", "--yield", "50"])).code).toBe(124);
    await bg.ok(["send", id, "", "--yield", "0"]);
    expect((await bg.run(["wait", id])).code).toBe(17);
    const notRunning = await bg.run(["send", id, "more"]);
    expect(notRunning.code).toBe(4);
    expect(notRunning.stderr).toBe(`bgterm: session ${id} is not running (its program has exited)\n`);
    expect((await bg.run(["send", id, "-k", "C-c"])).code).toBe(4);
    expect((await bg.run(["kill", id])).code).toBe(4);
    expect((await bg.run(["resize", id, "10", "10"])).code).toBe(4);
    // Reading an exited session is fine.
    const poll = await bg.json(["poll", id]);
    expect([poll.running, poll.exit_code]).toEqual([false, 17]);
    expect((await bg.run(["poll", id, "--yield", "-5"])).code).toBe(2);
    expect((await bg.run(["poll", id, "--until", "(unclosed"])).code).toBe(2);
    expect((await bg.run(["kill", id, "SIGNOPE"])).code).toBe(2);
    expect((await bg.run(["send", id, "-k", "NoSuchKey"])).code).toBe(2);
    const env = await bg.run(["ls"], { env: { BGTERM_DIR: "/proc/version/x" } });
    expect(env.code).toBe(1);
    await bg.ok(["close", id]);
  });
});
