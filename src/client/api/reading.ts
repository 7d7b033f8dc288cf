// Reading: poll (wait, then read what is unread), read now, and the first of
// several sessions to have output.
import { BgtermError, EXIT, notRunningError, timeoutError } from "../../errors.ts";
import { checkReader } from "../../shared/refs.ts";
import type { SessionFiles } from "../../shared/session-files.ts";
import { PlainFilter } from "../../text/plain.ts";
import { readOffline } from "../offline.ts";
import { currentName } from "../registry.ts";
import {
  type ClientChannel,
  type OutputSink,
  peekLive,
  pollLive,
  type ReadResult,
  watchLive,
  withSession,
} from "../requests.ts";
import {
  checkInteger,
  checkPattern,
  type Deadline,
  DEFAULT_IDLE_MS,
  DEFAULT_MAX_STREAM_MS,
  DEFAULT_YIELD_MS,
  FOREVER_MS,
  noAnswer,
  REQUEST_TIMEOUT_MS,
  resolve,
  ResultError,
  type SessionRef,
  withDeadline,
} from "./common.ts";
import type { Connection } from "./connections.ts";

export interface ReadOptions extends Deadline {
  // Whose unread cursor to use and move (default "default").
  reader?: string;
  // At most this many bytes.
  limit?: number;
  // Strip escape sequences and turn CRLF into LF.
  plain?: boolean;
  // In-process only: the bytes go here, exactly as read, with their stream
  // offsets (without plain); `text` stays empty.
  sink?: OutputSink;
  // In-process only: read on this kept connection (connections.ts), released
  // after; if its supervisor went away before any output, answered from files.
  connection?: Connection;
}

export interface WaitOptions {
  // Wait at most this long (default 10000).
  yield_ms?: number;
  // Return once output has been quiet this long (default 150; 0 without --until).
  idle_ms?: number;
  // Wait until the output matches this regular expression: matched against the
  // text a user sees (escapes removed, CRLF normalised), or with `match_raw`
  // against the bytes.
  until?: string;
  match_raw?: boolean;
  // The settled wait (without until, idle above 0): return after this much
  // uninterrupted output (default 1000).
  max_stream_ms?: number;
  // false: quiet alone ends the wait, settled or not (default true).
  settle?: boolean;
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
  // In-process only (send): the output end just before the input was written,
  // where until/stop matches begin.
  input_end?: number;
}

// Collects delivered bytes as text (or passes them on to options.sink) and
// turns the delivery summary into a ReadOutput.
function readCollector(files: SessionFiles, options: ReadOptions) {
  const plain = options.plain ? new PlainFilter() : undefined;
  const decoder = new TextDecoder("utf-8");
  let text = "";
  const take = async (bytes: Uint8Array, offset: number) => {
    if (options.sink) await options.sink.write(bytes, offset);
    else text += decoder.decode(bytes, { stream: true });
  };
  return {
    sink: {
      write: (chunk: Uint8Array, offset: number) => take(plain ? plain.push(chunk) : chunk, offset),
    } satisfies OutputSink,
    async finish(result: ReadResult): Promise<ReadOutput> {
      if (plain) await take(plain.flush(), result.to);
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
        ...(result.input_end === undefined ? {} : { input_end: result.input_end }),
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

export function waitSpec(options: WaitOptions) {
  const until = checkPattern(options.until, "until");
  const idle = checkInteger(options.idle_ms, "idle_ms", 0, FOREVER_MS) ?? (until ? 0 : DEFAULT_IDLE_MS);
  return {
    yield_ms: checkInteger(options.yield_ms, "yield_ms", 0, FOREVER_MS) ?? DEFAULT_YIELD_MS,
    idle_ms: idle,
    until,
    match_raw: options.match_raw === true,
    // Without until, quiet alone does not end the wait: the program must have settled.
    settle: options.settle !== false && until === undefined && idle > 0,
    max_stream_ms: checkInteger(options.max_stream_ms, "max_stream_ms", 1, FOREVER_MS) ?? DEFAULT_MAX_STREAM_MS,
  };
}

// Waits per options (on `channel` if given) and reads what is unread.
export async function pollFiles(
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
  const offline = () => {
    // An ended session: until is checked here, against what the files gave.
    const plain = spec.match_raw ? undefined : new PlainFilter();
    const decoder = new TextDecoder();
    return readOffline(
      files,
      { reader, limit, advance: true },
      {
        async write(chunk, offset) {
          if (spec.until) matchText += decoder.decode(plain ? plain.push(chunk) : chunk, { stream: true });
          await collect.sink.write(chunk, offset);
        },
      },
    );
  };
  const live = (on: ClientChannel, sink: OutputSink, deferAck?: boolean) =>
    pollLive(files, on, { reader, limit, ...spec, ...extra }, sink, deferAck);
  const result = options.connection
    ? await pollKept(files, options.connection, live, collect.sink, offline)
    : await withSession(files, (on) => live(on, collect.sink), offline, channel);
  if (spec.until && result.matched === undefined) {
    result.matched = new RegExp(spec.until.source, spec.until.flags).test(matchText);
  }
  return checkRead(await collect.finish(result));
}

// A read on a kept connection, released after (kept only if it went cleanly);
// if the supervisor went away before delivering anything, the read is answered
// by the session (live again or from its files) instead.
async function pollKept(
  files: SessionFiles,
  connection: Connection,
  live: (
    channel: ClientChannel,
    sink: OutputSink,
    deferAck?: boolean,
  ) => Promise<ReadResult & { acked?: Promise<void> }>,
  sink: OutputSink,
  offline: () => Promise<ReadResult>,
): Promise<ReadResult> {
  let delivered = false;
  const counting: OutputSink = {
    write: (chunk, offset) => {
      delivered = true;
      return sink.write(chunk, offset);
    },
  };
  try {
    // The caller keeps the connection: it returns once the acknowledgement is
    // written, and the connection serves the next call once it is confirmed.
    const { acked, ...result } = await live(connection.channel, counting, true);
    if (acked) connection.releaseWhen(acked);
    else connection.release(true);
    return result;
  } catch (error) {
    connection.release(false);
    if (connection.cancelled) throw new BgtermError(EXIT.internal, `the read of session ${files.id} was cancelled`);
    if (!connection.channel.closed || delivered) throw error;
    return withSession(files, (on) => live(on, sink), offline);
  }
}

// Waits (bounded) for output and reads what this reader has not read yet.
export async function poll(session: SessionRef, options: PollOptions = {}): Promise<ReadOutput> {
  const files = resolve(session);
  const timeout = options.timeout_ms ?? (options.yield_ms ?? DEFAULT_YIELD_MS) + REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), () => pollFiles(files, undefined, options)).catch((error) => {
    // A kept connection still in use when time ran out ends with the call.
    options.connection?.cancel();
    throw error;
  });
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
