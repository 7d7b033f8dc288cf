// What background-job runners add, as operations of the client API: wait for
// readiness, follow output live, prune ended sessions, bring a bgterm.toml up
// and down. Plain JSON options and results with the snake_case fields of the
// CLI's --json output; BgtermError with the CLI's exit codes.
import path from "node:path";
import { BgtermError, timeoutError, usageError } from "../../errors.ts";
import { type Labels, matchLabels } from "../../shared/labels.ts";
import type { SessionFiles } from "../../shared/session-files.ts";
import { closeSession } from "../close.ts";
import { followSession, tailOffset } from "../follow.ts";
import { describeReady } from "../lifecycle-options.ts";
import { findProjectFile, loadProject, startOrder } from "../project.ts";
import { waitUntilReady } from "../readiness.ts";
import { listRecords } from "../record.ts";
import {
  currentName,
  listSessions,
  type SessionState,
  sessionLabels,
  sessionState,
  sessionsWithLabels,
} from "../registry.ts";
import type { OutputSink } from "../requests.ts";
import { launchSession } from "../start-session.ts";
import {
  DEFAULT_CLOSE_GRACE_MS as CLOSE_GRACE_MS,
  type Deadline,
  FOREVER_MS,
  REQUEST_TIMEOUT_MS,
  resolve,
  type SessionRef,
  withDeadline,
} from "./common.ts";

// The milliseconds left before a deadline, or 124 saying what did not finish.
function remaining(deadline: number, what: () => string): number {
  const left = Math.floor(deadline - performance.now());
  if (left <= 0) throw timeoutError(what());
  return left;
}

// start --rm: once a wait has collected the exit, the session's state goes.
export async function closeAfterWait(files: SessionFiles): Promise<void> {
  let rm = false;
  try {
    rm = files.readSpec().rm === true;
  } catch {
    return; // already gone
  }
  if (rm) await closeSession(files, "SIGHUP", CLOSE_GRACE_MS);
}

// ---- wait --ready -----------------------------------------------------------

// Waits until the session passes the readiness check it was started with.
export async function waitReady(session: SessionRef, options: { timeout_ms?: number } = {}) {
  const files = resolve(session);
  const ready = files.readSpec().ready;
  if (!ready) {
    throw usageError(
      `session ${files.id} has no readiness check (start it with --ready, --ready-port, --ready-file or --ready-url)`,
    );
  }
  await waitUntilReady(files, ready, Math.min(options.timeout_ms ?? FOREVER_MS, FOREVER_MS));
  return { id: files.id, ready: true };
}

// ---- follow -------------------------------------------------------------------

export interface FollowOptions extends Deadline {
  // timeout_ms: give up following after this long (exit 124; default: until
  // the program ends). Leased reads: nothing unprinted is lost.
  // Start at this absolute offset, or with the last `tail` lines (no cursor
  // moves); otherwise from `reader`'s unread cursor (leased reads).
  from?: number;
  tail?: number;
  reader?: string;
}

// Streams the session's output into `sink` until its program has ended for good.
export async function follow(session: SessionRef, options: FollowOptions, sink: OutputSink) {
  if (options.from !== undefined && options.tail !== undefined) throw usageError("give --from or --tail, not both");
  const files = resolve(session);
  const from = options.tail === undefined ? options.from : tailOffset(files, options.tail);
  const exitCode = await withDeadline(
    options.timeout_ms === undefined ? undefined : Math.min(options.timeout_ms, FOREVER_MS),
    () => `session ${files.id} was still running after ${options.timeout_ms} ms of following`,
    (scope) =>
      followSession(files, { reader: options.reader ?? "default", from, connect: (f) => scope.connect(f) }, sink),
  );
  return { id: files.id, exit_code: exitCode };
}

// ---- prune ----------------------------------------------------------------------

// timeout_ms: default REQUEST_TIMEOUT_MS (30 s); sessions not yet removed then stay.
export interface PruneOptions extends Deadline {
  older_than_ms?: number;
  labels?: Labels;
}

// Removes exited and lost sessions (ended, or started if lost, at least
// older_than_ms ago, carrying every label); returns what it removed.
export async function prune(options: PruneOptions = {}, warn: (message: string) => void = () => {}) {
  const olderThan = options.older_than_ms ?? 0;
  const deadline = performance.now() + (options.timeout_ms ?? REQUEST_TIMEOUT_MS);
  const now = Date.now();
  const victims = listRecords((id, error) => warn(`skipping session ${id}: ${error.message}`), false).filter(
    (record) => {
      if (record.state !== "exited" && record.state !== "lost") return false;
      if (!matchLabels(record.labels, options.labels ?? {})) return false;
      const endedAt = record.ended_at ?? record.started_at;
      const since = endedAt ? Date.parse(endedAt) : Number.NaN;
      return olderThan === 0 || (Number.isFinite(since) && now - since >= olderThan);
    },
  );
  const removed: { id: number; name: string | null; state: "exited" | "lost"; exit_code: number | null }[] = [];
  for (const record of victims) {
    const left = remaining(
      deadline,
      () => `prune did not finish within ${options.timeout_ms ?? REQUEST_TIMEOUT_MS} ms`,
    );
    try {
      await withDeadline(
        left,
        () => `prune did not finish within ${options.timeout_ms ?? REQUEST_TIMEOUT_MS} ms`,
        () => closeSession(resolve(record.id), "SIGHUP", CLOSE_GRACE_MS),
      );
      removed.push({
        id: record.id,
        name: record.name,
        state: record.state as "exited" | "lost",
        exit_code: record.exit_code,
      });
    } catch (error) {
      if (error instanceof BgtermError && error.exitCode === 124) throw error;
      warn(`could not remove session ${record.id}: ${(error as Error).message}`);
    }
  }
  return { removed };
}

