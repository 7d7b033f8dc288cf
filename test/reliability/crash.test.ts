// Supervisor SIGKILL at any point of an output append: a read afterwards
// serves only bytes the program really wrote at those offsets (issue 15 #1).
import { afterAll, describe, expect, test } from "bun:test";
import { Bg } from "../helpers.ts";
import { haveStrace, killAtEndWrite, startStream, verifyAfterKill, waitForOutput } from "./streams.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

describe("supervisor killed mid-append", () => {
  test("killed at each write of the end file (strace): every served byte is right", async () => {
    if (!haveStrace()) {
      console.warn("skipped: strace is not installed");
      return;
    }
    // Successive writes of the end file alternate between "shrink the window"
    // and "move the end"; killing at 1..4 hits both, twice.
    for (const when of [1, 2, 3, 4]) {
      // Larger than any one PTY read, so a kill mid-append leaves bytes to check.
      const { id, supervisor } = await startStream(bg, "64K");
      await waitForOutput(bg, id, 131072); // the ring has wrapped: appends overwrite
      await killAtEndWrite(bg, id, supervisor, when);
      const { served, bad } = await verifyAfterKill(bg, id, supervisor);
      expect({ when, bad }).toEqual({ when, bad: 0 });
      expect(served).toBeGreaterThan(0);
      await bg.ok(["close", id]);
    }
  });

  test("random kills over a checksummed stream: 0 bad bytes", async () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 6; round++) {
      const { id, supervisor } = await startStream(bg, "4K", 16, 0);
      await waitForOutput(bg, id, 8192 + Math.floor(random() * 8192));
      process.kill(supervisor, "SIGKILL");
      const { bad } = await verifyAfterKill(bg, id, supervisor);
      expect({ round, bad }).toEqual({ round, bad: 0 });
      await bg.ok(["close", id]);
    }
  });
});
