// The supervisor's side of the protocol under abuse (issue 15 #2, #4, #5, #12):
// hostile frames are answered and survived, a launcher that vanished does not
// kill the session, a stalled reader does not block the others, and exec
// output larger than retention comes back as its tail, marked truncated.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { BIN, Bg, eventually, processAlive } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

function frame(header: unknown, payload: Buffer = Buffer.alloc(0), rawHeader?: Buffer): Buffer {
  const json = rawHeader ?? Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(8);
  head.writeUInt32LE(json.length, 0);
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, json, payload]);
}

// Sends raw bytes on a fresh connection; resolves with the first reply header
// (or "closed"/"silent").
async function sendRaw(socketPath: string, bytes: Buffer, waitMs = 5000): Promise<any> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => resolve("silent"), waitMs);
    Bun.connect({
      unix: socketPath,
      socket: {
        open(socket) {
          socket.write(bytes);
        },
        data(socket, chunk) {
          received = Buffer.concat([received, chunk]);
          if (received.length < 8) return;
          const headerBytes = received.readUInt32LE(0);
          if (received.length < 8 + headerBytes) return;
          clearTimeout(timer);
          resolve(JSON.parse(received.toString("utf8", 8, 8 + headerBytes)));
          socket.end();
        },
        close() {
          clearTimeout(timer);
          resolve("closed");
        },
        error() {
          clearTimeout(timer);
          resolve("closed");
        },
      },
    }).catch(() => resolve("closed"));
  });
}

const BIG = Number.MAX_SAFE_INTEGER;
// Each is one kind of bad request; every one must get an error reply.
const BAD_HEADERS: [string, unknown][] = [
  ["null header", null],
  ["number header", 42],
  ["string header", "poll"],
  ["array header", ["poll"]],
  ["no op", {}],
  ["op not a string", { op: 7 }],
  ["unknown op", { op: "format_disk" }],
  ["prototype op", { op: "__proto__" }],
  ["constructor op", { op: "constructor" }],
  ["poll: no reader", { op: "poll", yield_ms: 0, idle_ms: 0 }],
  ["poll: reader with ../", { op: "poll", reader: "../../escape", yield_ms: 0, idle_ms: 0 }],
  ["poll: reader with /", { op: "poll", reader: "a/b", yield_ms: 0, idle_ms: 0 }],
  ["poll: reader ..", { op: "poll", reader: "..", yield_ms: 0, idle_ms: 0 }],
  ["poll: reader empty", { op: "poll", reader: "", yield_ms: 0, idle_ms: 0 }],
  ["poll: reader too long", { op: "poll", reader: "r".repeat(65), yield_ms: 0, idle_ms: 0 }],
  ["poll: reader number", { op: "poll", reader: 5, yield_ms: 0, idle_ms: 0 }],
  ["poll: yield missing", { op: "poll", reader: "x", idle_ms: 0 }],
  ["poll: yield negative", { op: "poll", reader: "x", yield_ms: -1, idle_ms: 0 }],
  ["poll: yield fractional", { op: "poll", reader: "x", yield_ms: 1.5, idle_ms: 0 }],
  ["poll: yield string", { op: "poll", reader: "x", yield_ms: "10", idle_ms: 0 }],
  ["poll: yield above 2^31-1", { op: "poll", reader: "x", yield_ms: 2 ** 31, idle_ms: 0 }],
  ["poll: idle fractional", { op: "poll", reader: "x", yield_ms: 0, idle_ms: 0.5 }],
  ["poll: idle null", { op: "poll", reader: "x", yield_ms: 0, idle_ms: null }],
  ["poll: limit zero", { op: "poll", reader: "x", yield_ms: 0, idle_ms: 0, limit: 0 }],
  ["poll: limit fractional", { op: "poll", reader: "x", yield_ms: 0, idle_ms: 0, limit: 2.5 }],
  ["poll: since negative", { op: "poll", reader: "x", yield_ms: 0, idle_ms: 0, since: -5 }],
  ["poll: since unsafe", { op: "poll", reader: "x", yield_ms: 0, idle_ms: 0, since: 2 ** 60 }],
  ["poll: peek string", { op: "poll", reader: "x", yield_ms: 0, idle_ms: 0, peek: "yes" }],
  ["poll: until not object", { op: "poll", reader: "x", yield_ms: 0, idle_ms: 0, until: "a" }],
  ["poll: until bad regex", { op: "poll", reader: "x", yield_ms: 0, idle_ms: 0, until: { source: "(", flags: "" } }],
  ["poll: until bad flags", { op: "poll", reader: "x", yield_ms: 0, idle_ms: 0, until: { source: "a", flags: "zz" } }],
  ["poll: since_input number", { op: "poll", reader: "x", yield_ms: 0, idle_ms: 0, since_input: 1 }],
  ["peek: from fractional", { op: "peek", reader: "x", from: 0.5 }],
  ["peek: from NaN-like", { op: "peek", reader: "x", from: "NaN" }],
  ["peek: reader traversal", { op: "peek", reader: "../x" }],
  ["peek: limit negative", { op: "peek", reader: "x", limit: -1 }],
  ["ack: no lease", { op: "ack", to: 0 }],
  ["ack: to missing", { op: "ack" }],
  ["ack: to fractional", { op: "ack", to: 1.25 }],
  ["ack: to huge", { op: "ack", to: BIG * 4 }],
  ["resize: zero cols", { op: "resize", cols: 0, rows: 24 }],
  ["resize: huge rows", { op: "resize", cols: 80, rows: 100000 }],
  ["resize: string", { op: "resize", cols: "80", rows: 24 }],
  ["signal: unknown", { op: "signal", signal: "SIGNOPE" }],
  ["signal: number type", { op: "signal", signal: 9 }],
  ["close: grace negative", { op: "close", signal: "HUP", grace_ms: -1 }],
  ["close: unknown signal", { op: "close", signal: "SIGFOO", grace_ms: 0 }],
  ["screen: scrollback negative", { op: "screen", scrollback: -1 }],
  ["screen: ansi string", { op: "screen", ansi: "yes" }],
  ["subscribe: from missing", { op: "subscribe" }],
  ["subscribe: from negative", { op: "subscribe", from: -1 }],
  ["hello: protocol string", { op: "hello", protocol: "1" }],
];