// ---- up / down --------------------------------------------------------------------

// timeout_ms: up gives up after this long (exit 124; sessions already started
// stay); default: each session's ready_timeout plus 30 s per session. down:
// default 30 s plus the close grace.
export interface ProjectOptions extends Deadline {
  // The bgterm.toml; default: found from `cwd` (default: the current directory) upwards.
  file?: string;
  cwd?: string;
  // Only these sessions (up: and what they need).
  names?: string[];
}

export interface UpRow {
  name: string;
  id: number;
  state: SessionState;
  action: "started" | "reused";
  ready_by: string | null;
  ready_ms: number | null;
}

function projectFile(options: ProjectOptions): string {
  const cwd = options.cwd ?? process.cwd();
  return options.file === undefined ? findProjectFile(cwd) : path.resolve(cwd, options.file);
}

// Starts what is not running, dependencies first, each `after` ready before its dependents.
export async function up(options: ProjectOptions = {}) {
  const file = projectFile(options);
  const project = await loadProject(file);
  const names = options.names ?? [];
  const order = startOrder(project.sessions, names.length > 0 ? names : [...project.sessions.keys()], file);
  // A live session of another project holding one of the names: refuse before starting anything.
  for (const session of order) {
    for (const files of listSessions()) {
      const state = sessionState(files);
      if (state !== "running" && state !== "starting") continue;
      if (currentName(files.stateDir, files.id, files.readMeta()?.name ?? session.name) !== session.name) continue;
      if (sessionLabels(files).project !== project.label) {
        throw usageError(`the name '${session.name}' is used by running session ${files.id} of another project`);
      }
    }
  }
  const sessions: UpRow[] = [];
  const budget =
    options.timeout_ms ?? order.reduce((sum, session) => sum + session.readyTimeoutMs + REQUEST_TIMEOUT_MS, 0);
  const deadline = performance.now() + budget;
  const late = (name: string) => () =>
    `up did not finish within ${budget} ms (at sessions.${name}; the sessions before it stay up)`;
  for (const session of order) {
    const began = performance.now();
    const { files, reused } = await withDeadline(remaining(deadline, late(session.name)), late(session.name), () =>
      launchSession(session.spec, "reuse"),
    );
    const ready = session.spec.ready;
    if (ready) {
      const left = remaining(deadline, late(session.name));
      await waitUntilReady(files, ready, Math.min(session.readyTimeoutMs, left)).catch((error) => {
        if (left < session.readyTimeoutMs && error instanceof BgtermError && error.exitCode === 124) {
          throw timeoutError(late(session.name)());
        }
        // Same code and output tail; the message says which of the file's sessions.
        if (!(error instanceof BgtermError)) throw error;
        throw new BgtermError(error.exitCode, `sessions.${session.name}: ${error.message}`, { detail: error.detail });
      });
    }
    sessions.push({
      name: session.name,
      id: files.id,
      state: sessionState(files),
      action: reused ? "reused" : "started",
      ready_by: ready ? describeReady(ready) : null,
      ready_ms: ready ? Math.round(performance.now() - began) : null,
    });
  }
  return { file, sessions };
}

// Closes the file's sessions (found by their project label), or the named ones.
export async function down(options: ProjectOptions = {}) {
  const file = projectFile(options);
  const project = await loadProject(file);
  const names = options.names ?? [];
  // Unknown names are refused before anything closes.
  if (names.length > 0) startOrder(project.sessions, names, file);
  const targets = sessionsWithLabels({ project: project.label }).flatMap((files) => {
    try {
      const spec = files.readSpec();
      if (names.length > 0 && (spec.name === null || !names.includes(spec.name))) return [];
      return [{ files, name: currentName(files.stateDir, files.id, spec.name) }];
    } catch {
      return []; // removed meanwhile
    }
  });
  const budget = options.timeout_ms ?? REQUEST_TIMEOUT_MS + CLOSE_GRACE_MS;
  await withDeadline(
    budget,
    () => `down did not finish within ${budget} ms`,
    () => Promise.all(targets.map(({ files }) => closeSession(files, "SIGHUP", CLOSE_GRACE_MS))),
  );
  return {
    closed: targets.map(({ files }) => files.id),
    sessions: targets.map(({ files, name }) => ({ id: files.id, name })),
  };
}
