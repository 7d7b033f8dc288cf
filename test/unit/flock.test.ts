// withLock holds the lock for exactly as long as its function runs, including
// an async function's promise (the session lock orders a client's offline
// reads after a supervisor's last writes).
import { afterAll, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isLocked, withLock } from "../../src/shared/flock.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-flock-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const lockFile = path.join(dir, "lock");

test("a sync function runs under the lock; the lock is free afterwards, also after a throw", () => {
  expect(withLock(lockFile, () => isLocked(lockFile))).toBe(true);
  expect(isLocked(lockFile)).toBe(false);
  expect(() =>
    withLock(lockFile, () => {
      throw new Error("boom");
    }),
  ).toThrow("boom");
  expect(isLocked(lockFile)).toBe(false);
});

test("an async function keeps the lock until its promise settles, resolved or rejected", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held = withLock(lockFile, async () => {
    await gate;
    return 42;
  });
  expect(isLocked(lockFile)).toBe(true);
  release();
  expect(await held).toBe(42);
  expect(isLocked(lockFile)).toBe(false);
  await expect(
    withLock(lockFile, async () => {
      await Bun.sleep(0);
      throw new Error("late");
    }),
  ).rejects.toThrow("late");
  expect(isLocked(lockFile)).toBe(false);
});
