// Races and damaged state (issue 15 #3, #9, #13, #18, #21, #22): no client
// hangs, none prints a raw system error. The cases that wait out the clients'
// reply and lock bounds (unreachable supervisors, --replace racing --replace)
// are in races.slow.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { Bg, eventually, processAlive } from "../helpers.ts";
import { liveNamed, RAW, runBounded } from "./bounded.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

describe("races", () => {
  test("close --all while sessions are starting: no hang, every start accounted for", async () => {
    for (let round = 0; round < 4; round++) {
      const starts = Array.from({ length: 6 }, () => runBounded(bg, ["start", "cat"]));
      await Bun.sleep(20); // let some be mid-start: listed, no socket yet
      const close = await runBounded(bg, ["close", "--all"]);
      const results = await Promise.all(starts);
      expect(close.timedOut).toBe(false);
      expect(close.stderr).not.toMatch(RAW);
      for (const start of results) {
        expect(start.timedOut).toBe(false);
        expect(start.stderr).not.toMatch(RAW);
      }
      expect((await runBounded(bg, ["close", "--all"])).code).toBe(0);
    }
  });

  test("concurrent close of one session: every closer is answered with the first, none waits out the supervisor's linger", async () => {
    const id = await bg.start(["cat"]);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 6 }, () => runBounded(bg, ["close", id])));
    // A close left unanswered held the supervisor, and every closer, for its
    // 5 s linger bound; answered, they all end with the first one.
    expect(performance.now() - started).toBeLessThan(4000);
    for (const result of results) {
      expect(result.timedOut).toBe(false);
      expect(result.stderr).not.toMatch(RAW);
      expect([0, 3]).toContain(result.code);
    }
    expect(results.filter((r) => r.code === 0).length).toBeGreaterThanOrEqual(1);
  });

  test("--reuse racing close: no raw errors, at most one live session under the name", async () => {
    for (let round = 0; round < 4; round++) {
      await bg.start(["-n", "reused", "cat"]);
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => runBounded(bg, ["start", "-n", "reused", "--reuse", "cat"])),
        runBounded(bg, ["close", "reused"]),
      ]);
      for (const result of results) {
        expect(result.timedOut).toBe(false);
        expect(result.stderr).not.toMatch(RAW);
      }
      expect((await liveNamed(bg, "reused")).length).toBeLessThanOrEqual(1);
      await runBounded(bg, ["close", "--all"]);
    }
  });
});

describe("damaged state", () => {
  test("a corrupt meta.json: close works, close --all closes every other session fully", async () => {
    const bad = await bg.start(["sleep", "1000"]);
    const good = await bg.start(["sleep", "1001"]);
    const goodInfo = await bg.json(["info", good]);
    const badInfo = await bg.json(["info", bad]);
    fs.writeFileSync(path.join(bg.stateDir, "sessions", bad, "meta.json"), "{not json");
    const close = await runBounded(bg, ["close", "--all"]);
    expect(close.timedOut).toBe(false);
    expect(close.code).toBe(0);
    expect(fs.existsSync(path.join(bg.stateDir, "sessions", good))).toBe(false);
    expect(fs.existsSync(path.join(bg.stateDir, "sessions", bad))).toBe(false);
    await eventually(
      () => ![goodInfo.pid, goodInfo.supervisor_pid, badInfo.pid, badInfo.supervisor_pid].some(processAlive),
      "every process of both sessions to end",
    );
  });

  test("a deleted session folder: close --all still ends its supervisor and child", async () => {
    const id = await bg.start(["sleep", "1002"]);
    const info = await bg.json(["info", id]);
    fs.rmSync(path.join(bg.stateDir, "sessions", id), { recursive: true, force: true });
    const close = await runBounded(bg, ["close", "--all"]);
    expect(close.timedOut).toBe(false);
    expect(close.code).toBe(0);
    await eventually(() => !processAlive(info.pid) && !processAlive(info.supervisor_pid), "the orphans to end");
  });

  test("wait on a lost session says it is lost", async () => {
    const id = await bg.start(["sleep", "1003"]);
    const info = await bg.json(["info", id]);
    process.kill(info.supervisor_pid, "SIGKILL");
    await eventually(() => !processAlive(info.supervisor_pid), "the supervisor to die");
    const wait = await runBounded(bg, ["wait", id]);
    expect(wait.code).toBe(4);
    expect(wait.stderr).toContain("is lost");
    await bg.ok(["close", id]);
  });
});

describe("socket paths", () => {
  test("a state dir far past the 107-byte sun_path limit works; one past PATH_MAX fails clearly", async () => {
    const root = fs.mkdtempSync(path.join(bg.stateDir, "long-"));
    const segment = "d".repeat(100);
    const long = path.join(root, segment, segment, segment, "s"); // socket path > 300 bytes
    const ok = new Bg(long);
    try {
      const id = await ok.start(["cat"]);
      expect(path.join(long, "sessions", id, "sock").length).toBeGreaterThan(300);
      expect(await ok.ok(["send", id, "far", "--until", "far\\n.*far"])).toContain("far");
      await ok.ok(["close", id]);
    } finally {
      await ok.cleanup().catch(() => {});
    }
    const tooLong = path.join(root, ...Array.from({ length: 40 }, () => segment));
    const result = await new Bg(tooLong).run(["start", "cat"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("state directory path is too long");
    fs.rmSync(root, { recursive: true, force: true });
  });
});
