// Talking to a session: through its supervisor's socket while it lives, and
// straight from its files once it is gone (under the lock the supervisor held,
// so a client never reads a cursor the supervisor might still move).
import fs from "node:fs";
import {
  BgtermError,
  errnoCode,
  EXIT,
  noSessionError,
  sessionLost,
  sessionNeverStarted,
  sessionNotRunning,
} from "../errors.ts";
import { Channel, COALESCE_BYTES } from "../shared/channel.ts";
import { DELIVERY_CHUNK } from "../shared/delivery.ts";
import { type HeldLock, LOCK_WAIT_MS, tryLockExclusive, withLock } from "../shared/flock.ts";
import { readProcStat } from "../shared/procfs.ts";
import {
  type DeliveryDone,
  MAX_DURATION_MS,
  PROTOCOL_VERSION,
  protocolMismatchMessage,
  type Reply,
  type Request,
  type WaitSpec,
} from "../shared/protocol.ts";
import type { ScreenOptions, ScreenSnapshot } from "../shared/screen-model.ts";
import { sessionState } from "./registry.ts";
import type { SessionFiles } from "../shared/session-files.ts";

export type ClientChannel = Channel<Reply, Request>;

// Where delivered output goes; write() must finish before the read is acknowledged.
export interface OutputSink {
  write(chunk: Uint8Array, offset: number): void | Promise<void>;
}

// The result of one read: what was delivered and where the session stands.
export interface ReadResult extends Omit<DeliveryDone, "op"> {
  dropped_bytes: number;
  // With pipelined input: the output end just before that input was written.
  input_end?: number;
  // Bytes after the requested position that retention dropped before this read.
  omitted_bytes: number;
}

// The supervisor went away mid-request (it was exiting). If it had sent no
// output yet, the request can be answered from the files instead.
class SupervisorGoneError extends BgtermError {
  partial = false;
  constructor(id: number) {
    super(EXIT.internal, `session ${id}: the supervisor closed the connection`);
  }
}

// How long a supervisor may take to answer hello. Only one that predates the
// protocol version stays silent; a live one answers within milliseconds.
const HELLO_TIMEOUT_MS = 10_000;

// The session's supervisor speaks another protocol version.
export class ProtocolMismatchError extends BgtermError {
  constructor(id: number, theirs: number | "unknown") {
    super(EXIT.internal, protocolMismatchMessage(id, theirs));
  }
}

// A client connection whose version exchange travels with the first request:
// hello goes out on connect, and the first next() checks the supervisor's
// answer before handing over any other reply. A supervisor whose version
// differs answers hello and refuses every request after it, so nothing
// pipelined behind a mismatched hello is ever served.
class HelloChannel extends Channel<Reply, Request> {
  // Set until the supervisor's hello has been checked; resolves false if the
  // supervisor left before answering.
  private hello?: Promise<boolean>;
  // What to throw instead when the supervisor left before answering hello.
  goneBeforeHello?: () => Error;

  sayHello(files: SessionFiles): void {
    void this.send({ op: "hello", protocol: PROTOCOL_VERSION });
    this.hello = this.checkHello(files);
    // Whoever reads next sees a failed check; unread, it must not surface as unhandled.
    this.hello.catch(() => {});
  }

  // Resolves once the hello answer is in: true, or false if the supervisor left first.
  helloDone(): Promise<boolean> {
    return this.hello ?? Promise.resolve(!this.closed);
  }

  override next(): ReturnType<Channel<Reply, Request>["next"]> {
    if (!this.hello) return super.next();
    return this.hello.then((live) => (live ? super.next() : undefined));
  }

  override nextWithin(ms: number): ReturnType<Channel<Reply, Request>["nextWithin"]> {
    if (!this.hello) return super.nextWithin(ms);
    return this.hello.then((live) => (live ? super.nextWithin(ms) : undefined));
  }

