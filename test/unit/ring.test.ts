// The output ring: whatever the chunk sizes and wrap-arounds, a read of any
// retained range gives the stream's bytes, whether it is served from the
// writer's copy of the newest bytes or from the file.
import { afterAll, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { OutputRing } from "../../src/shared/ring.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgterm-ring-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// A deterministic pseudo-random sequence (the failures must be reproducible).
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

for (const capacity of [1000, 20_000, 100_000]) {
  test(`reads match the stream (capacity ${capacity})`, () => {
    const next = random(capacity);
    const file = path.join(dir, `ring-${capacity}`);
    const ring = OutputRing.open(file, capacity, true);
    const endFd = fs.openSync(path.join(dir, `end-${capacity}`), "w");
    const stream: number[] = [];
    for (let round = 0; round < 150; round++) {
      const size = next() < 0.1 ? Math.floor(next() * 25_000) : Math.floor(next() * 300) + 1;
      const chunk = Buffer.alloc(size);
      for (let i = 0; i < size; i++) chunk[i] = (stream.length + i) % 251;
      ring.append(chunk, stream.length, 0, 0, endFd);
      for (const byte of chunk) stream.push(byte);
      const end = stream.length;
      const start = ring.retainedStart(end);
      for (let probe = 0; probe < 5; probe++) {
        const from = start + Math.floor(next() * (end - start));
        const to = from + Math.floor(next() * (end - from + 1));
        expect([from, to, [...ring.read(from, to)]]).toEqual([from, to, stream.slice(from, to)]);
      }
      // What just arrived, as an --until scan reads it.
      const newest = Math.max(start, end - size);
      expect([...ring.read(newest, end)]).toEqual(stream.slice(newest, end));
    }
    // A reader of the file alone (another process) sees the same bytes.
    const reader = OutputRing.open(file, capacity, false);
    const from = ring.retainedStart(stream.length);
    expect([...reader.read(from, stream.length)]).toEqual(stream.slice(from));
    ring.close();
    reader.close();
    fs.closeSync(endFd);
  });
}
