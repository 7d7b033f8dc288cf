// The client API: every operation on sessions, used by the CLI's commands and
// meant to be exposed as is by the MCP server and `bgterm rpc`. Options and
// results are plain JSON objects whose snake_case fields are those of the CLI's
// --json output; failures are BgtermError carrying the CLI's exit code (a
// failure that still produced a result, such as an --until that never matched,
// is a ResultError holding it); every operation takes a deadline (timeout_ms).
// Two options are for in-process callers only: `sink` streams output bytes
// exactly as they come instead of collecting them into `text`, and `data`
// sends raw bytes.
import path from "node:path";
import {
  BgtermError,
  EXIT,
  notRunningError,
  sessionLost,
  sessionNeverStarted,
  sessionNotRunning,
  timeoutError,
  usageError,
} from "../errors.ts";
import { type BackendName, checkBackendName } from "../pty/backend.ts";
import { parseSignal } from "../pty/signals.ts";
import { checkName, checkReader } from "../shared/refs.ts";
import type { ScreenSnapshot } from "../shared/screen-model.ts";
import type { SessionFiles } from "../shared/session-files.ts";
import { bracketPaste, encodeKey, isCursorKey } from "../text/keys.ts";
import { PlainFilter } from "../text/plain.ts";
import { closeSession } from "./close.ts";
import { checkWorkingDir, commandArgv, resolveProgram } from "./command-line.ts";
import { checkShell, execMarkers, extractOutput, findStatus } from "./exec.ts";
import { launchSupervisor } from "./launch.ts";
import { readOffline, screenOffline } from "./offline.ts";
import { type ReadyCheck, waitUntilReady } from "./readiness.ts";
import { buildRecord, listRecords, type SessionRecord } from "./record.ts";
import { allocateSession, currentName, listSessions, resolveSession, sessionState } from "./registry.ts";
import {
  type ClientChannel,
  connect,
  type OutputSink,
  peekLive,
  pipelineInput,
  pollLive,
  type ReadResult,
  requestOk,
  screenLive,
  sendInput,
  subscribeLive,
  terminalModes,
  waitForExit,
  watchLive,
  withSession,
} from "./requests.ts";
import { scanTranscript } from "./transcript.ts";

export type { OutputSink } from "./requests.ts";
export type { SessionRecord } from "./record.ts";
export type { ScreenSnapshot } from "../shared/screen-model.ts";

// A session id (number or digits) or name.
export type SessionRef = string | number;

export interface Deadline {
  // Give up after this many milliseconds (exit 124). Requests that answer at
  // once default to REQUEST_TIMEOUT_MS; waits default to their own bound.
  timeout_ms?: number;
}

export const REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_YIELD_MS = 10_000;
export const DEFAULT_IDLE_MS = 150;
export const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;
export const DEFAULT_READY_TIMEOUT_MS = 30_000;
export const DEFAULT_CLOSE_GRACE_MS = 1000;
// How long exec waits for the shell's prompt to return after an interrupt.
const INTERRUPT_WAIT_MS = 10_000;
const FOREVER_MS = 2_147_483_647;

// A failure that still produced a result (printed by the CLI before the error).
export class ResultError<T> extends BgtermError {
  constructor(
    error: BgtermError,
    readonly result: T,
  ) {
    super(error.exitCode, error.message);
  }
}

// ---- plumbing -------------------------------------------------------------

function resolve(session: SessionRef): SessionFiles {
  return resolveSession(String(session));
}

// The connections one operation opened, ended together when its deadline passes.
class Scope {
  private readonly channels = new Set<ClientChannel>();
  private expired = false;

  async connect(files: SessionFiles): Promise<ClientChannel | undefined> {
    const channel = await connect(files);
    if (channel && this.expired) channel.end();
    else if (channel) this.channels.add(channel);
    return channel;
  }

  // For input: a connection to a running session, or exit 4 saying why not.
  async connectRunning(files: SessionFiles): Promise<ClientChannel> {
    const channel = await this.connect(files);
    if (channel) return channel;
    const state = sessionState(files);
    throw state === "lost"
      ? sessionLost(files.id)
      : state === "starting"
        ? sessionNeverStarted(files.id)
        : sessionNotRunning(files.id);
  }

  expire(): void {
    this.expired = true;
    for (const channel of this.channels) channel.end();
  }
}

