// Remote hosts through a real OpenSSH server (test/remote-helpers.ts): install,
// commands with -H and HOST:ID, ls across two hosts, attach through a PTY, a
// dropped connection mid-poll, a refused key, a missing binary, and the rpc
// endpoint fed garbage.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { BIN, Bg, eventually, processAlive } from "../helpers.ts";
import { SshServer, sshAvailable } from "../remote-helpers.ts";

const available = sshAvailable();
const server = available ? new SshServer() : undefined;
const local = server?.local as Bg;

beforeAll(async () => {
  if (!server) return;
  await server.start();
  const installed = await local.run(["host", "install", "a"]);
  if (installed.code !== 0) throw new Error(`host install failed: ${installed.stderr}`);
}, 120_000);
afterAll(() => server?.stop(), 60_000);

// Children of a process (from /proc), to find the ssh a bgterm call started.
function childPids(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe.skipIf(!available)("remote hosts over ssh", () => {
  test("host install put this binary in ~/.local/bin; host check reports version and state dir", async () => {
    const copy = path.join(server!.home, ".local", "bin", "bgterm");
    const hash = (file: string) => new Bun.CryptoHasher("sha256").update(fs.readFileSync(file)).digest("hex");
    expect(hash(copy)).toBe(hash(BIN));
    expect((fs.statSync(copy).mode & 0o777).toString(8)).toBe("755");
    const info = await local.json(["host", "check", "a"]);
    expect(info.state_dir).toBe(server!.stateDir("a"));
    expect(info.same_version).toBe(true);
    expect(info.binary).toBe(copy);
    expect(await local.ok(["host", "check", "a"])).toContain(`state dir  ${server!.stateDir("a")}`);
  });

  test("python3 started remotely answers 2+2; screen, exec with status, HOST:ID and BGTERM_HOST", async () => {
    const id = (await local.ok(["-H", "a", "start", "--name", "py", "python3", "-q"])).trim();
    expect(id).toMatch(/^\d+$/);
    // The session lives in a's state dir, not here.
    expect(fs.existsSync(path.join(server!.stateDir("a"), "sessions", id))).toBe(true);
    expect(fs.existsSync(path.join(local.stateDir, "sessions", id))).toBe(false);
    const answer = await local.ok(["send", "a:py", "2+2", "--until", "^4\\r?$"]);
    expect(answer).toMatch(/^4\r?$/m);
    expect((await local.json(["screen", `a:${id}`])).lines.join("\n")).toContain("4");
    // A value that a remote shell would mangle arrives as typed.
    const tricky = `print(len("$HOME ';\\" *"))`;
    expect(await local.ok(["send", "--host", "a", id, tricky, "--until", "^11\\r?$"])).toMatch(/^11\r?$/m);

    const sh = (await local.ok(["start", "-H", "a", "bash", "--norc", "--noprofile"])).trim();
    const run = await local.run(["exec", `a:${sh}`, "echo out-$((20+22)); (exit 3)"]);
    expect(run.text).toBe("out-42\n");
    expect(run.code).toBe(3);
    // BGTERM_HOST is the default host.
    const listed = await local.json(["ls"], { env: { BGTERM_HOST: "a" } });
    expect(listed.map((r: { id: number }) => r.id).sort()).toEqual([Number(id), Number(sh)].sort());
    // Errors keep their sentence and exit code.
    const missing = await local.run(["send", "a:999", "x"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^bgterm: .*999/);
    await local.ok(["close", "-H", "a", id, sh]);
  });

  test("ls across two hosts has a HOST column; an unreachable host is a row with its error", async () => {
    const onA = (await local.ok(["-H", "a", "start", "sleep", "300"])).trim();
    const onB = (await local.ok(["-H", "b", "start", "sleep", "301"])).trim();
    const rows = await local.json(["ls", "--host", "a", "--host", "b", "--host", "bare"]);
    const summary = rows.map((r: { host: string; command?: string[]; error?: { message: string } }) =>
      r.error ? `${r.host}:error` : `${r.host}:${r.command!.join(" ")}`,
    );
    expect(summary).toEqual(["a:sleep 300", "b:sleep 301", "bare:error"]);
    const table = await local.run(["ls", "-H", "a", "-H", "b", "-H", "bare"]);
    expect(table.code).toBe(0);
    expect(table.text).toMatch(new RegExp(`^a\\t${onA}\\t.*sleep 300$`, "m"));
    expect(table.text).toMatch(new RegExp(`^b\\t${onB}\\t.*sleep 301$`, "m"));
    expect(table.text).toMatch(/^bare\t-\t.*bgterm host install bare/m);
    // --all-hosts reads ~/.config/bgterm/hosts.
    fs.mkdirSync(path.join(server!.localHome, ".config", "bgterm"), { recursive: true });
    fs.writeFileSync(path.join(server!.localHome, ".config", "bgterm", "hosts"), "# test hosts\na\nb\n");
    expect((await local.json(["ls", "--all-hosts"])).map((r: { host: string }) => r.host)).toEqual(["a", "b"]);
    await local.ok(["close", `a:${onA}`]);
    await local.ok(["close", `b:${onB}`]);
  });

  test("a killed ssh connection mid-poll loses no output: the poll is asked again", async () => {
    const id = (await local.ok(["-H", "a", "start", "cat"])).trim();
    const state = server!.stateDir("a");
    // Earlier calls' endpoints exit when their caller hangs up; wait for that,
    // so the endpoint found next is the poll's own.
    await eventually(() => remoteRpcPids(state).length === 0, "earlier endpoints to exit");
    const poll = Bun.spawn([BIN, "poll", `a:${id}`, "--until", "after-drop", "--yield", "60000"], {
      env: local.env(),
      stdout: "pipe",
      stderr: "pipe",
    });
    // Its endpoint on the far side is up (the request may or may not have
    // reached it yet: a drop at any stage is re-opened once).
    await eventually(
      () => remoteRpcPids(state).length > 0 && childPids(poll.pid).length > 0,
      "the poll's channel",
      20_000,
    );
    const ssh = childPids(poll.pid)[0]!;
    process.kill(ssh, "SIGKILL");
    // Output written after the drop reaches the (re-issued) poll; nothing is lost.
    await eventually(() => childPids(poll.pid)[0] !== ssh, "the drop");
    await local.ok(["send", `a:${id}`, "after-drop", "--reader", "writer", "--yield", "0"]);
    const [out, err, code] = await Promise.all([
      new Response(poll.stdout).text(),
      new Response(poll.stderr).text(),
      poll.exited,
    ]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toContain("after-drop");
    await local.ok(["close", `a:${id}`]);
  });

  test("follow streams remote output as it comes, then exits with the program's code", async () => {
    const id = (
      await local.ok(["-H", "a", "start", "sh", "-c", "echo first-line; read x; echo got-$x; exit 6"])
    ).trim();
    const follow = Bun.spawn([BIN, "follow", `a:${id}`, "--from", "0"], {
      env: local.env(),
      stdout: "pipe",
      stderr: "pipe",
    });
    let seen = "";
    const reading = (async () => {
      for await (const chunk of follow.stdout) seen += Buffer.from(chunk).toString("utf8");
    })();
    // The first line arrives while the program still waits for input.
    await eventually(() => seen.includes("first-line"), "the first line before the program ends", 20_000);
    expect(seen).not.toContain("got-");
    await local.ok(["send", `a:${id}`, "zz", "--reader", "writer", "--yield", "0"]);
    expect(await follow.exited).toBe(6);
    await reading;
    expect(seen).toContain("got-zz");
    await local.ok(["close", `a:${id}`]);
  });

  test("attach through a PTY: ssh -t to the remote bgterm attach, keys both ways, detach", async () => {
    const inner = (await local.ok(["-H", "a", "start", "bash", "--norc", "--noprofile"])).trim();
    await local.ok(["send", `a:${inner}`, "echo inner-ready", "--until", "inner-ready\\n"]);
    const outer = await local.start(["bash", "--norc", "--noprofile"]);
    await local.ok(["send", outer, `${BIN} attach a:${inner}; echo attach-exit=$?`, "--yield", "0"]);
    const screen = async (id: string, bg = local) => (await bg.json(["screen", id])).lines.join("\n");
    await eventually(
      async () => /inner-ready/.test(await screen(outer)),
      "the remote screen in the local terminal",
      20_000,
    );
    await local.ok(["send", outer, "echo typed-$((6*7))", "--yield", "0"]);
    await eventually(async () => /typed-42/.test(await screen(`a:${inner}`)), "keys to reach the remote shell", 20_000);
    await local.ok(["send", outer, "-k", "C-]", "--yield", "0"]);
    await eventually(async () => /attach-exit=0/.test(await screen(outer)), "the detach", 20_000);
    expect((await local.json(["info", `a:${inner}`])).state).toBe("running");
    await local.ok(["close", outer]);
    await local.ok(["close", `a:${inner}`]);
  });

  test("MCP tools take a host: the call runs in bgterm mcp there, one channel per host", async () => {
    const transport = new StdioClientTransport({ command: BIN, args: ["mcp"], env: local.env(), stderr: "ignore" });
    const client = new Client({ name: "remote-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const call = async (name: string, args: Record<string, unknown>) => {
        const result = (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as {
          isError?: boolean;
          content: { text: string }[];
          structuredContent?: any;
        };
        if (result.isError) throw new Error(`${name}: ${result.content[0]?.text}`);
        return result.structuredContent;
      };
      const started = await call("terminal_start", { command: ["python3", "-q"], host: "a", yield_ms: 0 });
      expect(fs.existsSync(path.join(server!.stateDir("a"), "sessions", String(started.id)))).toBe(true);
      const reply = await call("terminal_send", { id: started.id, text: "6*7", until: "^42", host: "a" });
      expect(reply.text).toContain("42");
      const listed = await call("terminal_list", { host: "a" });
      expect(JSON.stringify(listed)).toContain("python3");
      await call("terminal_close", { ids: [started.id], host: "a" });
      expect(fs.existsSync(path.join(server!.stateDir("a"), "sessions", String(started.id)))).toBe(false);
      // A host without bgterm: the tool's error says what to run.
      await expect(call("terminal_list", { host: "refused" })).rejects.toThrow(/refused the login/);
    } finally {
      await client.close();
    }
  });

  test("a host that refuses the key: clear error, exit 1, no prompt", async () => {
    const result = await local.run(["ls", "-H", "refused"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^bgterm: refused refused the login \(.*Permission denied.*\)/);
  });

  test("a host without bgterm: the error names the command to run; --install fixes it", async () => {
    const result = await local.run(["ls", "-H", "bare"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("bgterm: bgterm is not installed on bare; run: bgterm host install bare\n");
    expect(fs.existsSync(path.join(server!.bareHome, ".local", "bin", "bgterm"))).toBe(false);
    expect(await local.json(["ls", "-H", "bare", "--install"])).toEqual([]);
    expect(fs.existsSync(path.join(server!.bareHome, ".local", "bin", "bgterm"))).toBe(true);
  }, 120_000);
});

// The `rpc --stdio` endpoints running with this state dir (on the far side).
function remoteRpcPids(stateDir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || !processAlive(Number(entry))) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "latin1");
      if (!cmdline.includes("rpc\0--stdio")) continue;
      if (fs.readFileSync(`/proc/${entry}/environ`, "latin1").includes(`BGTERM_DIR=${stateDir}\0`))
        pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}

describe("rpc --stdio", () => {
  const bg = new Bg();
  afterAll(() => bg.cleanup());

  test("--via runs the far side through any command vector (env here, as docker exec -i would)", async () => {
    const home = fs.mkdtempSync(path.join(bg.stateDir, "home-"));
    fs.mkdirSync(path.join(home, ".local", "bin"), { recursive: true });
    fs.symlinkSync(BIN, path.join(home, ".local", "bin", "bgterm"));
    const far = new Bg();
    try {
      const via = `env BGTERM_DIR=${far.stateDir} HOME=${home}`;
      const id = (await bg.ok(["start", "--via", via, "sh", "-c", "read x; echo got-$x; exit 4"])).trim();
      expect(fs.existsSync(path.join(far.stateDir, "sessions", id))).toBe(true);
      expect(fs.existsSync(path.join(bg.stateDir, "sessions", id))).toBe(false);
      expect(await bg.ok(["send", id, "--via", via, "v1", "--until", "got-v1"])).toContain("got-v1");
      const waited = await bg.run(["wait", id, "--via", via, "--json"]);
      expect([waited.code, JSON.parse(waited.text).exit_code]).toEqual([4, 4]);
    } finally {
      await far.cleanup();
    }
  });

  test("host install refuses a machine of another CPU and installs nothing", async () => {
    const home = fs.mkdtempSync(path.join(bg.stateDir, "home-"));
    const bin = path.join(home, "fakebin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "uname"), '#!/bin/sh\ncase "$1" in -s) echo Linux;; -m) echo riscv64;; esac\n', {
      mode: 0o755,
    });
    const via = `env PATH=${bin}:/usr/bin:/bin HOME=${home}`;
    const result = await bg.run(["host", "install", "--via", via]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `bgterm: ${via} is Linux/riscv64; this bgterm is built for ${process.platform}/${process.arch}: install a matching build there\n`,
    );
    expect(fs.existsSync(path.join(home, ".local"))).toBe(false);
  });

  test.skipIf(Bun.which("systemd-run") !== null)("start --scope without systemd-run is a usage error", async () => {
    const result = await bg.run(["start", "--scope", "sleep", "5"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("bgterm: --scope needs systemd-run (a systemd user session); see bgterm host check\n");
    expect(await bg.json(["ls"])).toEqual([]);
  });

  test("fed garbage: hello first, an error per bad line, and it keeps answering", async () => {
    const child = Bun.spawn([BIN, "rpc", "--stdio"], { env: bg.env(), stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const lines: string[] = [];
    const reading = (async () => {
      let pending = "";
      for await (const chunk of child.stdout) {
        pending += Buffer.from(chunk).toString("utf8");
        const parts = pending.split("\n");
        pending = parts.pop()!;
        lines.push(...parts);
      }
    })();
    const send = (text: string) => {
      child.stdin.write(text);
      child.stdin.flush();
    };
    send('not json\n[1,2]\n{"id":1}\n{"id":2,"method":"no_such"}\n\x00\xff\xfe garbage\n');
    send(
      '{"id":3,"method":"send","params":{"session":"1","nope":true}}\n{"id":4,"method":"ls","params":{}}\n{"id":9,"method":"list"}\n',
    );
    await eventually(() => lines.some((line) => line.includes('"id":4')), "the answer to a good request after garbage");
    const hello = JSON.parse(lines[0]!);
    expect(hello.bgterm).toMatch(/^\d+\.\d+\.\d+/);
    expect(hello.protocol).toBe(1);
    expect(hello.methods).toContain("send");
    const answers = lines.slice(1).map((line) => JSON.parse(line));
    expect(answers.filter((a) => a.id === null).map((a) => a.error.code)).toEqual([2, 2, 2]);
    expect(answers.find((a) => a.id === 1).error.message).toContain("method");
    expect(answers.find((a) => a.id === 2).error.message).toBe("unknown method 'no_such'");
    expect(answers.find((a) => a.id === 3).error).toEqual({ code: 2, message: "unknown parameter 'nope' for send" });
    expect(answers.find((a) => a.id === 4)).toEqual({ id: 4, exit_code: 0, result: [] });
    expect(hello.methods).toContain("list");
    await eventually(() => lines.some((line) => line.includes('"id":9')), "the answer to list");
    expect(JSON.parse(lines.find((line) => line.includes('"id":9'))!)).toEqual({ id: 9, exit_code: 0, result: [] });
    // A session through the endpoint, and its exit as an event of `subscribe`.
    send('{"id":5,"method":"start","params":{"command":["sh","-c","read x; echo got-$x; exit 5"]}}\n');
    await eventually(() => lines.some((line) => line.startsWith('{"id":5')), "start's answer");
    const started = JSON.parse(lines.find((line) => line.startsWith('{"id":5'))!);
    send(`{"id":6,"method":"subscribe","params":{"session":${started.result.id},"from":0}}\n`);
    send(`{"id":7,"method":"send","params":{"session":"${started.result.id}","text":"hi","yield":0}}\n`);
    await eventually(
      () => lines.some((line) => line.startsWith('{"id":6,"exit_code"')),
      "subscribe to end with the exit",
    );
    const events = lines.map((line) => JSON.parse(line)).filter((m) => m.id === 6 && m.event);
    const output = Buffer.concat(
      events.filter((e) => e.event === "output").map((e) => Buffer.from(e.data, "base64")),
    ).toString();
    expect(output).toContain("got-hi");
    expect(events.at(-1)).toEqual({ id: 6, event: "exit", exit_code: 5 });
    child.stdin.end();
    expect(await child.exited).toBe(0);
    await reading;
  });
});
