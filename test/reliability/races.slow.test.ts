// The slow races and unreachable supervisors (issue 15 #3, #17, the socket half
// of #4): clients that wait out the 5 s and 10 s reply and lock bounds. No
// client hangs, none prints a raw system error. The quick races are in
// races.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { Bg, eventually, processAlive } from "../helpers.ts";
import { liveNamed, RAW, runBounded } from "./bounded.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

describe("races", () => {
  test("--replace racing --replace: one live session under the name, no raw errors", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () => runBounded(bg, ["start", "-n", "web", "--replace", "cat"])),
    );
    for (const result of results) {
      expect(result.timedOut).toBe(false);
      expect(result.stderr).not.toMatch(RAW);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^\d+\n$/);
    }
    expect(await liveNamed(bg, "web")).toHaveLength(1);
    await bg.ok(["close", "web"]);
  });
});

describe("unreachable supervisors", () => {
  test("a stopped supervisor: every client gives up with a clear error; close still closes", async () => {
    const id = await bg.start(["cat"]);
    const info = await bg.json(["info", id]);
    process.kill(info.supervisor_pid, "SIGSTOP");
    try {
      const clients = await Promise.all([
        runBounded(bg, ["poll", id, "--yield", "100"]),
        runBounded(bg, ["read", id]),
        runBounded(bg, ["send", id, "x", "--yield", "100"]),
        runBounded(bg, ["screen", id]),
      ]);
      for (const client of clients) {
        expect(client.timedOut).toBe(false);
        expect(client.code).toBe(1);
        expect(client.stderr).toContain("did not answer");
        expect(client.stderr).toContain("stopped");
      }
      const close = await runBounded(bg, ["close", id]);
      expect(close.timedOut).toBe(false);
      expect(close.code).toBe(0);
      await eventually(() => !processAlive(info.pid) && !processAlive(info.supervisor_pid), "the session to end");
    } finally {
      if (processAlive(info.supervisor_pid)) process.kill(info.supervisor_pid, "SIGCONT");
    }
  });

  test("a deleted socket file: poll gives up clearly, close still closes", async () => {
    const id = await bg.start(["cat"]);
    const info = await bg.json(["info", id]);
    fs.rmSync(path.join(bg.stateDir, "sessions", id, "sock"));
    const poll = await runBounded(bg, ["poll", id, "--yield", "0"]);
    expect(poll.timedOut).toBe(false);
    expect(poll.code).toBe(1);
    expect(poll.stderr).toContain("does not answer");
    const close = await runBounded(bg, ["close", id]);
    expect(close.timedOut).toBe(false);
    expect(close.code).toBe(0);
    await eventually(() => !processAlive(info.pid) && !processAlive(info.supervisor_pid), "the session to end");
  });
});
