// Where a client's output goes (issue 15 #14, #19): a write that fails fails
// the command and leaves the cursor; a client killed mid-write leaves no NUL
// bytes in the file it was writing.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { BIN, Bg } from "../helpers.ts";
import { haveStrace } from "./streams.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

describe("stdout", () => {
  test("closed stdout: poll and send fail, and the output stays unread", async () => {
    const id = await bg.start(["sh", "-c", "echo hello; exec cat"]);
    await bg.readUntil(id, /hello/, 15_000, "probe");
    const closed = (args: string[]) =>
      Bun.spawn(["sh", "-c", '"$@" >&-', "sh", BIN, ...args], { env: bg.env(), stderr: "pipe" });
    const poll = closed(["poll", id, "--yield", "0"]);
    expect(await poll.exited).toBe(1);
    expect(await new Response(poll.stderr).text()).toContain("standard output is closed");
    const send = closed(["send", id, "again", "--until", "again\\n.*again"]);
    expect(await send.exited).toBe(1);
    // Nothing was consumed: the default reader still has all of it.
    expect(await bg.ok(["read", id])).toBe("hello\r\nagain\r\nagain\r\n");
    // Redirecting to /dev/null on purpose is still a successful read.
    expect((await bg.run(["poll", id, "--yield", "0"])).code).toBe(0);
    await bg.ok(["close", id]);
  });

  test("a client killed between its writes leaves no NUL bytes in the file", async () => {
    if (!haveStrace()) return void console.warn("skipped: strace is not installed");
    const id = await bg.start(["sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' y; echo; echo END; exec cat"]);
    await bg.readUntil(id, /END/, 15_000, "probe");
    const out = path.join(bg.stateDir, "out.txt");
    for (const when of [1, 2, 3]) {
      fs.rmSync(out, { force: true });
      // Killed as it starts its `when`-th write to the file.
      const traced = Bun.spawn(
        [
          "sh",
          "-c",
          `exec strace -qq -o /dev/null -f -P "$0" -e trace=write -e inject=write:signal=SIGKILL:when=${when} "$@" > "$0"`,
          out,
          BIN,
          "read",
          id,
        ],
        { env: bg.env(), stderr: "ignore" },
      );
      await traced.exited;
      const bytes = fs.readFileSync(out);
      expect({ when, nul: bytes.indexOf(0) }).toEqual({ when, nul: -1 });
    }
    // And nothing was acknowledged: the whole output is still unread.
    expect((await bg.run(["read", id])).stdout.length).toBe(1_000_000 + 7);
    await bg.ok(["close", id]);
  });
});
