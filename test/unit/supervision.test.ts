// The pure parts of reading: when a waiting poll returns (decideWait), which
// bytes one read hands out (planDelivery), the ring's offset arithmetic, and
// how `start`'s words become an argv.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { commandArgv } from "../../src/client/command-line.ts";
import { planDelivery } from "../../src/shared/delivery.ts";
import { OutputRing } from "../../src/shared/ring.ts";
import { countNewlines } from "../../src/shared/session-files.ts";
import { decideWait } from "../../src/supervisor/wait-condition.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-unit-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// A ring of `capacity` bytes holding `stream` written in the given pieces.
function ringWith(capacity: number, stream: Buffer, pieces = 1): OutputRing {
  const ring = OutputRing.open(path.join(dir, `ring-${Math.random()}`), capacity, true);
  const size = Math.ceil(stream.length / pieces);
  for (let at = 0; at < stream.length; at += size) ring.write(stream.subarray(at, at + size), at);
  return ring;
}

describe("decideWait", () => {
  const facts = { condition: false, quietForMs: 0, idleMs: 0, running: true, remainingMs: 1000 };

  test("nothing yet: wake when the yield ends", () => {
    expect(decideWait(facts)).toEqual({ deliver: false, wakeInMs: 1000 });
  });

  test("the condition holds and no quiet period is asked: deliver", () => {
    expect(decideWait({ ...facts, condition: true })).toEqual({ deliver: true });
  });

  test("the condition holds but output is not quiet yet: wake when it would be", () => {
    expect(decideWait({ ...facts, condition: true, idleMs: 150, quietForMs: 40.2 })).toEqual({
      deliver: false,
      wakeInMs: 110,
    });
    expect(decideWait({ ...facts, condition: true, idleMs: 150, quietForMs: 150 })).toEqual({ deliver: true });
  });

  test("the yield ending before the quiet period wins", () => {
    expect(decideWait({ ...facts, condition: true, idleMs: 500, remainingMs: 20 })).toEqual({
      deliver: false,
      wakeInMs: 20,
    });
  });

  test("the yield over, or the program gone: deliver whatever there is", () => {
    expect(decideWait({ ...facts, remainingMs: 0 })).toEqual({ deliver: true });
    expect(decideWait({ ...facts, remainingMs: -5 })).toEqual({ deliver: true });
    expect(decideWait({ ...facts, running: false })).toEqual({ deliver: true });
  });
});

describe("ring arithmetic", () => {
  test("offsets are absolute; the last `capacity` bytes are retained, wrapping in the file", () => {
    const stream = Buffer.from("abcdefghijklmnopqrstuvwxyz");
    const ring = ringWith(10, stream, 4);
    expect(ring.retainedStart(26)).toBe(16);
    expect(ring.retainedStart(7)).toBe(0);
    expect(ring.read(16, 26).toString()).toBe("qrstuvwxyz");
    expect(ring.read(19, 22).toString()).toBe("tuv"); // across the file's end
    ring.close();
  });

  test("a chunk larger than the ring keeps only its tail", () => {
    const ring = ringWith(4, Buffer.from("0123456789"));
    expect(ring.read(6, 10).toString()).toBe("6789");
    ring.close();
  });

  test("chunks() covers [from, to) in pieces of at most `size`", () => {
    const ring = ringWith(8, Buffer.from("abcdefghijkl"));
    const pieces = [...ring.chunks(5, 12, 3)].map(({ at, bytes }) => [at, bytes.toString()]);
    expect(pieces).toEqual([
      [5, "fgh"],
      [8, "ijk"],
      [11, "l"],
    ]);
    expect([...ring.chunks(4, 4)]).toEqual([]);
    ring.close();
  });

  test("countNewlines counts LF bytes only", () => {
    expect(countNewlines(Buffer.from("a\nb\r\n\n"))).toBe(3);
    expect(countNewlines(Buffer.from("no newline"))).toBe(0);
    expect(countNewlines(Buffer.from("xx\nyy").subarray(2))).toBe(1);
  });
});

describe("planDelivery", () => {
  const euro = Buffer.from("a€b"); // 61 e2 82 ac 62

  test("from the position to the end when nothing was dropped", () => {
    const ring = ringWith(100, Buffer.from("hello"));
    expect(planDelivery({ ring, position: 1, end: 5, final: false })).toEqual({
      from: 1,
      to: 5,
      retainedStart: 0,
      truncated: false,
    });
    ring.close();
  });

  test("a position before retention starts at the oldest retained byte, truncated", () => {
    const ring = ringWith(4, Buffer.from("0123456789"));
    expect(planDelivery({ ring, position: 2, end: 10, final: false })).toEqual({
      from: 6,
      to: 10,
      retainedStart: 6,
      truncated: true,
    });
    ring.close();
  });

  test("a limit never cuts a character while more output may come", () => {
    const ring = ringWith(100, euro);
    expect(planDelivery({ ring, position: 0, end: 5, limit: 2, final: false }).to).toBe(1);
    expect(planDelivery({ ring, position: 0, end: 5, limit: 4, final: false }).to).toBe(4);
    // A limit smaller than one character still returns that character whole, and no more.
    expect(planDelivery({ ring, position: 1, end: 5, limit: 1, final: false }).to).toBe(4);
    ring.close();
    const two = ringWith(100, Buffer.from("€€"));
    expect(planDelivery({ ring: two, position: 0, end: 6, limit: 1, final: false }).to).toBe(3);
    two.close();
  });

  test("an unfinished character at the end waits for the rest, unless the stream is final", () => {
    const ring = ringWith(100, euro.subarray(0, 3)); // "a" and the first two bytes of €
    expect(planDelivery({ ring, position: 0, end: 3, final: false }).to).toBe(1);
    expect(planDelivery({ ring, position: 1, end: 3, final: false }).to).toBe(1);
    expect(planDelivery({ ring, position: 0, end: 3, final: true }).to).toBe(3);
    ring.close();
  });
});

describe("command-line splitting", () => {
  const env = { SHELL: "/bin/zsh" };

  test("no words: the user's shell", () => {
    expect(commandArgv([], env)).toEqual(["/bin/zsh"]);
    expect(commandArgv([], {})).toEqual(["/bin/sh"]);
  });

  test("several words are the argv as given", () => {
    expect(commandArgv(["grep", "-r", "a b", "."], env)).toEqual(["grep", "-r", "a b", "."]);
  });

  test("one word with shell syntax runs in sh -c; a plain program name does not", () => {
    expect(commandArgv(["ls -l | wc -l"], env)).toEqual(["/bin/sh", "-c", "ls -l | wc -l"]);
    expect(commandArgv(["echo $HOME"], env)).toEqual(["/bin/sh", "-c", "echo $HOME"]);
    expect(commandArgv(["python3"], env)).toEqual(["python3"]);
    expect(commandArgv(["./run-me.sh"], env)).toEqual(["./run-me.sh"]);
  });
});
