// Settled waits: send and poll return when the program is done with what it
// was given (quiet, nothing on a CPU, waiting for input), not after a bare
// quiet period; continuous output returns after --max-stream.
import { afterAll, describe, expect, test } from "bun:test";
import { Bg } from "../helpers.ts";
import { quickStart } from "./quick-start.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

describe("settled waits", () => {
  test("the quick start prints 4 and the prompt, 10 fresh runs of 10", async () => {
    await quickStart(10, bg);
  });

  test("send on a silent 2-second computation returns its result", async () => {
    const id = await bg.start(["python3", "-q"]);
    await bg.ok(["poll", id, "--until", ">>> $"]);
    const sleeping = await bg.ok(["send", id, "import time; time.sleep(2); print(6*7)", "--plain"]);
    expect(sleeping).toMatch(/^42$/m);
    const computing = await bg.ok(["send", id, "sum(range(3*10**7))", "--plain"]);
    expect(computing).toMatch(/^449999985000000$/m);
    await bg.ok(["close", id]);
  });

  test("--idle 0 keeps the bare semantics: the echo alone ends the wait", async () => {
    const id = await bg.start(["python3", "-q"]);
    await bg.ok(["poll", id, "--until", ">>> $"]);
    const bare = await bg.ok(["send", id, "import time; time.sleep(2); print(6*7)", "--idle", "0", "--plain"]);
    expect(bare).not.toMatch(/^42$/m);
    await bg.ok(["close", id]);
  });

  test("continuous output returns after --max-stream with what arrived, long before the yield", async () => {
    const id = await bg.start(["sh", "-c", "while :; do echo tick; sleep 0.01; done"]);
    // A yield far beyond the test's own timeout: only --max-stream can end it in time.
    const out = await bg.ok(["poll", id, "--yield", "600000", "--max-stream", "500"]);
    expect(out).toContain("tick");
    await bg.ok(["close", id]);
  }, 60_000);

  test("start --settle returns once the banner and the prompt are shown", async () => {
    const id = await bg.start(["--settle", "python3"]);
    const shown = await bg.ok(["read", id, "--plain"]);
    expect(shown).toMatch(/>>> $/);
    await bg.ok(["close", id]);
  });

  test("send to an integrated shell returns at its next prompt", async () => {
    const id = await bg.start(["bash"]);
    const out = await bg.ok(["send", id, "sleep 1; echo slept-$((1+1))", "--plain"]);
    expect(out).toMatch(/^slept-2$/m);
    await bg.ok(["close", id]);
  });
});
