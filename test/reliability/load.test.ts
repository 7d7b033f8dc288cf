// Load: several pollers on one chatty session, sessions started at once,
// large pastes through send --stdin, and 64 MiB of output with no reader. The
// full sizes of the same cases are in load.slow.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Bg } from "../helpers.ts";
import { floodNoReader, parallelStarts, pollerSoak } from "./load-cases.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

describe("load", () => {
  // The full sizes (20 pollers for 10 s, 100 sessions) are in load.slow.test.ts.
  test("5 clients polling one chatty session for 2 s receive its output exactly once, in order", async () => {
    await pollerSoak(bg, 5, 2_000);
  });

  test("20 sessions started in parallel from 4 shells: distinct ids, all usable, listed, all closed", async () => {
    await parallelStarts(bg, 4, 5);
  });

  for (const reader of ["cat", "a slow reader"]) {
    test(`a 10 MiB paste through send --stdin arrives complete and in order (${reader})`, async () => {
      const size = 10 * 1024 * 1024;
      const data = crypto.randomBytes(size);
      const file = path.join(bg.stateDir, `paste-${reader.length}`);
      const sink =
        reader === "cat"
          ? `head -c ${size} > ${file}`
          : `python3 -c 'import sys,time
out = open("${file}", "wb")
left = ${size}
while left:
    chunk = sys.stdin.buffer.raw.read(min(left, 4096))
    out.write(chunk); left -= len(chunk); time.sleep(0.0005)
out.close()'`;
      const id = await bg.start(["sh", "-c", `stty raw -echo; echo ready; ${sink}; echo stored`]);
      await bg.readUntil(id, /ready/);
      await bg.ok(["send", id, "--stdin", "--yield", "0"], { stdin: data });
      await bg.readUntil(id, /stored/, 120_000);
      const stored = fs.readFileSync(file);
      expect(stored.length).toBe(size);
      expect(crypto.createHash("sha256").update(stored).digest("hex")).toBe(
        crypto.createHash("sha256").update(data).digest("hex"),
      );
      await bg.ok(["close", id]);
    }, 180_000);
  }

  // 1 GiB with an 8 MiB window is in load.slow.test.ts.
  test("64 MiB of output with no reader: bounded memory, exactly the last --max-buffer bytes, exact dropped_bytes", async () => {
    await floodNoReader(bg, 64 * 1024 * 1024, 1024 * 1024, "64 MiB");
  }, 300_000);
});
