// A session's life: start, wait for its exit, close.
import { BgtermError, EXIT, usageError } from "../../errors.ts";
import { type BackendName, checkBackendName } from "../../pty/backend.ts";
import { parseSignal } from "../../pty/signals.ts";
import { checkName } from "../../shared/refs.ts";
import { closeFolderless, closeSession } from "../close.ts";
import { ensureStateDir } from "../../shared/state-dir.ts";
import { checkWorkingDir, commandArgv, resolveProgram } from "../command-line.ts";
import { launchSession } from "../start-session.ts";
import { waitUntilReady, waitUntilSettled } from "../readiness.ts";
import { type LifecycleOptions, lifecycleFromOptions } from "../lifecycle-options.ts";
import { closeAfterWait } from "./supervision.ts";
import { buildRecord, type SessionRecord } from "../record.ts";
import { listSessions, sessionsWithLabels } from "../registry.ts";
import { parseLabelsObject } from "../../shared/labels.ts";
import { waitForExit } from "../requests.ts";
import {
  checkInteger,
  type Deadline,
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_MAX_BUFFER,
  DEFAULT_READY_TIMEOUT_MS,
  FOREVER_MS,
  REQUEST_TIMEOUT_MS,
  resolve,
  type SessionRef,
  withDeadline,
} from "./common.ts";

// Lifecycle options (LifecycleOptions): ready, ready_port, ready_file,
// ready_url, labels, max_runtime_ms, ttl_ms, rm, restart, backoff,
// max_restarts, health_url, health_port, health_cmd, health_interval_ms,
// health_threshold, health_timeout_ms (README "Lifecycle").
export interface StartOptions extends Deadline, LifecycleOptions {
  // Program and arguments (default: $SHELL).
  command?: string[];
  name?: string | null;
  // Working directory (default: the current one).
  cwd?: string;
  // Added to the caller's environment.
  env?: Record<string, string>;
  cols?: number;
  rows?: number;
  max_buffer?: number;
  backend?: string;
  // How long to wait for readiness (default 30000; exit 124).
  ready_timeout_ms?: number;
  // false: record the readiness check but return at once (see waitReady).
  wait_ready?: boolean;
  // Return once the program has first settled (quiet, waiting for input), within ready_timeout_ms.
  settle?: boolean;
  // With a name held by a live session: return that session / close it first.
  reuse?: boolean;
  replace?: boolean;
  // Run the supervisor in its own systemd user scope (outlives logout without lingering).
  scope?: boolean;
}

// Starts a program in a new background session; resolves with its record
// once it runs (and, with ready*, once it is ready).
export async function start(options: StartOptions = {}): Promise<SessionRecord> {
  return (await startSession(options)).record;
}

// start, also saying whether `reuse` returned a session that was already running.
export async function startSession(options: StartOptions = {}): Promise<{ record: SessionRecord; reused: boolean }> {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TERM: "xterm-256color",
    ...options.env,
  };
  const cwd = checkWorkingDir(options.cwd ?? process.cwd());
  const argv = commandArgv(options.command ?? [], env);
  resolveProgram(argv[0]!, cwd, env);
  const lifecycle = lifecycleFromOptions(options, cwd);
  const spec = {
    ...lifecycle,
    name: options.name === undefined || options.name === null ? null : checkName(options.name),
    command: argv,
    cwd,
    env,
    cols: checkInteger(options.cols, "cols", 1, 1000) ?? 80,
    rows: checkInteger(options.rows, "rows", 1, 1000) ?? 24,
    max_buffer: checkInteger(options.max_buffer, "max_buffer", 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_MAX_BUFFER,
    backend: checkBackendName(options.backend ?? process.env.BGTERM_BACKEND ?? "bun") as BackendName,
  };
  if (options.reuse && options.replace) throw usageError("give reuse or replace, not both");
  if ((options.reuse || options.replace) && spec.name === null) throw usageError("reuse and replace need a name");
  if (options.scope && !Bun.which("systemd-run", { PATH: env.PATH ?? "" })) {
    throw usageError("--scope needs systemd-run (a systemd user session); see bgterm host check");
  }
  const ready = options.wait_ready === false ? undefined : lifecycle.ready;
  const readyTimeout =
    checkInteger(options.ready_timeout_ms, "ready_timeout_ms", 0, FOREVER_MS) ?? DEFAULT_READY_TIMEOUT_MS;
  const { files, reused } = await launchSession(
    spec,
    options.reuse ? "reuse" : options.replace ? "replace" : "error",
    options.scope === true,
  );
  if (ready) await waitUntilReady(files, ready, readyTimeout);
  if (options.settle) await waitUntilSettled(files, readyTimeout);
  return { record: buildRecord(files), reused };
}