describe("hostile frames", () => {
  test(`at least 45 kinds of bad frames: each answered with an error, the supervisor lives`, async () => {
    const id = await bg.start(["sh", "-c", "echo ready; exec cat"]);
    await bg.readUntil(id, /ready/, 15_000, "probe");
    const info = await bg.json(["info", id]);
    const sock = path.join(bg.stateDir, "sessions", id, "sock");
    const kinds: [string, Buffer][] = BAD_HEADERS.map(([name, header]) => [name, frame(header)]);
    kinds.push(["header not JSON", frame(undefined, undefined, Buffer.from("{nope"))]);
    kinds.push(["header huge length", Buffer.from([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])]);
    kinds.push(["payload huge length", Buffer.from([2, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0x7b, 0x7d])]);
    kinds.push(["payload on a poll", frame({ op: "modes" }, Buffer.from("surprise"))]);
    const unanswered: string[] = [];
    for (const [name, bytes] of kinds) {
      const reply = await sendRaw(sock, bytes);
      if (reply?.op !== "error") unanswered.push(`${name}: ${JSON.stringify(reply)}`);
    }
    expect(kinds.length).toBeGreaterThanOrEqual(45);
    expect(unanswered).toEqual([]);
    expect(processAlive(info.supervisor_pid)).toBe(true);
    // Nothing escaped the state dir; the session works as before.
    expect(fs.existsSync(path.join(bg.stateDir, "sessions", id, "escape"))).toBe(false);
    expect(fs.existsSync(path.join(bg.stateDir, "escape"))).toBe(false);
    expect(fs.readdirSync(path.join(bg.stateDir, "sessions", id, "cursors")).sort()).toEqual(["probe"]);
    expect(await bg.ok(["send", id, "still-here", "--until", "still-here\\n.*still-here"])).toContain("still-here");
    await bg.ok(["close", id]);
  });
});

