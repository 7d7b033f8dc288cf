// Input under load (issue 15 #7, #15): concurrent pastes go in whole, and a
// big paste leaves a bounded events file.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { BIN, Bg, eventually } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

// Runs of equal bytes: "aaabbb" -> ["a", "b"].
function runs(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i++)
    if (i === 0 || bytes[i] !== bytes[i - 1]) out.push(String.fromCharCode(bytes[i]!));
  return out;
}

describe("pastes", () => {
  test("two concurrent 2 MB pastes each go in whole", async () => {
    const sink = path.join(bg.stateDir, "sink");
    const id = await bg.start(["sh", "-c", `stty raw -echo; exec cat > ${sink}`]);
    await eventually(() => fs.existsSync(sink), "cat to open its file");
    const size = 2 * 1024 * 1024;
    const sends = ["a", "b", "c"].map((letter) =>
      Bun.spawn([BIN, "send", id, "--stdin", "--yield", "0"], {
        env: bg.env(),
        stdin: Buffer.alloc(size, letter),
        stdout: "ignore",
        stderr: "pipe",
      }),
    );
    const codes = await Promise.all(sends.map((send) => send.exited));
    expect(codes).toEqual([0, 0, 0]);
    await eventually(() => fs.statSync(sink).size >= 3 * size, "every byte to reach cat", 30_000);
    const written = fs.readFileSync(sink);
    expect(written.length).toBe(3 * size);
    expect(runs(written).sort().join("")).toBe("abc");
    await bg.ok(["close", id]);
  });

  test("a 20 MB paste with a 64K buffer leaves a small events file", async () => {
    const id = await bg.start(["--max-buffer", "64K", "sh", "-c", "stty raw -echo; exec cat > /dev/null"]);
    await bg.ok(["send", id, "--stdin", "--yield", "0"], { stdin: Buffer.alloc(20 * 1024 * 1024, "p") });
    const events = path.join(bg.stateDir, "sessions", id, "events");
    expect(fs.statSync(events).size).toBeLessThanOrEqual(256 * 1024);
    expect((await bg.run(["export", id])).code).toBe(0);
    await bg.ok(["close", id]);
  });
});
