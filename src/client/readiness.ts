// start --ready*, wait --ready: return only once the session is ready.
// Readiness is watched without moving any cursor. The output pattern and the
// child's exit are events from the supervisor; a file is watched with inotify
// (fs.watch); a TCP port (a listener owned by a process of this session, read
// from /proc) and a URL (GET answering 2xx) have no event to wait on, so they
// are probed with a backoff.
import fs from "node:fs";
import path from "node:path";
import { BgtermError, EXIT, timeoutError } from "../errors.ts";
import type { SessionFiles } from "../shared/session-files.ts";
import { PlainFilter } from "../text/plain.ts";
import { outputTail, withRetainedOutput } from "./offline.ts";
import { connect, waitExitLive, waitForSupervisorExit, watchLive } from "./requests.ts";
import type { ReadyCheck } from "../shared/lifecycle.ts";
import { httpOk, portOwnedBySession } from "../shared/probes.ts";

export type { ReadyCheck };

const TAIL_BYTES = 2048;
const PROBE_BACKOFF_MS = [5, 10, 20, 40, 80, 100, 200];
// One --ready-url attempt's time limit.
const URL_ATTEMPT_MS = 2000;

// The session was not ready: the error carries the program's last output as
// plain text, since it usually says why (main prints it above the message).
function notReady(files: SessionFiles, code: number, message: string): BgtermError {
  const plain = new PlainFilter();
  const tail = outputTail(files, TAIL_BYTES);
  const detail = Buffer.concat([plain.push(tail), plain.flush()])
    .toString("utf8")
    .trimEnd();
  return new BgtermError(code, message, detail ? { detail } : undefined);
}

// Probes until `probe` answers true (or the wait is stopped), backing off to 200 ms.
async function probeUntil(probe: () => boolean | Promise<boolean>, stop: { done: boolean }): Promise<void> {
  for (let round = 0; !stop.done; round++) {
    if (await probe()) return;
    await Bun.sleep(PROBE_BACKOFF_MS[Math.min(round, PROBE_BACKOFF_MS.length - 1)]!);
  }
}

// A listener on the port counts only if a process of this session holds it
// (the session's child leads the terminal session; restarts change its pid).
function portReady(files: SessionFiles, port: number, stop: { done: boolean }): Promise<void> {
  return probeUntil(() => {
    const meta = files.readMeta();
    return meta !== undefined && portOwnedBySession(port, meta.pid);
  }, stop);
}

function urlReady(url: string, stop: { done: boolean }): Promise<void> {
  return probeUntil(() => httpOk(url, URL_ATTEMPT_MS), stop);
}

function fileReady(file: string, stop: { done: boolean }): Promise<void> {
  return new Promise((resolve) => {
    const dir = path.dirname(file);
    let watcher: fs.FSWatcher | undefined;
    const check = () => {
      if (stop.done || fs.existsSync(file)) {
        watcher?.close();
        resolve();
      }
    };
    try {
      watcher = fs.watch(dir, check);
    } catch {
      // The directory does not exist yet: fall back to the parent's events.
      watcher = fs.watch(path.dirname(dir), check);
    }
    check();
  });
}

// Resolves once ready; throws 124 on timeout, 4 if the program exits first.
// A program that got ready and then exited was ready, however fast it went:
// what it left (its output matching, the file) says so once it is gone.
export async function waitUntilReady(files: SessionFiles, check: ReadyCheck, timeoutMs: number): Promise<void> {
  try {
    await watchReady(files, check, timeoutMs);
  } catch (error) {
    if (error instanceof BgtermError && error.exitCode === EXIT.notRunning && readyInRecord(files, check)) return;
    throw error;
  }
}

// Did the ended program's retained output match the pattern, or make the file?
// (A port or URL check cannot be answered once the program is gone.)
function readyInRecord(files: SessionFiles, check: ReadyCheck): boolean {
  if (check.kind === "file") return fs.existsSync(check.file);
  if (check.kind !== "regex") return false;
  try {
    const bytes = withRetainedOutput(files, (ring) => {
      const end = files.readEnd();
      return ring.read(ring.retainedStart(end), end);
    });
    const plain = new PlainFilter();
    const text = Buffer.concat([plain.push(bytes), plain.flush()]).toString("utf8");
    return new RegExp(check.pattern.source, check.pattern.flags).test(text);
  } catch {
    return false;
  }
}

async function watchReady(files: SessionFiles, check: ReadyCheck, timeoutMs: number): Promise<void> {
  const channel = await connect(files).catch(() => undefined);
  const exitWatch = await connect(files).catch(() => undefined);
  const exitedBeforeReady = (code: number | null | undefined) =>
    notReady(files, EXIT.notRunning, `session ${files.id} exited (code ${code ?? "unknown"}) before it was ready`);
  if (!channel || !exitWatch) {
    channel?.end();
    exitWatch?.end();
    waitForSupervisorExit(files);
    throw exitedBeforeReady(files.readStatus()?.exit_code);
  }
  const stop = { done: false };
  const discard = { write() {} };
  let timer: Timer | undefined;
  try {
    const exited = waitExitLive(files, exitWatch).catch(() => null);
    const ready =
      check.kind === "regex"
        ? watchLive(
            files,
            channel,
            { since: 0, until: check.pattern, match_raw: check.raw, yield_ms: timeoutMs, idle_ms: 0 },
            discard,
          ).then((result) => result.matched === true)
        : (check.kind === "port"
            ? portReady(files, check.port, stop)
            : check.kind === "url"
              ? urlReady(check.url, stop)
              : fileReady(check.file, stop)
          ).then(() => true);
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    // A supervisor that leaves mid-watch has finished: the files say how.
    const outcome = await Promise.race([
      ready.then((ok) => (ok ? "ready" : "not-ready")),
      exited.then((code) => ({ code })),
      timeout,
    ]).catch(() => "gone" as const);
    if (outcome === "ready") return;
    if (outcome !== "timeout") {
      let code = typeof outcome === "object" ? outcome.code : null;
      // The supervisor left without a word: once it is gone, its files are final.
      if (outcome === "gone" || (typeof outcome === "object" && code === null)) waitForSupervisorExit(files);
      const status = files.readStatus();
      code ??= status?.exit_code ?? null;
      if (code !== null || status) throw exitedBeforeReady(code);
    }
    throw notReady(
      files,
      EXIT.timeout,
      `session ${files.id} was not ready after ${timeoutMs} ms (it is still running)`,
    );
  } finally {
    clearTimeout(timer);
    stop.done = true;
    channel.end();
    exitWatch.end();
  }
}

// start --settle: the first settled state (output quiet, nothing on a CPU,
// the program waiting for input), without moving any cursor. 124 on timeout;
// a program that exits first is simply settled.
export async function waitUntilSettled(files: SessionFiles, timeoutMs: number): Promise<void> {
  const channel = await connect(files);
  if (!channel) return;
  try {
    const result = await watchLive(
      files,
      channel,
      { since: 0, yield_ms: timeoutMs, idle_ms: 150, settle: true, wants_input: true },
      { write: () => {} },
    );
    if (result.running && result.to === 0) {
      throw timeoutError(`session ${files.id} printed nothing within ${timeoutMs} ms (it keeps running)`);
    }
  } finally {
    channel.end();
  }
}