  private async checkHello(files: SessionFiles): Promise<boolean> {
    let timer: Timer | undefined;
    const silent = new Promise<"silent">((resolve) => {
      timer = setTimeout(() => resolve("silent"), HELLO_TIMEOUT_MS);
    });
    const frame = await Promise.race([super.next(), silent]).finally(() => clearTimeout(timer));
    if (frame === undefined) {
      if (this.goneBeforeHello) throw this.goneBeforeHello();
      return false;
    }
    const header = frame === "silent" ? undefined : frame.header;
    if (header?.op === "hello" && header.protocol === PROTOCOL_VERSION) {
      this.hello = undefined;
      return true;
    }
    this.end();
    // Silence from a stopped supervisor is not a version mismatch.
    if (frame === "silent" && isStopped(files)) throw new SupervisorStuckError(files, HELLO_TIMEOUT_MS);
    throw new ProtocolMismatchError(files.id, header?.op === "hello" ? header.protocol : "unknown");
  }
}

// A connection to a live supervisor, or undefined if none is listening. With
// `pipelined`, it returns before the supervisor's hello arrives (the first
// reply read checks it, and a supervisor gone by then reads as a closed
// connection); without, it waits for hello, and is undefined if the
// supervisor left as we arrived.
export async function connect(files: SessionFiles, pipelined = false): Promise<ClientChannel | undefined> {
  let channel: HelloChannel | undefined;
  try {
    await Bun.connect<ClientChannel>({
      unix: files.socket,
      socket: {
        open: (socket) => {
          channel = new HelloChannel(socket);
          socket.data = channel;
        },
        data: (socket, chunk) => socket.data.received(chunk),
        drain: (socket) => socket.data.flush(),
        close: (socket) => socket.data?.closedByPeer(),
        error: (socket) => socket.data?.closedByPeer(),
      },
    });
  } catch (error) {
    const code = errnoCode(error);
    // No supervisor, or one closing its socket as we arrive.
    if (["ENOENT", "ECONNREFUSED", "ENOTSOCK", "ECONNRESET", "EPIPE"].includes(code ?? "")) return undefined;
    throw new BgtermError(EXIT.internal, `cannot reach session ${files.id}: ${(error as Error).message}`);
  }
  if (!channel) return undefined;
  channel.sayHello(files);
  if (pipelined) return channel;
  return (await channel.helloDone()) ? channel : undefined;
}

// Why there is no running session to talk to (exit 4).
function notRunning(files: SessionFiles): BgtermError {
  const state = sessionState(files);
  return state === "lost"
    ? sessionLost(files.id)
    : state === "starting"
      ? sessionNeverStarted(files.id)
      : sessionNotRunning(files.id);
}

// For input: a connection to a running session, or exit 4 saying why there is
// none. The hello is pipelined with the caller's first request; a supervisor
// that leaves before answering it reads as the same exit 4.
export async function connectRunning(files: SessionFiles): Promise<ClientChannel> {
  const channel = (await connect(files, true)) as HelloChannel | undefined;
  if (!channel) throw notRunning(files);
  channel.goneBeforeHello = () => notRunning(files);
  return channel;
}

// How long a supervisor may take to answer beyond what the request itself
// asks to wait (--yield, --grace): past it, the supervisor is stopped or hung.
export const REPLY_MARGIN_MS = 10_000;

// The supervisor holds the session (its lock) but no socket answers: it is
// still starting, or its socket file was removed.
export class SessionUnreachableError extends BgtermError {
  constructor(files: SessionFiles) {
    super(
      EXIT.internal,
      `session ${files.id}: its supervisor is alive but does not answer on ${files.socket} (still starting, or the socket file was removed)`,
    );
  }
}

function supervisorPid(files: SessionFiles): number | undefined {
  try {
    return files.readMeta()?.supervisor_pid;
  } catch {
    return undefined;
  }
}

// The supervisor is stopped (SIGSTOP, or a debugger).
function isStopped(files: SessionFiles): boolean {
  const pid = supervisorPid(files);
  const state = pid === undefined ? undefined : readProcStat(pid)?.state;
  return state === "T" || state === "t";
}

// The supervisor accepted the request but did not answer in time.
export class SupervisorStuckError extends BgtermError {
  constructor(files: SessionFiles, waitedMs: number) {
    const pid = supervisorPid(files);
    const why = isStopped(files) ? "it is stopped (SIGSTOP?)" : "it is hung or overloaded";
    super(
      EXIT.internal,
      `session ${files.id}: the supervisor${pid ? ` (pid ${pid})` : ""} did not answer within ${waitedMs} ms: ${why}`,
    );
  }
}