// Runs body, or fails with 124 and `message` once timeoutMs has passed; the
// connections body opened through its scope are ended either way.
async function withDeadline<T>(
  timeoutMs: number | undefined,
  message: () => string,
  body: (scope: Scope) => Promise<T>,
): Promise<T> {
  const scope = new Scope();
  let timer: Timer | undefined;
  const expired = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined) timer = setTimeout(() => reject(timeoutError(message())), timeoutMs);
  });
  try {
    return await Promise.race([body(scope), expired]);
  } finally {
    clearTimeout(timer);
    // Whatever the outcome, the operation's connections end with it.
    scope.expire();
  }
}

const noAnswer = (files: SessionFiles, ms: number) => () => `session ${files.id} did not answer within ${ms} ms`;

function checkInteger(value: number | undefined, label: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw usageError(`${label} takes a whole number from ${min} to ${max}, not ${value}`);
  }
  return value;
}

// An --until pattern: matched per line (m flag) against the text a user sees.
function checkPattern(source: string | undefined, label: string): { source: string; flags: string } | undefined {
  if (source === undefined) return undefined;
  try {
    new RegExp(source, "m");
  } catch (error) {
    throw usageError(`${label}: invalid regular expression: ${(error as Error).message}`);
  }
  return { source, flags: "m" };
}

// ---- reading --------------------------------------------------------------

export interface ReadOptions extends Deadline {
  // Whose unread cursor to use and move (default "default").
  reader?: string;
  // At most this many bytes.
  limit?: number;
  // Strip escape sequences and turn CRLF into LF.
  plain?: boolean;
  // In-process only: the bytes go here, exactly as read; `text` stays empty.
  sink?: OutputSink;
}

export interface WaitOptions {
  // Wait at most this long (default 10000).
  yield_ms?: number;
  // Return once output has been quiet this long (default 150; 0 without --until).
  idle_ms?: number;
  // Wait until the output matches this regular expression.
  until?: string;
}

export interface PollOptions extends ReadOptions, WaitOptions {}

// What a read delivered (the CLI's `poll/read/send --json`).
export interface ReadOutput {
  id: number;
  name: string | null;
  text: string;
  running: boolean;
  exit_code: number | null;
  start_offset: number;
  end_offset: number;
  remaining_bytes: number;
  dropped_bytes: number;
  truncated: boolean;
  matched?: boolean;
  // Set when the supervisor could not store output (disk full).
  storage_error?: string;
}

// Collects delivered bytes as text (or passes them on to options.sink) and
// turns the delivery summary into a ReadOutput.
function readCollector(files: SessionFiles, options: ReadOptions) {
  const plain = options.plain ? new PlainFilter() : undefined;
  const decoder = new TextDecoder("utf-8");
  let text = "";
  const take = async (bytes: Uint8Array) => {
    if (options.sink) await options.sink.write(bytes, 0);
    else text += decoder.decode(bytes, { stream: true });
  };
  return {
    sink: { write: (chunk: Uint8Array) => take(plain ? plain.push(chunk) : chunk) } satisfies OutputSink,
    async finish(result: ReadResult): Promise<ReadOutput> {
      await take(plain?.flush() ?? new Uint8Array(0));
      text += decoder.decode();
      return {
        id: files.id,
        name: currentName(files.stateDir, files.id, files.readMeta()?.name ?? null),
        text,
        running: result.running,
        exit_code: result.exit_code,
        start_offset: result.from,
        end_offset: result.to,
        remaining_bytes: Math.max(0, result.end - result.to),
        dropped_bytes: result.dropped_bytes,
        truncated: result.truncated,
        ...(result.matched === undefined ? {} : { matched: result.matched }),
        ...(result.storage_error ? { storage_error: result.storage_error } : {}),
      };
    },
  };
}

// Lost output outranks everything; then an --until that never matched: 4 if
// the program ended, 124 if time ran out.
function checkRead(output: ReadOutput): ReadOutput {
  const fail = (error: BgtermError) => new ResultError(error, output);
  if (output.storage_error) {
    throw fail(new BgtermError(EXIT.internal, `session ${output.id} ${output.storage_error}; some output was lost`));
  }
  if (output.matched !== false) return output;
  if (!output.running) {
    throw fail(
      notRunningError(`session ${output.id} ended (exit code ${output.exit_code ?? "unknown"}) before --until matched`),
    );
  }
  throw fail(timeoutError(`--until did not match in session ${output.id} before the yield ended`));
}

