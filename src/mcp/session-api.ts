// The MCP server's one door to sessions: the client API (src/client/api.ts),
// plus the few session facts the tools show (labels, the output's tail, the
// foreground process, the exit code for the server's exit watchers).
import fs from "node:fs";
import { BgtermError, EXIT } from "../errors.ts";
import { outputTail } from "../client/offline.ts";
import type { SessionRecord } from "../client/record.ts";
import { resolveSession, sessionLabels, sessionState } from "../client/registry.ts";
import { waitForExit } from "../client/requests.ts";
import * as api from "../client/api.ts";
import { foregroundProcess } from "../shared/procfs.ts";
import type { ScreenOptions, ScreenSnapshot } from "../shared/screen-model.ts";
import type { SessionFiles } from "../shared/session-files.ts";

export type { SessionFiles, SessionRecord, ScreenSnapshot };
export { resolveSession, sessionState };

// Records, as the API's info and list give them (they wait for the
// confirmations of kept-connection reads, so the cursors those moved show).
export const buildRecord = (files: SessionFiles): Promise<SessionRecord> => api.info(files.id);
export const listRecords = (onError: (id: number, error: Error) => void, withStats = true): Promise<SessionRecord[]> =>
  api.list(onError, { stats: withStats });

// Starts a session (labels, readiness, time limits, restart, health: all the API's).
export const startSession = api.startSession;
export const waitReady = api.waitReady;
export const pruneSessions = api.prune;
export const projectUp = api.up;
export const projectDown = api.down;
export type StartOptions = api.StartOptions;

// Facts read from one of a session's files, kept by session id with the
// file's identity (inode, size, mtime): a stat per call tells whether the file
// was rewritten (every write replaces it) or belongs to a later session that
// got the same id after the state folder was removed. At most 1024 sessions' kept.
class FileFacts<T> {
  private readonly kept = new Map<number, { version: string; value: T }>();

  constructor(
    private readonly file: (files: SessionFiles) => string,
    private readonly read: (files: SessionFiles) => T,
    private readonly missing: T,
  ) {}

  get(files: SessionFiles): T {
    const stat = fs.statSync(this.file(files), { throwIfNoEntry: false });
    if (!stat) return this.missing;
    const version = `${stat.ino}/${stat.size}/${stat.mtimeMs}`;
    const known = this.kept.get(files.id);
    if (known?.version === version) return known.value;
    const value = this.read(files);
    this.kept.delete(files.id);
    if (this.kept.size >= 1024) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(files.id, { version, value });
    return value;
  }
}

// spec.json is written once, before the session runs: every input checks the
// owner label, and reads it from memory after the first time.
const labels = new FileFacts<Record<string, string>>((files) => files.spec, sessionLabels, {});

// The labels a session was started with ({} for none, or a spec that cannot be read).
export function readLabels(files: SessionFiles): Record<string, string> {
  return labels.get(files);
}

// meta.json is rewritten only when the session changes state (a run starts or
// ends, a resize, a health verdict), not per call.
const pids = new FileFacts<number | null>(
  (files) => files.meta,
  (files) => files.readMeta()?.pid ?? null,
  null,
);

// The pid of the session's program (the latest run's), or null before it has one.
export function sessionPid(files: SessionFiles): number | null {
  return pids.get(files);
}

// Kept connections (the API's): one idle connection per session between calls.
export const forgetConnection = api.forgetConnection;
export const dropConnections = api.dropConnections;

// A failure that still produced a result (an until that never matched, lost
// output): the tools report the result, their outcome says what happened.
export async function resultOf<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof api.ResultError) return error.result as T;
    throw error;
  }
}

// The rendered screen (live, or replayed from an ended session's output).
export async function screenOf(files: SessionFiles, options: ScreenOptions): Promise<ScreenSnapshot> {
  return api.screen(files.id, options);
}

// The exit code once the program exits (no limit: the server's exit watchers).
export function exitCodeOf(files: SessionFiles): Promise<number> {
  return waitForExit(files);
}

// The first of several sessions to exit, or undefined when timeoutMs passed first.
export async function firstExit(
  targets: SessionFiles[],
  timeoutMs: number,
): Promise<{ id: number; exit_code: number } | undefined> {
  try {
    return await api.wait(
      targets.map((files) => files.id),
      { timeout_ms: timeoutMs },
    );
  } catch (error) {
    if (error instanceof BgtermError && error.exitCode === EXIT.timeout) return undefined;
    throw error;
  }
}

export async function closeOne(files: SessionFiles, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  forgetConnection(files.id);
  await api.close([files.id], { signal, grace_ms: graceMs });
}

// Delivers a signal to the terminal's foreground process group; the session stays.
export async function signalForeground(files: SessionFiles, signal: NodeJS.Signals): Promise<void> {
  await api.kill(files.id, { signal });
}

// The last bytes of retained output (for a list's last line), without any cursor.
export function tailBytes(files: SessionFiles, count: number): Buffer {
  return outputTail(files, count);
}

// The foreground process of the session's terminal: the shell (or program)
// itself, or a program the shell started.
export function foregroundOf(pid: number | null): { pid: number; name: string } | null {
  return pid === null ? null : (foregroundProcess(pid) ?? null);
}