// The session's folder went away (it was closed) while we were talking to it.
function closedMeanwhile(files: SessionFiles): BgtermError {
  return noSessionError(`session ${files.id} was closed`);
}

// Runs `live` against the supervisor, or `offline` under the session lock when
// the supervisor is gone. Bounded: a supervisor that is exiting or starting is
// waited for up to LOCK_WAIT_MS, never without limit.
export async function withSession<T>(
  files: SessionFiles,
  live: (channel: ClientChannel) => Promise<T>,
  offline: () => T | Promise<T>,
  // A connection the caller already holds (send polls on the one it wrote to).
  existing?: ClientChannel,
): Promise<T> {
  const deadline = performance.now() + LOCK_WAIT_MS;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const channel = existing ?? (await connect(files, true));
    existing = undefined;
    if (channel) {
      try {
        return await live(channel);
      } catch (error) {
        if (!(error instanceof SupervisorGoneError) || error.partial) throw error;
      } finally {
        channel.end();
      }
    }
    if (!files.exists()) throw closedMeanwhile(files);
    let lock: HeldLock | undefined;
    try {
      lock = tryLockExclusive(files.lock);
    } catch (error) {
      if (!files.exists()) throw closedMeanwhile(files);
      throw error;
    }
    if (lock) {
      try {
        return await offline();
      } finally {
        lock.release();
      }
    }
    if (performance.now() >= deadline) throw new SessionUnreachableError(files);
    await Bun.sleep(delay);
  }
}

// Returns once no supervisor holds the session (one that is exiting releases
// its lock as its last act), so the files are final.
export function waitForSupervisorExit(files: SessionFiles): void {
  withLock(files.lock, () => {});
}

// The next reply; a vanished supervisor or an error reply becomes a thrown error.
async function expectReply(
  files: SessionFiles,
  channel: ClientChannel,
  waitMs = REPLY_MARGIN_MS,
): Promise<{ header: Reply; payload: Buffer }> {
  const frame = await channel.nextWithin(waitMs);
  if (frame === null) throw new SupervisorStuckError(files, waitMs);
  if (!frame) throw new SupervisorGoneError(files.id);
  if (frame.header.op === "error") throw new BgtermError(frame.header.code, frame.header.message);
  return frame;
}

// Receives data frames into the sink until the summary arrives.
async function receiveDelivery(
  files: SessionFiles,
  channel: ClientChannel,
  sink: OutputSink,
  // The request's own wait (--yield) before its first frame.
  yieldMs = 0,
): Promise<DeliveryDone & { input_end?: number }> {
  let received = false;
  let inputEnd: number | undefined;
  for (;;) {
    const waitMs = REPLY_MARGIN_MS + (received ? 0 : Math.min(yieldMs, MAX_DURATION_MS - REPLY_MARGIN_MS));
    const { header, payload } = await expectReply(files, channel, waitMs).catch((error) => {
      if (error instanceof SupervisorGoneError) error.partial = received;
      throw error;
    });
    if (header.op === "ok") {
      inputEnd ??= header.end; // the acknowledgement of pipelined input
      continue;
    }
    if (header.op === "queued") continue; // the input waits for another paste
    received = true;
    if (header.op === "data") await sink.write(payload, header.offset);
    else if (header.op === "done") {
      const input_end = header.input_end ?? inputEnd;
      return input_end === undefined ? header : { ...header, input_end };
    } else throw new BgtermError(EXIT.internal, `unexpected reply '${header.op}' from supervisor`);
  }
}

function toResult(done: DeliveryDone & { input_end?: number }): ReadResult {
  const { op: _op, ...rest } = done;
  return { ...rest, omitted_bytes: done.omitted_bytes ?? 0, dropped_bytes: done.retained_start };
}

// The acknowledgement of one input frame; "queued" (another paste goes
// first, and is progressing) restarts the deadline.
async function inputAcknowledged(files: SessionFiles, channel: ClientChannel): Promise<number | undefined> {
  for (;;) {
    const { header } = await expectReply(files, channel);
    if (header.op === "queued") continue;
    if (header.op !== "ok") throw new BgtermError(EXIT.internal, "unexpected reply to input");
    return header.end;
  }
}