function waitSpec(options: WaitOptions) {
  const until = checkPattern(options.until, "until");
  return {
    yield_ms: checkInteger(options.yield_ms, "yield_ms", 0, FOREVER_MS) ?? DEFAULT_YIELD_MS,
    idle_ms: checkInteger(options.idle_ms, "idle_ms", 0, FOREVER_MS) ?? (until ? 0 : DEFAULT_IDLE_MS),
    until,
  };
}

// Waits per options (on `channel` if given) and reads what is unread.
async function pollFiles(
  files: SessionFiles,
  channel: ClientChannel | undefined,
  options: PollOptions,
  extra: { since_input?: boolean } = {},
): Promise<ReadOutput> {
  const spec = waitSpec(options);
  const reader = checkReader(options.reader ?? "default");
  const limit = checkInteger(options.limit, "limit", 1, Number.MAX_SAFE_INTEGER);
  const collect = readCollector(files, options);
  let matchText = "";
  const offline = () =>
    readOffline(
      files,
      { reader, limit, advance: true },
      {
        async write(chunk) {
          if (spec.until) matchText += new TextDecoder().decode(chunk);
          await collect.sink.write(chunk);
        },
      },
    );
  const result = await withSession(
    files,
    (live) => pollLive(files, live, { reader, limit, ...spec, ...extra }, collect.sink),
    offline,
    channel,
  );
  if (spec.until && result.matched === undefined) {
    result.matched = new RegExp(spec.until.source, spec.until.flags).test(matchText);
  }
  return checkRead(await collect.finish(result));
}

// Waits (bounded) for output and reads what this reader has not read yet.
export async function poll(session: SessionRef, options: PollOptions = {}): Promise<ReadOutput> {
  const files = resolve(session);
  const timeout = options.timeout_ms ?? (options.yield_ms ?? DEFAULT_YIELD_MS) + REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), () => pollFiles(files, undefined, options));
}

// Watches several sessions without consuming anything; resolves with the id
// of the first with unread output (matching `until`, quiet for `idle_ms`).
export async function firstWithOutput(sessions: SessionRef[], options: PollOptions = {}): Promise<number> {
  const targets = sessions.map(resolve);
  const spec = waitSpec(options);
  const reader = checkReader(options.reader ?? "default");
  const timeout = options.timeout_ms ?? spec.yield_ms + REQUEST_TIMEOUT_MS;
  return withDeadline(
    timeout,
    () => `no session answered within ${timeout} ms`,
    async (scope) => {
      const discard = { write() {} };
      const watches = targets.map(async (files) => {
        const channel = await scope.connect(files);
        if (!channel) {
          if (files.readEnd() > files.readCursor(reader)) return files.id;
          throw new Error("ended, nothing unread");
        }
        try {
          const result = await watchLive(files, channel, { ...spec, reader }, discard);
          if (result.to > result.from && result.matched !== false) return files.id;
          throw new Error("nothing within the yield");
        } finally {
          channel.end();
        }
      });
      try {
        return await Promise.any(watches);
      } catch {
        throw timeoutError(`none of the sessions had unread output within ${spec.yield_ms} ms`);
      }
    },
  );
}

// Reads the first of several sessions to have unread output (its id is in the result).
export async function pollAny(sessions: SessionRef[], options: PollOptions = {}): Promise<ReadOutput> {
  const winner = await firstWithOutput(sessions, options);
  return poll(winner, { ...options, yield_ms: 0, idle_ms: 0, until: undefined });
}

export interface ReadNowOptions extends ReadOptions {
  // Read from this absolute offset (implies peek).
  from?: number;
  // Leave the cursor where it is.
  peek?: boolean;
}

