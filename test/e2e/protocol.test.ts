// The supervisor protocol is versioned: a client opens with hello, a request
// the supervisor does not know gets an error reply at once, and a client that
// meets a supervisor of another version says which and what to do. Frames are
// written by hand here, byte for byte, as another bgterm version would.
import { afterAll, beforeAll, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { Bg, eventually, processAlive } from "../helpers.ts";
import { PROTOCOL_VERSION } from "../../src/shared/protocol.ts";

const bg = new Bg();
let id = "";
afterAll(() => bg.cleanup());

beforeAll(async () => {
  id = await bg.start(["cat"]);
});

const socketOf = (session: string) => path.join(bg.stateDir, "sessions", session, "sock");

function frame(header: object): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(8);
  head.writeUInt32LE(json.length, 0);
  head.writeUInt32LE(0, 4);
  return Buffer.concat([head, json]);
}

// Sends raw frames on one connection; resolves with the first reply's header,
// or {timedOut: true} when none comes within the deadline.
async function exchange(socketPath: string, frames: Buffer[], timeoutMs = 10_000): Promise<any> {
  return (await replies(socketPath, frames, 1, timeoutMs))[0] ?? { timedOut: true };
}

test("an unknown request gets an immediate error reply naming it and the protocol version", async () => {
  const reply = await exchange(socketOf(id), [frame({ op: "frobnicate", x: 1 })]);
  expect(reply).toEqual({
    op: "error",
    code: 1,
    message: `unknown request 'frobnicate' (supervisor protocol v${PROTOCOL_VERSION})`,
  });
  // A frame without an op is unknown too, and the session is unharmed.
  expect((await exchange(socketOf(id), [frame({ nothing: true })])).message).toBe(
    `unknown request 'undefined' (supervisor protocol v${PROTOCOL_VERSION})`,
  );
  expect(await bg.ok(["send", id, "still here", "--until", "still here"])).toContain("still here");
});

test("a known request with a bad field gets an error reply naming the field; nothing is touched", async () => {
  const cases: [object, string][] = [
    [{ op: "resize", cols: 0, rows: 10 }, "bad request 'resize': cols must be 1 to 1000"],
    [{ op: "resize", cols: "80", rows: 10 }, "bad request 'resize': cols must be 1 to 1000"],
    [{ op: "ack" }, "bad request 'ack': to is missing"],
    [{ op: "poll", reader: "default", yield_ms: -1, idle_ms: 0 }, "bad request 'poll': yield_ms must be milliseconds"],
    [{ op: "subscribe", from: 1.5 }, "bad request 'subscribe': from must be an offset"],
  ];
  for (const [request, message] of cases) {
    expect(await exchange(socketOf(id), [frame(request)])).toEqual({ op: "error", code: 2, message });
  }
  // A reader name is checked before any path is built from it.
  const traversal = await exchange(socketOf(id), [
    frame({ op: "poll", reader: "../../escape", yield_ms: 0, idle_ms: 0 }),
  ]);
  expect(traversal.message).toStartWith("invalid reader name");
  expect(fs.existsSync(path.join(bg.stateDir, "sessions", "escape"))).toBe(false);
  expect((await bg.json(["info", id])).cols).toBe(80);
});

test("hello is answered with the supervisor's protocol version, whatever the client's", async () => {
  expect(await exchange(socketOf(id), [frame({ op: "hello", protocol: 1 })])).toEqual({
    op: "hello",
    protocol: PROTOCOL_VERSION,
  });
  expect(await exchange(socketOf(id), [frame({ op: "hello", protocol: 99 })])).toEqual({
    op: "hello",
    protocol: PROTOCOL_VERSION,
  });
});

// A frame with a payload (input), as frame() lays it out.
function frameWith(header: object, payload: Buffer): Buffer {
  const bytes = frame(header);
  bytes.writeUInt32LE(payload.length, 4);
  return Buffer.concat([bytes, payload]);
}