// Writes bytes to the terminal; returns the output end offset just before, so
// a following wait can look only at output that came after the input.
export async function sendInput(files: SessionFiles, channel: ClientChannel, data: Uint8Array): Promise<number> {
  let endBefore: number | undefined;
  // Chunks keep a huge paste from sitting in memory on either side; `more`
  // keeps other connections' input from interleaving with it.
  for (let at = 0; at < data.length || endBefore === undefined; at += DELIVERY_CHUNK) {
    const more = at + DELIVERY_CHUNK < data.length;
    await channel.send(more ? { op: "input", more } : { op: "input" }, data.subarray(at, at + DELIVERY_CHUNK));
    const end = await inputAcknowledged(files, channel);
    endBefore ??= end ?? 0;
  }
  return endBefore;
}

// Writes input without waiting for its acknowledgement, so the wait that
// follows (a poll with since_input) travels in the same round trip. Large
// input still goes in acknowledged chunks, so neither side buffers it all;
// `data` may be a stream (stdin), never held whole.
// With `followed` (the caller's next frame on this channel is the wait), a
// small last frame is held to go out in one write with it.
export async function pipelineInput(
  files: SessionFiles,
  channel: ClientChannel,
  data: Uint8Array | AsyncIterable<Uint8Array>,
  followed = false,
): Promise<void> {
  // Pieces are gathered into DELIVERY_CHUNK frames; the last frame is sent
  // without `more` and unacknowledged (its answer comes with the poll's).
  if (data instanceof Uint8Array) {
    // Bytes in hand: no stream to gather (and the wait follows without delay).
    let at = 0;
    for (; data.length - at > DELIVERY_CHUNK; at += DELIVERY_CHUNK) {
      await channel.send({ op: "input", more: true }, data.subarray(at, at + DELIVERY_CHUNK));
      await inputAcknowledged(files, channel);
    }
    const last = data.subarray(at);
    // Held frames are quiet: the poll's done says where the input began.
    if (followed && last.length <= COALESCE_BYTES) channel.hold({ op: "input", quiet: true }, last);
    else await channel.send({ op: "input" }, last);
    return;
  }
  let gathered: Uint8Array[] = [];
  let size = 0;
  for await (const piece of data) {
    gathered.push(piece);
    size += piece.length;
    while (size > DELIVERY_CHUNK) {
      const joined = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered);
      await channel.send({ op: "input", more: true }, joined.subarray(0, DELIVERY_CHUNK));
      await inputAcknowledged(files, channel);
      gathered = [joined.subarray(DELIVERY_CHUNK)];
      size -= DELIVERY_CHUNK;
    }
  }
  await channel.send({ op: "input" }, gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered));
}

export interface PollOptions extends WaitSpec {
  reader: string;
  limit?: number;
}

// A cursor-advancing wait-and-read; the cursor moves only after the sink has the bytes.
// With `deferAck` (a caller that keeps its connection and outlives the call,
// such as the MCP server) the result comes back as soon as the acknowledgement
// is written, and the returned promise's `acked` settles when the supervisor
// confirms it; the connection must not be reused before then.
export async function pollLive(
  files: SessionFiles,
  channel: ClientChannel,
  options: PollOptions,
  sink: OutputSink,
  deferAck = false,
): Promise<ReadResult & { acked?: Promise<void> }> {
  await channel.send({ op: "poll", ...options });
  const done = await receiveDelivery(files, channel, sink, options.yield_ms);
  await channel.send({ op: "ack", to: done.to });
  const acked = ackConfirmed(files, channel);
  if (deferAck) return { ...toResult(done), acked };
  await acked;
  return toResult(done);
}

// The answer says the cursor is stored, so whatever runs next (info, a read
// from the files) sees it moved. Answers to pipelined input may come first.
// An error says the lease was revoked (this client took too long): the
// output stays unread and the next read gets it again.
async function ackConfirmed(files: SessionFiles, channel: ClientChannel): Promise<void> {
  // A supervisor that leaves first (exiting) has still been handed the ack.
  for (;;) {
    const frame = await channel.nextWithin(REPLY_MARGIN_MS);
    if (frame === null) throw new SupervisorStuckError(files, REPLY_MARGIN_MS);
    if (!frame) return;
    const { header } = frame;
    if (header.op === "ok" && header.acked !== undefined) return;
    if (header.op === "error") throw new BgtermError(header.code, `session ${files.id}: ${header.message}`);
  }
}