// Reads what is unread now, without waiting; or pages by offset.
export async function read(session: SessionRef, options: ReadNowOptions = {}): Promise<ReadOutput> {
  const files = resolve(session);
  const reader = checkReader(options.reader ?? "default");
  const limit = checkInteger(options.limit, "limit", 1, Number.MAX_SAFE_INTEGER);
  const from = checkInteger(options.from, "from", 0, Number.MAX_SAFE_INTEGER);
  const peek = options.peek === true || from !== undefined;
  const timeout = options.timeout_ms ?? REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), async () => {
    const collect = readCollector(files, options);
    const result = await withSession(
      files,
      (channel) =>
        peek
          ? peekLive(files, channel, { reader, from, limit }, collect.sink)
          : pollLive(files, channel, { reader, limit, yield_ms: 0, idle_ms: 0 }, collect.sink),
      () => readOffline(files, { reader, from, limit, advance: !peek }, collect.sink),
    );
    return checkRead(await collect.finish(result));
  });
}

// ---- input ----------------------------------------------------------------

export interface SendOptions extends PollOptions {
  // Text to type (UTF-8), followed by Enter unless enter is false.
  text?: string;
  // Named keys sent after the text: Enter, Tab, Up, C-c, M-x, F1...
  keys?: string[];
  enter?: boolean;
  // In-process only: raw bytes to send instead of text (no Enter added).
  data?: Uint8Array;
  // Wrap multi-line data in bracketed paste (default: when the program enabled it).
  paste?: boolean;
}

// Types text and keys, then waits like poll, matching only output that came
// after the input. With neither text nor keys, sends Enter.
export async function send(session: SessionRef, options: SendOptions = {}): Promise<ReadOutput> {
  const files = resolve(session);
  const keyNames = options.keys ?? [];
  for (const name of keyNames) encodeKey(name); // unknown keys fail before anything is sent
  if (options.data !== undefined && options.text !== undefined) throw usageError("give text or data, not both");
  const enter = options.enter ?? true;
  const timeout = options.timeout_ms ?? (options.yield_ms ?? DEFAULT_YIELD_MS) + REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), async (scope) => {
    const spec = waitSpec(options); // a bad pattern fails before anything is sent
    const channel = await scope.connectRunning(files);
    const data = options.data;
    // Cursor keys and pastes are encoded the way the program asked for them.
    const needModes =
      keyNames.some(isCursorKey) || (data !== undefined && options.paste === undefined && data.includes(10));
    const modes = needModes ? await terminalModes(files, channel) : { applicationCursor: false, bracketedPaste: false };
    const keys = keyNames.map((name) => encodeKey(name, modes)).join("");
    const parts: Uint8Array[] = [];
    if (data !== undefined) {
      const paste = options.paste ?? (modes.bracketedPaste && data.includes(10));
      parts.push(paste ? bracketPaste(data) : data);
    } else if (options.text !== undefined) parts.push(Buffer.from(enter ? `${options.text}\r` : options.text));
    else if (keys === "" && enter) parts.push(Buffer.from("\r"));
    parts.push(Buffer.from(keys));
    await pipelineInput(files, channel, Buffer.concat(parts));
    return pollFiles(files, channel, { ...options, ...spec, until: options.until }, { since_input: true });
  });
}

// ---- exec -----------------------------------------------------------------

export interface ExecOptions extends Deadline {
  // The command line (may span lines, use heredocs). timeout_ms: give up
  // after this long (exit 124), the command keeps running (default: no limit).
  command: string;
  // On timeout send C-c and wait for the shell; the result has the command's status.
  interrupt?: boolean;
  // In-process only: the output bytes go here; `output` stays empty.
  sink?: OutputSink;
}

export interface ExecResult {
  exit_code: number | null;
  output: string;
  timed_out: boolean;
  duration_ms: number;
}

