// /proc readings: the foreground process of a terminal session, read from its
// stat file (kept open between calls) and nothing once the process is gone.
import { expect, test } from "bun:test";
import { foregroundProcess, readProcStat } from "../../src/shared/procfs.ts";
import { eventually } from "../helpers.ts";

test("a process without a terminal is its own foreground, named from its stat, until it is reaped", async () => {
  // setsid: a new session without a controlling terminal, so no other foreground group.
  const child = Bun.spawn(["setsid", "sleep", "30"]);
  try {
    await eventually(() => foregroundProcess(child.pid)?.name === "sleep", "setsid to exec sleep");
    expect(foregroundProcess(child.pid)).toEqual({ pid: child.pid, name: "sleep" });
    expect(foregroundProcess(child.pid)).toEqual({ pid: child.pid, name: "sleep" }); // from the kept stat file
    expect(readProcStat(child.pid)?.session).toBe(child.pid);
  } finally {
    child.kill();
    await child.exited;
  }
  expect(foregroundProcess(child.pid)).toBeUndefined();
  expect(readProcStat(child.pid)).toBeUndefined();
});
