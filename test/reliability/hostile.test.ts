// Hostile and bad input: each case gets a clear error and its documented exit
// code, and changes no session. Other users can neither read nor connect.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, Bg, isRoot } from "../helpers.ts";

const bg = new Bg();
let live = "";
let other = "";
afterAll(() => bg.cleanup());

// The state a bad command must not disturb: every record, minus the clock.
async function snapshot(): Promise<unknown> {
  return (await bg.json(["ls"])).map(({ age_ms: _age, ...rest }: Record<string, unknown>) => rest);
}

beforeAll(async () => {
  live = await bg.start(["-n", "victim", "sh", "-c", "echo hello; exec cat"]);
  other = await bg.start(["cat"]);
  await bg.readUntil(live, /hello/, 10_000, "probe");
});

describe("bad arguments change nothing", () => {
  const cases: [string, string[], number, RegExp][] = [
    ["session ../etc", ["send", "../etc", "x"], 2, /invalid session id or name/],
    ["session /abs/path", ["poll", "/abs/path"], 2, /invalid session id or name/],
    ["session 1/../2", ["read", "1/../2"], 2, /invalid session id or name/],
    ["empty session", ["close", ""], 2, /invalid session id or name/],
    ["huge id", ["info", "123456789012345678901234567890"], 2, /invalid session id .*too large/],
    ["name with a slash", ["start", "-n", "a/b", "cat"], 2, /invalid session name/],
    ["name with NUL", ["start", "-n", "a\u0001b", "cat"], 2, /invalid session name/],
    ["name with a newline", ["start", "-n", "a\nb", "cat"], 2, /invalid session name/],
    ["name equal to an id", ["start", "-n", "1", "cat"], 2, /not all digits/],
    ["negative --yield", ["poll", "victim", "--yield", "-1"], 2, /--yield takes a whole number/],
    ["non-numeric --yield", ["poll", "victim", "--yield", "soon"], 2, /--yield takes a whole number/],
    ["--cols 0", ["start", "--cols", "0", "cat"], 2, /--cols takes a whole number from 1/],
    ["--max-buffer 1X", ["start", "--max-buffer", "1X", "cat"], 2, /--max-buffer takes a size/],
    ["invalid --until", ["poll", "victim", "--until", "a(b"], 2, /--until: invalid regular expression/],
    ["unknown signal", ["kill", "victim", "SIGWHAT"], 2, /unknown signal 'SIGWHAT'/],
    ["unknown key", ["send", "victim", "-k", "Hyper-x"], 2, /unknown key 'Hyper-x'/],
    ["unknown option", ["send", "victim", "--frobnicate"], 2, /unknown option '--frobnicate'/],
    ["bad reader", ["read", "victim", "--reader", "../../x"], 2, /invalid reader name/],
    ["resize to 0", ["resize", "victim", "0", "10"], 2, /COLS takes a whole number/],
    ["missing session", ["send", "4242", "x"], 3, /no session with id 4242/],
    ["missing name", ["poll", "nobody-here"], 3, /no session named 'nobody-here'/],
  ];
  for (const [what, args, code, message] of cases) {
    test(what, async () => {
      const before = await snapshot();
      const result = await bg.run(args);
      expect(result.code).toBe(code);
      expect(result.stderr).toMatch(/^bgterm: .+\n$/);
      expect(result.stderr).toMatch(message);
      expect(await snapshot()).toEqual(before);
    });
  }
});