// Runs a command line in the session's shell; resolves with its output and
// status. When it does not finish, a ResultError holds what it printed.
export async function exec(session: SessionRef, options: ExecOptions): Promise<ExecResult> {
  const files = resolve(session);
  const timeoutMs = checkInteger(options.timeout_ms, "timeout_ms", 0, FOREVER_MS);
  const meta = files.readMeta();
  if (!meta) throw sessionNeverStarted(files.id);
  const scope = new Scope();
  const channel = await scope.connectRunning(files);
  try {
    checkShell(meta);
    const markers = execMarkers(options.command);
    const started = performance.now();
    const since = await sendInput(files, channel, Buffer.from(markers.line));
    const chunks: Buffer[] = [];
    const collect = { write: (chunk: Uint8Array) => void chunks.push(Buffer.from(chunk)) };
    const watch = (until: { source: string; flags: string }, yieldMs: number) =>
      watchLive(files, channel, { since, until, yield_ms: yieldMs, idle_ms: 0 }, collect);

    let result = await watch(markers.endPattern, timeoutMs ?? FOREVER_MS);
    let bytes = Buffer.concat(chunks);
    let status = findStatus(bytes, markers.endPattern);
    let stopAt = status?.at ?? bytes.length;
    let timedOut = false;
    if (!status && result.running) {
      timedOut = true;
      if (options.interrupt) {
        const interruptAt = (await sendInput(files, channel, Buffer.from("\x03"))) - since;
        await sendInput(files, channel, Buffer.from(markers.probeLine));
        chunks.length = 0;
        result = await watch(markers.probePattern, INTERRUPT_WAIT_MS);
        bytes = Buffer.concat(chunks);
        status = findStatus(bytes, markers.probePattern);
        stopAt = interruptAt;
      }
    }
    const output = extractOutput(bytes, markers, stopAt);
    if (options.sink) await options.sink.write(output, 0);
    const execResult: ExecResult = {
      exit_code: status?.status ?? null,
      output: options.sink ? "" : output.toString("utf8"),
      timed_out: timedOut,
      duration_ms: Math.round(performance.now() - started),
    };
    if (execResult.exit_code !== null) return execResult;
    if (!result.running) {
      throw new ResultError(
        notRunningError(
          `session ${files.id}'s shell exited (code ${result.exit_code ?? "unknown"}) before the command finished`,
        ),
        execResult,
      );
    }
    throw new ResultError(
      timeoutError(
        options.interrupt
          ? `the shell in session ${files.id} did not come back after C-c`
          : `the command in session ${files.id} is still running after ${timeoutMs} ms`,
      ),
      execResult,
    );
  } finally {
    scope.expire();
  }
}

// ---- the terminal ---------------------------------------------------------

export interface ScreenOptions extends Deadline {
  // Also up to this many lines above the screen (normal screen only).
  scrollback?: number;
  // Keep colours and attributes as ANSI sequences.
  ansi?: boolean;
}

// The session's screen as a terminal shows it (an ended session's is replayed
// from its retained output).
export async function screen(session: SessionRef, options: ScreenOptions = {}): Promise<ScreenSnapshot> {
  const files = resolve(session);
  const request = {
    scrollback: checkInteger(options.scrollback, "scrollback", 0, 100_000) ?? 0,
    ansi: options.ansi === true,
  };
  const timeout = options.timeout_ms ?? REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), () =>
    withSession(
      files,
      async (channel) => (await screenLive(files, channel, request)).screen,
      () => screenOffline(files, request),
    ),
  );
}

// Sends a signal (default INT) to the terminal's foreground process group.
export async function kill(
  session: SessionRef,
  options: Deadline & { signal?: string } = {},
): Promise<{ id: number; signal: string }> {
  const signal = parseSignal(options.signal ?? "INT");
  const files = resolve(session);
  const timeout = options.timeout_ms ?? REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), async (scope) => {
    const channel = await scope.connectRunning(files);
    await requestOk(files, channel, { op: "signal", signal });
    channel.end();
    return { id: files.id, signal };
  });
}

// Sets the terminal size; the program receives SIGWINCH.
export async function resize(
  session: SessionRef,
  options: Deadline & { cols: number; rows: number },
): Promise<{ id: number; cols: number; rows: number }> {
  const files = resolve(session);
  const cols = checkInteger(options.cols, "cols", 1, 1000)!;
  const rows = checkInteger(options.rows, "rows", 1, 1000)!;
  const timeout = options.timeout_ms ?? REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), async (scope) => {
    const channel = await scope.connectRunning(files);
    await requestOk(files, channel, { op: "resize", cols, rows });
    channel.end();
    return { id: files.id, cols, rows };
  });
}

// A live view of a session for `attach`: its screen now (with ANSI
// attributes), then every byte of output after it, and input and resizes.
export interface Attachment {
  id: number;
  screen: ScreenSnapshot;
  // Streams the output that follows the screen to onData; resolves with the
  // program's exit code, or null if the supervisor went away.
  follow(onData: (bytes: Uint8Array) => void): Promise<number | null>;
  input(bytes: Uint8Array): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  close(): void;
}