// Waits for the program to exit; with several sessions, for the first.
export async function wait(
  sessions: SessionRef | SessionRef[],
  options: Deadline = {},
): Promise<{ id: number; exit_code: number }> {
  const targets = (Array.isArray(sessions) ? sessions : [sessions]).map(resolve);
  const timeoutMs = checkInteger(options.timeout_ms, "timeout_ms", 0, FOREVER_MS);
  let winner: { id: number; exit_code: number };
  try {
    // Each wait is event driven (the supervisor answers when its child exits).
    winner = await withDeadline(
      timeoutMs,
      () =>
        targets.length === 1
          ? `session ${targets[0]!.id} still running after ${timeoutMs} ms`
          : `none of the sessions exited within ${timeoutMs} ms`,
      () => Promise.any(targets.map(async (files) => ({ id: files.id, exit_code: await waitForExit(files) }))),
    );
  } catch (error) {
    // Every wait failed (e.g. all sessions lost): report the first reason.
    throw error instanceof AggregateError ? error.errors[0] : error;
  }
  // start --rm: the exit has been collected, so the session's state goes.
  await closeAfterWait(targets.find((files) => files.id === winner.id)!);
  return winner;
}

// Ends the sessions' processes (signal, then SIGKILL after the grace period)
// and removes them. A bad reference closes nothing.
export async function close(
  // Sessions, every session, or every session carrying all of these labels.
  sessions: SessionRef[] | "all" | { labels: Record<string, string> },
  options: Deadline & { signal?: string; grace_ms?: number } = {},
): Promise<{ closed: number[] }> {
  const signal = parseSignal(options.signal ?? "HUP");
  const graceMs = checkInteger(options.grace_ms, "grace_ms", 0, FOREVER_MS) ?? DEFAULT_CLOSE_GRACE_MS;
  const targets =
    sessions === "all"
      ? listSessions()
      : Array.isArray(sessions)
        ? sessions.map(resolve)
        : sessionsWithLabels(parseLabelsObject(sessions.labels, "labels"));
  const timeout = options.timeout_ms ?? graceMs + REQUEST_TIMEOUT_MS;
  return withDeadline(
    timeout,
    () => `closing did not finish within ${timeout} ms`,
    async () => {
      // Every close runs to its end even when another fails: none is left half-closed.
      const results = await Promise.allSettled(targets.map((files) => closeSession(files, signal, graceMs)));
      const closed = targets.filter((_, i) => results[i]!.status === "fulfilled").map((files) => files.id);
      // Supervisors whose session folder was deleted: nothing lists them.
      if (sessions === "all") closed.push(...(await closeFolderless(ensureStateDir(), graceMs)));
      const failures = results.flatMap((result) => (result.status === "rejected" ? [result.reason as Error] : []));
      if (failures.length > 0) {
        const first = failures[0]!;
        const more =
          failures.length > 1
            ? ` (and ${failures.length - 1} more: ${failures
                .slice(1)
                .map((f) => f.message)
                .join("; ")})`
            : "";
        throw new BgtermError(first instanceof BgtermError ? first.exitCode : EXIT.internal, `${first.message}${more}`);
      }
      return { closed };
    },
  );
}