// Sends raw frames on one connection; resolves with the headers of the first
// `count` replies (fewer if the supervisor closes or the deadline passes).
async function replies(socketPath: string, frames: Buffer[], count: number, timeoutMs = 10_000): Promise<any[]> {
  let received = Buffer.alloc(0);
  const headers: any[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const socket = await Bun.connect({
    unix: socketPath,
    socket: {
      data(_socket, chunk) {
        received = Buffer.concat([received, chunk]);
        while (received.length >= 8) {
          const headerBytes = received.readUInt32LE(0);
          const total = 8 + headerBytes + received.readUInt32LE(4);
          if (received.length < total) break;
          headers.push(JSON.parse(received.toString("utf8", 8, 8 + headerBytes)));
          received = received.subarray(total);
        }
        if (headers.length >= count) done();
      },
      close: () => done(),
    },
  });
  // One write: the requests arrive behind hello as a pipelining client sends them.
  socket.write(Buffer.concat(frames));
  const timer = setTimeout(() => done(), timeoutMs);
  await finished;
  clearTimeout(timer);
  socket.end();
  return headers;
}

test("after a hello of another version, every request on that connection is refused, none served", async () => {
  const marker = `pipelined-${process.pid}`;
  const got = await replies(
    socketOf(id),
    [
      frame({ op: "hello", protocol: 99 }),
      frameWith({ op: "input" }, Buffer.from(`${marker}\r`)),
      frame({ op: "resize", cols: 100, rows: 30 }),
    ],
    3,
  );
  const refusal = {
    op: "error",
    code: 1,
    message: `refused: this connection's hello said protocol v99, this supervisor speaks v${PROTOCOL_VERSION}`,
  };
  expect(got).toEqual([{ op: "hello", protocol: PROTOCOL_VERSION }, refusal, refusal]);
  // Neither the input nor the resize reached the session; a matching hello is served as before.
  expect((await bg.json(["info", id])).cols).toBe(80);
  const after = await replies(
    socketOf(id),
    [frame({ op: "hello", protocol: PROTOCOL_VERSION }), frame({ op: "resize", cols: 80, rows: 24 })],
    2,
  );
  expect(after).toEqual([{ op: "hello", protocol: PROTOCOL_VERSION }, { op: "ok" }]);
  expect(await bg.ok(["send", id, "probe", "--until", "probe"])).toContain("probe");
  expect(await bg.ok(["read", id, "--from", "0"])).not.toContain(marker);
});

// Puts a fake supervisor of another version on the session's socket path for
// the duration of `body`, with the real socket moved aside.
async function withFakeSupervisor(
  session: string,
  answer: (header: any) => object,
  body: () => Promise<void>,
): Promise<void> {
  const real = socketOf(session);
  const aside = `${real}.real`;
  fs.renameSync(real, aside);
  const fake = Bun.listen({
    unix: real,
    socket: {
      data(socket, chunk) {
        const buffer = Buffer.from(chunk);
        socket.write(frame(answer(JSON.parse(buffer.toString("utf8", 8, 8 + buffer.readUInt32LE(0))))));
      },
    },
  });
  try {
    await body();
  } finally {
    fake.stop(true);
    if (fs.existsSync(aside)) fs.renameSync(aside, real);
  }
}

test("a client meeting a supervisor of another version says which and what to do", async () => {
  await withFakeSupervisor(
    id,
    () => ({ op: "hello", protocol: 7 }),
    async () => {
      const result = await bg.run(["poll", id, "--yield", "0"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `bgterm: session ${id} was started by another bgterm version (its supervisor speaks protocol v7, this bgterm v${PROTOCOL_VERSION}): use the bgterm binary that started it, or close the session (bgterm close ${id})\n`,
      );
    },
  );
  // A supervisor that does not know hello at all answers with an error.
  await withFakeSupervisor(
    id,
    (header) => ({ op: "error", code: 1, message: `unknown request '${header.op}'` }),
    async () => {
      const result = await bg.run(["send", id, "x"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("its supervisor speaks an older protocol");
    },
  );
});

test("close works on a session whose supervisor speaks another version", async () => {
  const other = await bg.start(["cat"]);
  const meta = JSON.parse(fs.readFileSync(path.join(bg.stateDir, "sessions", other, "meta.json"), "utf8"));
  await withFakeSupervisor(
    other,
    () => ({ op: "hello", protocol: 7 }),
    async () => {
      const result = await bg.run(["close", other]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    },
  );
  // The old supervisor is told to go; it and the child are gone within a bound.
  await eventually(() => !processAlive(meta.supervisor_pid), "the supervisor to exit");
  await eventually(() => !processAlive(meta.pid), "the child to exit");
  expect(fs.existsSync(path.join(bg.stateDir, "sessions", other))).toBe(false);
});

test("quiet input gets no ok; the poll that follows says where the input began", async () => {
  const payload = Buffer.from("quiet-probe\r");
  const json = Buffer.from(JSON.stringify({ op: "input", quiet: true }));
  const head = Buffer.alloc(8);
  head.writeUInt32LE(json.length, 0);
  head.writeUInt32LE(payload.length, 4);
  const endBefore = (await bg.json(["info", id])).end_offset;
  const got = await replies(
    socketOf(id),
    [
      frame({ op: "hello", protocol: PROTOCOL_VERSION }),
      Buffer.concat([head, json, payload]),
      frame({
        op: "poll",
        reader: "quiet-test",
        yield_ms: 10_000,
        idle_ms: 0,
        until: { source: "quiet-probe[^]*quiet-probe", flags: "" },
        since_input: true,
      }),
    ],
    3,
  );
  const ops = got.map((header) => header.op);
  expect(ops[0]).toBe("hello");
  expect(ops).not.toContain("ok");
  const done = got.find((header) => header.op === "done");
  expect(done?.matched).toBe(true);
  expect(done.input_end).toBe(endBefore);
});