export async function subscribe(
  session: SessionRef,
  options: Deadline & { cols?: number; rows?: number } = {},
): Promise<Attachment> {
  const files = resolve(session);
  const timeout = options.timeout_ms ?? REQUEST_TIMEOUT_MS;
  const scope = new Scope();
  const [stream, control] = await withDeadline(timeout, noAnswer(files, timeout), async () => [
    await scope.connectRunning(files),
    await scope.connectRunning(files),
  ]);
  const resizeTo = (cols: number, rows: number) =>
    requestOk(files, control, { op: "resize", cols, rows }).catch(() => {});
  // Take the caller's size first, so the screen is drawn at it.
  if (options.cols !== undefined && options.rows !== undefined) await resizeTo(options.cols, options.rows);
  const { screen: snapshot, offset } = await withDeadline(timeout, noAnswer(files, timeout), () =>
    screenLive(files, stream, { ansi: true }),
  );
  return {
    id: files.id,
    screen: snapshot,
    follow: (onData) => subscribeLive(stream, offset, onData),
    input: async (bytes) => {
      await sendInput(files, control, bytes).catch(() => {});
    },
    resize: resizeTo,
    close: () => scope.expire(),
  };
}

// ---- lifecycle ------------------------------------------------------------

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

// ---- records and transcripts ---------------------------------------------

export function info(session: SessionRef): SessionRecord {
  return buildRecord(resolve(session));
}

// Every session's record, oldest first; an unreadable one goes to onError.
export function list(onError: (id: number, error: Error) => void = () => {}): SessionRecord[] {
  return listRecords(onError);
}

export interface LinesOptions {
  // Zero-based absolute line numbers, `to` exclusive.
  from?: number;
  to?: number;
  // Only the last N lines (of the range).
  tail?: number;
}

export interface LinesResult {
  start_line: number;
  end_line: number;
  line_count: number;
  dropped_lines: number;
  lines: string[];
}

// The transcript as lines: escapes stripped, carriage-return overwrites resolved.
export function lines(session: SessionRef, options: LinesOptions = {}): LinesResult {
  const files = resolve(session);
  if (!files.readMeta()) throw sessionNeverStarted(files.id);
  const askedFrom = checkInteger(options.from, "from", 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const askedTo = checkInteger(options.to, "to", 0, Number.MAX_SAFE_INTEGER);
  if (askedTo !== undefined && askedTo < askedFrom) {
    throw usageError(`range end ${askedTo} is before its start ${askedFrom}`);
  }
  const tail = checkInteger(options.tail, "tail", 0, Number.MAX_SAFE_INTEGER);
  const found: string[] = [];
  let from = 0;
  let to = 0;
  const extent = scanTranscript(
    files,
    ({ firstLine, endLine }) => {
      to = Math.min(askedTo ?? endLine, endLine);
      from = Math.max(askedFrom, firstLine, tail === undefined ? 0 : to - tail);
      to = Math.max(from, to);
      return { from, to };
    },
    (_line, text) => found.push(text),
  );
  return {
    start_line: from,
    end_line: to,
    line_count: extent.lineCount,
    dropped_lines: extent.firstLine,
    lines: found,
  };
}

export interface GrepOptions {
  pattern: string;
  // Session ids or names (default: all).
  sessions?: SessionRef[];
  // The pattern is a JavaScript regular expression (default: plain text).
  regex?: boolean;
  ignore_case?: boolean;
}

export interface GrepMatch {
  id: number;
  name: string | null;
  line: number;
  text: string;
}

// Matching transcript lines across sessions (an empty array when none match).
export function grep(options: GrepOptions): GrepMatch[] {
  let regex: RegExp;
  try {
    regex = new RegExp(
      options.regex ? options.pattern : options.pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      options.ignore_case ? "i" : "",
    );
  } catch (error) {
    throw usageError(`invalid regular expression: ${(error as Error).message}`);
  }
  const targets = options.sessions?.length ? options.sessions.map(resolve) : listSessions();
  const matches: GrepMatch[] = [];
  for (const files of targets) {
    const name = currentName(files.stateDir, files.id, files.readMeta()?.name ?? null);
    scanTranscript(
      files,
      ({ firstLine, endLine }) => ({ from: firstLine, to: endLine }),
      (line, text) => {
        if (regex.test(text)) matches.push({ id: files.id, name, line, text });
      },
    );
  }
  return matches;
}