// A read that leaves every cursor where it is.
export async function peekLive(
  files: SessionFiles,
  channel: ClientChannel,
  options: { reader: string; from?: number; limit?: number },
  sink: OutputSink,
): Promise<ReadResult> {
  await channel.send({ op: "peek", ...options });
  return toResult(await receiveDelivery(files, channel, sink));
}

// Waits (without limit; callers race it against their timeout) for the
// child's exit code.
export async function waitForExit(files: SessionFiles): Promise<number> {
  return withSession(
    files,
    (channel) => waitExitLive(files, channel),
    () => {
      const status = files.readStatus();
      if (status) return status.exit_code;
      // Under the lock no supervisor lives: started without an exit status
      // is lost (sessionState cannot tell here: we hold the lock ourselves).
      if (fs.existsSync(files.meta)) throw sessionLost(files.id, "its exit status was never recorded");
      throw sessionNeverStarted(files.id);
    },
  );
}

// The child's exit code, once it has exited.
export async function waitExitLive(files: SessionFiles, channel: ClientChannel): Promise<number> {
  await channel.send({ op: "wait_exit" });
  // As long as the program runs: callers bound it with their own timeout.
  const { header } = await expectReply(files, channel, MAX_DURATION_MS);
  if (header.op !== "exited") throw new BgtermError(EXIT.internal, "unexpected reply to wait");
  return header.exit_code;
}

// The screen as the supervisor's emulator shows it, and the offset it reflects.
export async function screenLive(
  files: SessionFiles,
  channel: ClientChannel,
  options: ScreenOptions,
): Promise<{ screen: ScreenSnapshot; offset: number }> {
  await channel.send({ op: "screen", ...options });
  // Replaying a large retained output may take a while: twice the margin.
  const { header } = await expectReply(files, channel, 2 * REPLY_MARGIN_MS);
  if (header.op !== "screen") throw new BgtermError(EXIT.internal, "no screen from the supervisor");
  return { screen: header.screen, offset: header.offset };
}

// Streams output from `from` on to `onData` until the child exits (resolves
// with its code) or the supervisor goes away (resolves with null).
export async function subscribeLive(
  channel: ClientChannel,
  from: number,
  onData: (bytes: Uint8Array) => void,
): Promise<number | null> {
  await channel.send({ op: "subscribe", from });
  for (;;) {
    const frame = await channel.next();
    if (!frame) return null;
    if (frame.header.op === "data") onData(frame.payload);
    else if (frame.header.op === "exited") return frame.header.exit_code;
  }
}

// A simple request with an "ok" answer (resize, signal, close).
export async function requestOk(
  files: SessionFiles,
  channel: ClientChannel,
  request: Request,
  waitMs = REPLY_MARGIN_MS,
): Promise<void> {
  await channel.send(request);
  const { header } = await expectReply(files, channel, waitMs);
  if (header.op !== "ok") throw new BgtermError(EXIT.internal, `unexpected reply '${header.op}'`);
}

// Waits like poll but reads from `since` and moves no cursor (readiness, exec).
export async function watchLive(
  files: SessionFiles,
  channel: ClientChannel,
  options: WaitSpec & { reader?: string },
  sink: OutputSink,
): Promise<ReadResult> {
  // Without `since`, the watch starts at the reader's cursor.
  await channel.send({ op: "poll", reader: "default", peek: true, ...options });
  return toResult(await receiveDelivery(files, channel, sink, options.yield_ms));
}

// The terminal modes the program has set (from the supervisor's emulator).
export async function terminalModes(
  files: SessionFiles,
  channel: ClientChannel,
): Promise<{ applicationCursor: boolean; bracketedPaste: boolean }> {
  await channel.send({ op: "modes" });
  const { header } = await expectReply(files, channel);
  if (header.op !== "modes") throw new BgtermError(EXIT.internal, "unexpected reply to a modes request");
  return { applicationCursor: header.application_cursor, bracketedPaste: header.bracketed_paste };
}