describe("corrupted state files", () => {
  function corrupt(id: string, file: string, content: string): () => void {
    const target = path.join(bg.stateDir, "sessions", id, file);
    const saved = fs.existsSync(target) ? fs.readFileSync(target) : undefined;
    fs.writeFileSync(target, content);
    return () => (saved ? fs.writeFileSync(target, saved) : fs.rmSync(target));
  }

  for (const [what, file, content, message] of [
    ["truncated meta.json", "meta.json", '{"id": 1, "comm', /meta.json is corrupt \(not valid JSON\)/],
    [
      "meta.json with wrong types",
      "meta.json",
      '{"id": "one", "command": 5}',
      /meta.json is corrupt \(unexpected fields\)/,
    ],
  ] as const) {
    test(`${what}: reported clearly, other sessions unaffected`, async () => {
      const restore = corrupt(other, file, content);
      try {
        const info = await bg.run(["info", other]);
        expect(info.code).toBe(1);
        expect(info.stderr).toMatch(new RegExp(`^bgterm: session ${other}: state file `));
        expect(info.stderr).toMatch(message);
        // ls still lists the healthy session and warns about the broken one.
        const ls = await bg.run(["ls", "--json"]);
        expect(ls.code).toBe(0);
        expect(JSON.parse(ls.text).map((r: { id: number }) => r.id)).toContain(Number(live));
        // With --json the warning is a JSON object on stderr too.
        expect(JSON.parse(ls.stderr).warning.message).toStartWith(`skipping session ${other}: `);
        const plainLs = await bg.run(["ls"]);
        expect(plainLs.stderr).toContain(`bgterm: warning: skipping session ${other}`);
        expect(await bg.ok(["send", "victim", "still-fine", "--until", "still-fine\\n.*still-fine"])).toContain(
          "still-fine",
        );
      } finally {
        restore();
      }
    });
  }
});

describe("damaged cursors", () => {
  // A cursor file is only a position: a damaged one must not hide the session
  // (issue 15 #8). ls and info show it as unread from the oldest retained byte.
  for (const [what, content] of [
    ["a cursor beyond the end", "99999999\n"],
    ["a cursor that is not a number", "banana"],
    ["an empty cursor (a write cut short)", ""],
    ["a cursor whose two copies differ", "                   5\n                   7\n"],
  ] as const) {
    test(`${what}: ls and info still show the session`, async () => {
      const target = path.join(bg.stateDir, "sessions", other, "cursors", "default");
      const saved = fs.existsSync(target) ? fs.readFileSync(target) : undefined;
      fs.writeFileSync(target, content);
      try {
        const info = await bg.run(["info", other, "--json"]);
        expect(info.code).toBe(0);
        expect(JSON.parse(info.text).cursor).toBe(JSON.parse(info.text).start_offset);
        const ls = await bg.run(["ls", "--json"]);
        expect(ls.stderr).toBe("");
        expect(JSON.parse(ls.text).map((r: { id: number }) => r.id)).toContain(Number(other));
      } finally {
        if (saved) fs.writeFileSync(target, saved);
        else fs.rmSync(target);
      }
    });
  }
});

describe("other users", () => {
  test("files are 0600, folders 0700, the socket sits in a 0700 folder", () => {
    const dir = path.join(bg.stateDir, "sessions", live);
    expect(fs.statSync(bg.stateDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of ["output", "meta.json", "end", "cursors/probe", "spec.json"]) {
      expect([file, fs.statSync(path.join(dir, file)).mode & 0o777]).toEqual([file, 0o600]);
    }
    expect(fs.statSync(path.join(dir, "sock")).mode & 0o077).toBe(0);
  });

  test.skipIf(!isRoot)("a second user cannot read the output or connect to the socket", async () => {
    const dir = path.join(bg.stateDir, "sessions", live);
    const script = `import socket, sys
try:
    open("${dir}/output", "rb").read(); print("read-ok")
except PermissionError: print("read-denied")
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("${dir}/sock"); print("connect-ok")
except PermissionError: print("connect-denied")`;
    const python = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    const asNobody = Bun.spawnSync([python, "-c", script], { uid: 65534, gid: 65534, stdout: "pipe", stderr: "pipe" });
    expect(asNobody.stdout.toString().trim().split("\n")).toEqual(["read-denied", "connect-denied"]);
    // And bgterm itself, run as that user against this state dir, refuses it
    // (from a copy that user may execute: the checkout may sit in a private folder).
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-bin-"));
    fs.chmodSync(shared, 0o755);
    const copy = path.join(shared, "bgterm");
    fs.copyFileSync(BIN, copy);
    fs.chmodSync(copy, 0o755);
    const refused = Bun.spawnSync([copy, "ls"], { uid: 65534, gid: 65534, env: bg.env(), stderr: "pipe" });
    fs.rmSync(shared, { recursive: true, force: true });
    expect(refused.stderr.toString()).toStartWith(
      `bgterm: refusing state directory ${bg.stateDir}: it is owned by uid 0`,
    );
    expect(refused.exitCode).toBe(1);
  });
});
