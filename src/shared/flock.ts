// Advisory file locks (flock(2) through libc). Two uses: the state-wide lock that
// makes id and name allocation atomic, and the lock a supervisor holds for its
// whole life, which tells clients it is alive (the kernel drops it on any death,
// so a reused pid can never look like a live supervisor).
import fs from "node:fs";
import { BgtermError, EXIT } from "../errors.ts";
import { openPrivate } from "./private-fs.ts";

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const EWOULDBLOCK = 11;

// bun:ffi costs ~1 ms to load, and most client calls never take a lock: it
// loads on the first lock taken.
type Ffi = typeof import("bun:ffi");
let ffi: Ffi | undefined;
const loadFfi = (): Ffi => (ffi ??= import.meta.require("bun:ffi") as Ffi);

let libc: ReturnType<typeof openLibc> | undefined;
function openLibc() {
  const { dlopen, FFIType } = loadFfi();
  return dlopen("libc.so.6", {
    flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  });
}

function flock(fd: number, operation: number): number {
  libc ??= openLibc();
  return libc.symbols.flock(fd, operation);
}

function lastErrno(): number {
  libc ??= openLibc();
  const pointer = libc.symbols.__errno_location();
  return pointer ? loadFfi().read.i32(pointer, 0) : 0;
}

// An open lock file; release() closes it, which also drops the lock.
export interface HeldLock {
  fd: number;
  release(): void;
}

// An existing lock file is opened read-only (enough for flock, and possible on
// a read-only state dir); a missing one is created.
function openLockFile(file: string): number {
  try {
    return fs.openSync(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return openPrivate(file, "a");
  }
}

function acquire(file: string, wait: boolean, readOnly = false): HeldLock | undefined {
  // flock works on a read-only descriptor: probing a lock needs no write access
  // (a read-only state dir stays listable).
  const fd = readOnly ? fs.openSync(file, "r") : openLockFile(file);
  for (;;) {
    if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) === 0) break;
    const errno = lastErrno();
    if (errno === 4) continue; // EINTR: a signal arrived while blocked
    fs.closeSync(fd);
    if (!wait && errno === EWOULDBLOCK) return undefined;
    throw new BgtermError(EXIT.internal, `cannot lock ${file} (errno ${errno})`);
  }
  return {
    fd,
    release() {
      flock(fd, LOCK_UN);
      fs.closeSync(fd);
    },
  };
}

// How long a lock may stay held by someone else before we give up: a holder
// that is stopped or hung must never freeze a client for good.
export const LOCK_WAIT_MS = 10_000;

function lockBusyError(file: string, waitMs: number): BgtermError {
  return new BgtermError(
    EXIT.internal,
    `${file} is still locked after ${waitMs} ms (another bgterm process holds it: stopped or hung?)`,
  );
}

// The lock, waiting at most waitMs (retrying with a short backoff; the
// synchronous sleep only happens while another process holds the lock).
export function lockExclusive(file: string, waitMs = LOCK_WAIT_MS): HeldLock {
  const deadline = performance.now() + waitMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const lock = acquire(file, false);
    if (lock) return lock;
    if (performance.now() >= deadline) throw lockBusyError(file, waitMs);
    Bun.sleepSync(delay);
  }
}

// The same without blocking the event loop while waiting.
export async function lockWithin(file: string, waitMs = LOCK_WAIT_MS): Promise<HeldLock> {
  const deadline = performance.now() + waitMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const lock = acquire(file, false);
    if (lock) return lock;
    if (performance.now() >= deadline) throw lockBusyError(file, waitMs);
    await Bun.sleep(delay);
  }
}

// The lock, or undefined at once if another process holds it.
export function tryLockExclusive(file: string): HeldLock | undefined {
  return acquire(file, false);
}

// Runs fn while holding the lock (waiting for it first); an async fn keeps it
// until its promise settles.
export function withLock<T>(file: string, fn: () => T): T {
  const lock = lockExclusive(file);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    lock.release();
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => lock.release()) as T;
  lock.release();
  return result;
}

// True if some process holds the lock right now (without keeping it).
export function isLocked(file: string): boolean {
  let lock: HeldLock | undefined;
  try {
    lock = acquire(file, false, true);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  if (!lock) return true;
  lock.release();
  return false;
}
