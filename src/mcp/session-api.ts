// The MCP server's one door to sessions: the client API (src/client/api.ts),
// plus the few session facts the tools show (labels, the output's tail, the
// foreground process, the exit code for the server's exit watchers).
import fs from "node:fs";
import { BgtermError, EXIT } from "../errors.ts";
import { outputTail } from "../client/offline.ts";
import * as records from "../client/record.ts";
import type { SessionRecord } from "../client/record.ts";
import { resolveSession, sessionLabels, sessionState } from "../client/registry.ts";
import { waitForExit } from "../client/requests.ts";
import * as api from "../client/api.ts";
import { foregroundProcess } from "../shared/procfs.ts";
import type { ScreenOptions, ScreenSnapshot } from "../shared/screen-model.ts";
import type { SessionFiles } from "../shared/session-files.ts";

export type { SessionFiles, SessionRecord, ScreenSnapshot };
export { resolveSession, sessionState };

// Records come from the files: reads on kept connections get their
// acknowledgements confirmed first, so the cursors they moved show.
export async function buildRecord(files: SessionFiles): Promise<SessionRecord> {
  await api.acksSettled(files.id);
  return records.buildRecord(files);
}

export async function listRecords(
  onError: (id: number, error: Error) => void,
  withStats?: boolean,
): Promise<SessionRecord[]> {
  await api.acksSettled();
  return records.listRecords(onError, withStats);
}

// Starts a session (labels, readiness, time limits, restart, health: all the API's).
export const startSession = api.startSession;
export const waitReady = api.waitReady;
export const pruneSessions = api.prune;
export const projectUp = api.up;
export const projectDown = api.down;
export type StartOptions = api.StartOptions;

// Labels by session id, with the identity of the spec.json they were read from.
const labelsRead = new Map<number, { spec: string; labels: Record<string, string> }>();
const LABELS_KEPT = 1024;

// The labels a session was started with ({} for none, or a spec that cannot be
// read). They never change (spec.json is written once, before the session
// runs), so each session's are parsed once and checked on each call (every
// input checks the owner label) with a stat: a different inode, size or mtime
// is a later session that got the same id after the state folder was removed.
export function readLabels(files: SessionFiles): Record<string, string> {
  const stat = fs.statSync(files.spec, { throwIfNoEntry: false });
  if (!stat) return {};
  const spec = `${stat.ino}/${stat.size}/${stat.mtimeMs}`;
  const known = labelsRead.get(files.id);
  if (known?.spec === spec) return known.labels;
  const labels = sessionLabels(files);
  labelsRead.delete(files.id);
  if (labelsRead.size >= LABELS_KEPT) labelsRead.delete(labelsRead.keys().next().value!);
  labelsRead.set(files.id, { spec, labels });
  return labels;
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
