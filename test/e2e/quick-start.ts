// The README's quick start, from a fresh session each time (settle tests).
import { expect } from "bun:test";
import type { Bg } from "../helpers.ts";

export async function quickStart(runs: number, bg: Bg): Promise<void> {
  for (let run = 0; run < runs; run++) {
    const id = await bg.start(["python3"]);
    try {
      const out = await bg.ok(["send", id, "2+2", "--plain"]);
      expect(out).toMatch(/^4$/m);
      expect(out).toMatch(/>>> $/);
    } finally {
      await bg.ok(["close", id]);
    }
  }
}
