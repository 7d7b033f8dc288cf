// The events file stays within its budget however long a session records
// (issue 15 #7): marks for output that retention dropped go first.
import { expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { INPUT_EVENT_BYTES, Recorder, readEvents } from "../../src/shared/events.ts";

test("the events file stays under its budget; kept marks are for retained output", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-events-"));
  try {
    const file = path.join(dir, "events");
    const budget = 8192;
    let end = 0;
    const recorder = new Recorder(file, Date.now(), budget, () => Math.max(0, end - 4096));
    let largest = 0;
    for (let i = 0; i < 5000; i++) {
      end += 100;
      recorder.output(end);
      recorder.input(Buffer.from("k")); // forces a mark, and records input
      largest = Math.max(largest, fs.statSync(file).size);
    }
    recorder.close();
    expect(largest).toBeLessThanOrEqual(budget + 200);
    const marks = readEvents(file).filter((event) => "o" in event) as { o: number }[];
    expect(marks.length).toBeGreaterThan(0);
    expect(marks.at(-1)!.o).toBe(end);
    // Marks of long-dropped output are gone (only recent ones since the last compaction remain).
    expect(marks[0]!.o).toBeGreaterThan(end - 50_000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a large input is recorded by its first bytes and a count", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-events-"));
  try {
    const file = path.join(dir, "events");
    const recorder = new Recorder(file, Date.now());
    recorder.input(Buffer.alloc(1_000_000, 120));
    recorder.input(Buffer.alloc(500_000, 120), true);
    recorder.close();
    const inputs = readEvents(file) as { i: string; n?: number }[];
    expect(inputs.map((event) => [event.i.length, event.n])).toEqual([
      [INPUT_EVENT_BYTES, 1_000_000 - INPUT_EVENT_BYTES],
      [0, 500_000],
    ]);
    expect(fs.statSync(file).size).toBeLessThan(2 * INPUT_EVENT_BYTES);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
