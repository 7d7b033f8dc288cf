// start --ready*: return only once the session is ready. Readiness is watched
// without moving any cursor. The output pattern and the child's exit are
// events from the supervisor; a file is watched with inotify (fs.watch); only
// the TCP port has no event to wait on, so it is probed with a backoff.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { BgtermError, EXIT, timeoutError } from "../errors.ts";
import { PlainFilter } from "../text/plain.ts";
import { connect, watchLive } from "./requests.ts";
import { lockExclusive } from "../shared/flock.ts";
import { OutputRing } from "../shared/ring.ts";
import type { SessionFiles } from "../shared/session-files.ts";

export type ReadyCheck =
  | { kind: "regex"; pattern: { source: string; flags: string } }
  | { kind: "port"; port: number }
  | { kind: "file"; file: string };

const TAIL_BYTES = 2048;
const PROBE_BACKOFF_MS = [5, 10, 20, 40, 80, 100];

// The last bytes of the session's output, as plain text for a message.
function lastOutput(files: SessionFiles): string {
  const meta = files.readMeta();
  const end = files.readEnd();
  if (!meta || end === 0) return "";
  const ring = OutputRing.open(files.output, meta.max_buffer, false);
  try {
    const tail = ring.read(Math.max(ring.retainedStart(end), end - TAIL_BYTES), end);
    const plain = new PlainFilter();
    return Buffer.concat([plain.push(tail), plain.flush()]).toString("utf8");
  } finally {
    ring.close();
  }
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function portReady(port: number, stop: { done: boolean }): Promise<void> {
  for (let round = 0; !stop.done; round++) {
    const [v4, v6] = await Promise.all([tcpOpen("127.0.0.1", port), tcpOpen("::1", port)]);
    if (v4 || v6) return;
    await Bun.sleep(PROBE_BACKOFF_MS[Math.min(round, PROBE_BACKOFF_MS.length - 1)]!);
  }
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
export async function waitUntilReady(files: SessionFiles, check: ReadyCheck, timeoutMs: number): Promise<void> {
  const channel = await connect(files).catch(() => undefined);
  const exitWatch = await connect(files).catch(() => undefined);
  const fail = (error: BgtermError) => {
    // The program's last output says why; main prints it above the message.
    const tail = lastOutput(files).trimEnd();
    if (tail) error.detail = tail;
    throw error;
  };
  if (!channel || !exitWatch) {
    channel?.end();
    exitWatch?.end();
    lockExclusive(files.lock).release();
    const status = files.readStatus();
    return fail(
      new BgtermError(
        EXIT.notRunning,
        `session ${files.id} exited (code ${status?.exit_code ?? "unknown"}) before it was ready`,
      ),
    );
  }
  const stop = { done: false };
  const discard = { write() {} };
  try {
    const exited = (async () => {
      await exitWatch.send({ op: "wait_exit" });
      const frame = await exitWatch.next();
      return frame?.header.op === "exited" ? frame.header.exit_code : null;
    })();
    const ready =
      check.kind === "regex"
        ? watchLive(files, channel, { since: 0, until: check.pattern, yield_ms: timeoutMs, idle_ms: 0 }, discard).then(
            (result) => result.matched === true,
          )
        : (check.kind === "port" ? portReady(check.port, stop) : fileReady(check.file, stop)).then(() => true);
    const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs));
    // A supervisor that leaves mid-watch has finished: the files say how.
    const outcome = await Promise.race([
      ready.then((ok) => (ok ? "ready" : "not-ready")),
      exited.then((code) => ({ code })),
      timer,
    ]).catch(() => {
      lockExclusive(files.lock).release();
      return "not-ready" as const;
    });
    if (outcome === "ready") return;
    if (typeof outcome === "object" || outcome === "not-ready") {
      let code = typeof outcome === "object" ? outcome.code : null;
      if (code === null && outcome !== "not-ready") lockExclusive(files.lock).release();
      const status = files.readStatus();
      code ??= status?.exit_code ?? null;
      if (code !== null || status) {
        return fail(
          new BgtermError(
            EXIT.notRunning,
            `session ${files.id} exited (code ${code ?? "unknown"}) before it was ready`,
          ),
        );
      }
    }
    return fail(timeoutError(`session ${files.id} was not ready after ${timeoutMs} ms (it is still running)`));
  } finally {
    stop.done = true;
    channel.end();
    exitWatch.end();
  }
}
