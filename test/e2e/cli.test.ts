// The command line itself: flag placement, help and version, usage errors,
// JSON errors, send's keys and Enter rules, and the binary copied alone.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, Bg } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

describe("flags", () => {
  test("--json works after the subcommand and before it", async () => {
    const id = await bg.start(["cat"]);
    const after = JSON.parse(await bg.ok(["info", id, "--json"]));
    const before = JSON.parse(await bg.ok(["--json", "info", id]));
    expect(before.id).toBe(after.id);
    await bg.ok(["close", id]);
  });

  test("--help, help CMD, --json and --plain on every command, --version, and the overview", async () => {
    const names = Object.keys(JSON.parse(await bg.ok(["schema"])).$defs);
    expect(names.length).toBeGreaterThan(15);
    for (const name of names) {
      const help = await bg.run([name, "--help"]);
      expect(help.code).toBe(0);
      expect(help.text).toContain("USAGE");
      expect(help.text).toContain(`bgterm ${name}`);
      expect(await bg.ok(["help", name])).toBe(help.text);
      expect(await bg.ok([name, "--json", "--plain", "--help"])).toBe(help.text);
    }
    // attach and completions used to refuse --json: now only their own checks speak.
    const attach = await bg.run(["attach", "1", "--json"]);
    expect(JSON.parse(attach.stderr).error.message).toContain("needs a terminal");
    expect(JSON.parse(await bg.ok(["completions", "bash", "--json", "--plain"])).shell).toBe("bash");
    expect((await bg.ok(["--version"])).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const overview = await bg.ok(["--help"]);
    expect(overview).toContain("Commands:");
    expect(overview).not.toContain("_supervise");
  });

  test("unknown options, surplus arguments and unknown commands are usage errors (exit 2)", async () => {
    const cases = [["ls", "--nope"], ["info", "1", "2"], ["frobnicate"], ["--nope", "ls"], ["poll"]];
    for (const args of cases) {
      const result = await bg.run(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toStartWith("bgterm: ");
      expect(result.stderr.trim().split("\n").length).toBe(1);
    }
  });

  test("with --json, errors are one JSON object on stderr", async () => {
    const result = await bg.run(["info", "999", "--json"]);
    expect(result.code).toBe(3);
    expect(result.text).toBe("");
    expect(JSON.parse(result.stderr)).toEqual({ error: { code: 3, message: "no session with id 999" } });
  });
});

describe("human output", () => {
  test("command help has colours on a terminal only", async () => {
    const piped = await bg.run(["send", "--help"], { env: { NO_COLOR: undefined } });
    expect(piped.text).toContain("--key");
    expect(piped.text).not.toContain("\x1b[");
    // citty (which renders help) also turns colour off under CI or TEST: clear them as a user's terminal would have them.
    const onTerminal = await bg.start(["-e", "NO_COLOR=", "-e", "CI=", "-e", "TEST=", "--", BIN, "send", "--help"]);
    await bg.run(["wait", onTerminal, "--timeout", "10000"]);
    const shown = await bg.ok(["read", onTerminal]);
    expect(shown).toContain("\x1b[");
    expect(shown).toContain("--key");
    await bg.ok(["close", onTerminal]);
  });

  test("ls on a terminal: aligned table with a header, coloured unless NO_COLOR; piped: plain TSV", async () => {
    const target = await bg.start(["-n", "tabled", "cat"]);
    // Run ls inside a session, so its stdout is a real terminal.
    const ls = (env: string[]) => bg.start([...env, "--", BIN, "ls"]);
    const coloured = await ls(["-e", "NO_COLOR="]);
    await bg.run(["wait", coloured, "--timeout", "10000"]);
    const raw = await bg.ok(["read", coloured]);
    expect(raw).toContain("\x1b[");
    expect(raw).toMatch(/ID\s+NAME\s+STATE/);
    const plain = await ls(["-e", "NO_COLOR=1"]);
    await bg.run(["wait", plain, "--timeout", "10000"]);
    const text = await bg.ok(["read", plain]);
    expect(text).not.toContain("\x1b[");
    expect(text).toMatch(new RegExp(`${target}\\s+tabled\\s+running\\s+\\d+\\s+-\\s+0\\s+\\S+\\s+cat`));
    const piped = await bg.ok(["ls"]);
    expect(piped).not.toContain("ID");
    expect(piped).toContain(`${target}\ttabled\trunning\t`);
    await bg.ok(["close", target, coloured, plain]);
  });
});

describe("send", () => {
  test("TEXT then Enter; --no-enter; bare send is Enter; -k keys in order after TEXT", async () => {
    // od shows exactly which bytes the program received.
    const id = await bg.start(["sh", "-c", "stty raw -echo; echo ready; head -c 17 | od -An -c"]);
    await bg.readUntil(id, /ready/);
    // The sends read with their own reader, so od's answer stays unread for `read`.
    const quiet = ["--yield", "0", "--reader", "sender"];
    await bg.ok(["send", id, "ab", ...quiet]);
    await bg.ok(["send", id, "c", "--no-enter", ...quiet]);
    await bg.ok(["send", id, ...quiet]);
    await bg.ok(["send", id, "d", "-k", "Tab", "-k", "C-a", "-k", "Up", ...quiet]);
    await bg.ok(["send", id, "-k", "M-x", "-k", "F1", ...quiet]);
    await bg.run(["wait", id, "--timeout", "10000"]);
    const bytes = (await bg.ok(["read", id])).replace(/\s+/g, " ").trim();
    expect(bytes).toBe("a b \\r c \\r d \\r \\t 001 033 [ A 033 x 033 O P");
    await bg.ok(["close", id]);
  });
});

describe("the binary alone", () => {
  test("works when copied to another directory, both backends", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-copy-"));
    const copy = path.join(dir, "bgterm");
    fs.copyFileSync(BIN, copy);
    fs.chmodSync(copy, 0o755);
    for (const backend of ["bun", "bun-pty"]) {
      const run = (args: string[]) =>
        Bun.spawnSync([copy, ...args], { env: bg.env(), cwd: dir, stdout: "pipe", stderr: "pipe" });
      const started = run(["start", "--backend", backend, "python3"]);
      expect(started.stderr.toString()).toBe("");
      const id = started.stdout.toString().trim();
      const sent = run(["send", id, "6*7", "--until", "42"]);
      expect(sent.stdout.toString()).toContain("42");
      expect(run(["close", id]).exitCode).toBe(0);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