describe("launcher gone", () => {
  test("a supervisor whose launcher vanished before the handshake keeps its session", async () => {
    // A session prepared as start would, then supervised with the handshake
    // pipe's read end already closed: the "ok" write fails with EPIPE.
    const model = await bg.start(["sleep", "1000"]);
    const modelDir = path.join(bg.stateDir, "sessions", model);
    const id = "900";
    const dir = path.join(bg.stateDir, "sessions", id);
    fs.mkdirSync(path.join(dir, "cursors"), { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(modelDir, "spec.json"), path.join(dir, "spec.json"));
    await bg.ok(["close", model]);
    const child = Bun.spawn([BIN, "_supervise", bg.stateDir, id], {
      env: bg.env(),
      stdio: ["ignore", "ignore", "ignore", "pipe"],
    });
    fs.closeSync(child.stdio[3] as number);
    await eventually(() => fs.existsSync(path.join(dir, "meta.json")), "the supervisor to start the child");
    const meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8"));
    // The handshake is written right after the socket opens: once a poll is
    // answered, the write has failed.
    await eventually(async () => (await bg.run(["poll", id, "--yield", "0"])).code === 0, "a poll to work");
    expect(processAlive(meta.supervisor_pid)).toBe(true);
    expect(processAlive(meta.pid)).toBe(true);
    expect((await bg.json(["info", id])).state).toBe("running");
    await bg.ok(["close", id]);
  });
});

describe("stalled reader", () => {
  test("a poll whose stdout nobody reads loses its lease; read, poll and send go on", async () => {
    const id = await bg.start(["sh", "-c", "head -c 409600 /dev/zero | tr '\\0' y; echo END; exec cat"]);
    await bg.readUntil(id, /END/, 15_000, "probe");
    // stdout is a FIFO opened for reading but never read: the poll blocks
    // mid-delivery with its lease held.
    const fifo = path.join(bg.stateDir, "stall.fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const readEnd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writeEnd = fs.openSync(fifo, fs.constants.O_WRONLY);
    const stalled = Bun.spawn([BIN, "poll", id, "--yield", "0"], { env: bg.env(), stdout: writeEnd, stderr: "pipe" });
    fs.closeSync(writeEnd);
    try {
      const first = Buffer.alloc(16);
      await eventually(() => {
        try {
          return fs.readSync(readEnd, first) > 0;
        } catch {
          return false;
        }
      }, "the stalled poll to start its delivery");
      const bounded = async (args: string[]) => {
        const child = Bun.spawn([BIN, ...args], { env: bg.env(), stdout: "pipe", stderr: "pipe" });
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
        const [out, code] = await Promise.all([new Response(child.stdout).arrayBuffer(), child.exited]);
        clearTimeout(timer);
        return { code, length: out.byteLength };
      };
      // Everything the stalled client was handed goes to the next reader.
      expect(await bounded(["read", id])).toEqual({ code: 0, length: 409600 + 5 });
      expect((await bounded(["poll", id, "--yield", "0"])).code).toBe(0);
      expect((await bounded(["send", id, "more", "--yield", "500"])).code).toBe(0);
      expect(processAlive(stalled.pid)).toBe(true);
      // Once unblocked, the stalled client learns its delivery was revoked.
      const sink = Buffer.alloc(1 << 16);
      const drain = setInterval(() => {
        try {
          while (fs.readSync(readEnd, sink) > 0);
        } catch {}
      }, 5);
      const code = await stalled.exited;
      clearInterval(drain);
      expect(code).toBe(1);
      expect(await new Response(stalled.stderr).text()).toContain("not acknowledged");
    } finally {
      stalled.kill("SIGKILL");
      fs.closeSync(readEnd);
    }
    await bg.ok(["close", id]);
  });
});

describe("exec beyond retention", () => {
  test("output larger than --max-buffer: its tail, marked truncated", async () => {
    const id = await bg.start(["--max-buffer", "64K", "sh"]);
    const text = await bg.run(["exec", id, "seq 1 100000 | tail -c 100000"]);
    expect(text.code).toBe(0);
    expect(text.text).toContain("99999\n100000\n");
    expect(text.text.length).toBeGreaterThan(30_000);
    expect(text.stderr).toContain("outgrew the session's retention");
    const json = JSON.parse((await bg.run(["exec", id, "--json", "seq 1 100000 | tail -c 100000"])).text);
    expect(json.exit_code).toBe(0);
    expect(json.truncated).toBe(true);
    expect(json.omitted_bytes).toBeGreaterThan(0);
    expect(json.output.length + json.omitted_bytes).toBeGreaterThanOrEqual(100_000);
    // A small output is whole and not marked.
    const small = JSON.parse((await bg.run(["exec", id, "--json", "echo small"])).text);
    expect([small.output, small.truncated, small.omitted_bytes]).toEqual(["small\n", false, 0]);
    await bg.ok(["close", id]);
  });
});

describe("durations", () => {
  test("a duration a timer cannot hold is a usage error", async () => {
    const id = await bg.start(["cat"]);
    for (const args of [
      ["wait", id, "--timeout", "9999999999"],
      ["poll", id, "--yield", "2147483648"],
      ["start", "--ready-timeout", "9999999999", "--ready", "x", "cat"],
    ]) {
      const result = await bg.run(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
    }
    expect((await bg.run(["poll", id, "--yield", "0"])).code).toBe(0);
    await bg.ok(["close", id]);
  });
});
