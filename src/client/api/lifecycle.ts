// A session's life: start, wait for its exit, close.
import path from "node:path";
import { usageError } from "../../errors.ts";
import { type BackendName, checkBackendName } from "../../pty/backend.ts";
import { parseSignal } from "../../pty/signals.ts";
import { checkName } from "../../shared/refs.ts";
import { closeSession } from "../close.ts";
import { checkWorkingDir, commandArgv, resolveProgram } from "../command-line.ts";
import { launchSupervisor } from "../launch.ts";
import { type ReadyCheck, waitUntilReady } from "../readiness.ts";
import { buildRecord, type SessionRecord } from "../record.ts";
import { allocateSession, listSessions } from "../registry.ts";
import { waitForExit } from "../requests.ts";
import {
  checkInteger,
  checkPattern,
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

export interface StartOptions extends Deadline {
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
  // Return once the output matches this regex / the port accepts / the file exists.
  ready?: string;
  ready_port?: number;
  ready_file?: string;
  // How long to wait for readiness (default 30000; exit 124).
  ready_timeout_ms?: number;
  // With a name held by a live session: return that session / close it first.
  reuse?: boolean;
  replace?: boolean;
}

function readyCheck(options: StartOptions, cwd: string): ReadyCheck | undefined {
  const given = (["ready", "ready_port", "ready_file"] as const).filter((key) => options[key] !== undefined);
  if (given.length > 1) throw usageError(`give only one of ${given.join(", ")}`);
  if (options.ready !== undefined) return { kind: "regex", pattern: checkPattern(options.ready, "ready")! };
  if (options.ready_port !== undefined) {
    return { kind: "port", port: checkInteger(options.ready_port, "ready_port", 1, 65535)! };
  }
  if (options.ready_file !== undefined) return { kind: "file", file: path.resolve(cwd, options.ready_file) };
  return undefined;
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
  const spec = {
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
  const ready = readyCheck(options, cwd);
  const readyTimeout =
    checkInteger(options.ready_timeout_ms, "ready_timeout_ms", 0, FOREVER_MS) ?? DEFAULT_READY_TIMEOUT_MS;
  let allocation = allocateSession(spec, options.reuse || options.replace ? "return" : "error");
  if (allocation.kind === "taken" && options.replace) {
    await closeSession(allocation.files, "SIGHUP", DEFAULT_CLOSE_GRACE_MS);
    allocation = allocateSession(spec);
  }
  const files = allocation.files;
  if (allocation.kind === "new") {
    try {
      await launchSupervisor(files, spec.env, spec.backend);
    } catch (error) {
      allocation.discard();
      throw error;
    }
  }
  if (ready) await waitUntilReady(files, ready, readyTimeout);
  return { record: buildRecord(files), reused: allocation.kind === "taken" };
}

// Waits for the program to exit; with several sessions, for the first.
export async function wait(
  sessions: SessionRef | SessionRef[],
  options: Deadline = {},
): Promise<{ id: number; exit_code: number }> {
  const targets = (Array.isArray(sessions) ? sessions : [sessions]).map(resolve);
  const timeoutMs = checkInteger(options.timeout_ms, "timeout_ms", 0, FOREVER_MS);
  try {
    // Each wait is event driven (the supervisor answers when its child exits).
    return await withDeadline(
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
}

// Ends the sessions' processes (signal, then SIGKILL after the grace period)
// and removes them. A bad reference closes nothing.
export async function close(
  sessions: SessionRef[] | "all",
  options: Deadline & { signal?: string; grace_ms?: number } = {},
): Promise<{ closed: number[] }> {
  const signal = parseSignal(options.signal ?? "HUP");
  const graceMs = checkInteger(options.grace_ms, "grace_ms", 0, FOREVER_MS) ?? DEFAULT_CLOSE_GRACE_MS;
  const targets = sessions === "all" ? listSessions() : sessions.map(resolve);
  const timeout = options.timeout_ms ?? graceMs + REQUEST_TIMEOUT_MS;
  await withDeadline(
    timeout,
    () => `closing did not finish within ${timeout} ms`,
    () => Promise.all(targets.map((files) => closeSession(files, signal, graceMs))),
  );
  return { closed: targets.map((files) => files.id) };
}
