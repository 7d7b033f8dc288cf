// Talking to a session: through its supervisor's socket while it lives, and
// straight from its files once it is gone (under the lock the supervisor held,
// so a client never reads a cursor the supervisor might still move).
import { BgtermError, errnoCode, EXIT, sessionLost, sessionNeverStarted, sessionNotRunning } from "../errors.ts";
import { Channel } from "../shared/channel.ts";
import { DELIVERY_CHUNK } from "../shared/delivery.ts";
import { withLock } from "../shared/flock.ts";
import {
  type DeliveryDone,
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

// Runs `live` against the supervisor, or `offline` under the session lock when
// the supervisor is gone (the lock also waits out one that is just exiting).
export async function withSession<T>(
  files: SessionFiles,
  live: (channel: ClientChannel) => Promise<T>,
  offline: () => T | Promise<T>,
  // A connection the caller already holds (send polls on the one it wrote to).
  existing?: ClientChannel,
): Promise<T> {
  const channel = existing ?? (await connect(files, true));
  if (channel) {
    try {
      return await live(channel);
    } catch (error) {
      if (!(error instanceof SupervisorGoneError) || error.partial) throw error;
    } finally {
      channel.end();
    }
  }
  return await withLock(files.lock, offline);
}

// Returns once no supervisor holds the session (one that is exiting releases
// its lock as its last act), so the files are final.
export function waitForSupervisorExit(files: SessionFiles): void {
  withLock(files.lock, () => {});
}

// The next reply; a vanished supervisor or an error reply becomes a thrown error.
async function expectReply(files: SessionFiles, channel: ClientChannel): Promise<{ header: Reply; payload: Buffer }> {
  const frame = await channel.next();
  if (!frame) throw new SupervisorGoneError(files.id);
  if (frame.header.op === "error") throw new BgtermError(frame.header.code, frame.header.message);
  return frame;
}

// Receives data frames into the sink until the summary arrives.
async function receiveDelivery(
  files: SessionFiles,
  channel: ClientChannel,
  sink: OutputSink,
): Promise<DeliveryDone & { input_end?: number }> {
  let received = false;
  let inputEnd: number | undefined;
  for (;;) {
    const { header, payload } = await expectReply(files, channel).catch((error) => {
      if (error instanceof SupervisorGoneError) error.partial = received;
      throw error;
    });
    if (header.op === "ok") {
      inputEnd ??= header.end; // the acknowledgement of pipelined input
      continue;
    }
    received = true;
    if (header.op === "data") await sink.write(payload, header.offset);
    else if (header.op === "done") return inputEnd === undefined ? header : { ...header, input_end: inputEnd };
    else throw new BgtermError(EXIT.internal, `unexpected reply '${header.op}' from supervisor`);
  }
}

function toResult(done: DeliveryDone & { input_end?: number }): ReadResult {
  const { op: _op, ...rest } = done;
  return { ...rest, dropped_bytes: done.retained_start };
}

// Writes bytes to the terminal; returns the output end offset just before, so
// a following wait can look only at output that came after the input.
export async function sendInput(files: SessionFiles, channel: ClientChannel, data: Uint8Array): Promise<number> {
  let endBefore: number | undefined;
  // Chunks keep a huge paste from sitting in memory on either side.
  for (let at = 0; at < data.length || endBefore === undefined; at += DELIVERY_CHUNK) {
    await channel.send({ op: "input" }, data.subarray(at, at + DELIVERY_CHUNK));
    const { header } = await expectReply(files, channel);
    if (header.op !== "ok") throw new BgtermError(EXIT.internal, "unexpected reply to input");
    endBefore ??= header.end ?? 0;
  }
  return endBefore;
}

// Writes input without waiting for its acknowledgement, so the wait that
// follows (a poll with since_input) travels in the same round trip. Large
// input still goes in acknowledged chunks, so neither side buffers it all.
export async function pipelineInput(files: SessionFiles, channel: ClientChannel, data: Uint8Array): Promise<void> {
  let at = 0;
  for (; data.length - at > DELIVERY_CHUNK; at += DELIVERY_CHUNK) {
    await channel.send({ op: "input" }, data.subarray(at, at + DELIVERY_CHUNK));
    const { header } = await expectReply(files, channel);
    if (header.op !== "ok") throw new BgtermError(EXIT.internal, "unexpected reply to input");
  }
  await channel.send({ op: "input" }, data.subarray(at));
}

export interface PollOptions extends WaitSpec {
  reader: string;
  limit?: number;
}

// A cursor-advancing wait-and-read; the cursor moves only after the sink has the bytes.
export async function pollLive(
  files: SessionFiles,
  channel: ClientChannel,
  options: PollOptions,
  sink: OutputSink,
): Promise<ReadResult> {
  await channel.send({ op: "poll", ...options });
  const done = await receiveDelivery(files, channel, sink);
  // The answer says the cursor is stored, so whatever runs next (info, a read
  // from the files) sees it moved. Answers to pipelined input may come first.
  await channel.send({ op: "ack", to: done.to });
  // A supervisor that leaves first (exiting) has still been handed the ack.
  for (let frame = await channel.next(); frame; frame = await channel.next()) {
    const { header } = frame;
    if (header.op === "ok" && header.acked !== undefined) break;
    if (header.op === "error") throw new BgtermError(header.code, header.message);
  }
  return toResult(done);
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
      if (sessionState(files) === "lost") {
        throw sessionLost(files.id, "its exit status was never recorded");
      }
      throw sessionNeverStarted(files.id);
    },
  );
}

// The child's exit code, once it has exited.
export async function waitExitLive(files: SessionFiles, channel: ClientChannel): Promise<number> {
  await channel.send({ op: "wait_exit" });
  const { header } = await expectReply(files, channel);
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
  const { header } = await expectReply(files, channel);
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
export async function requestOk(files: SessionFiles, channel: ClientChannel, request: Request): Promise<void> {
  await channel.send(request);
  const { header } = await expectReply(files, channel);
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
  return toResult(await receiveDelivery(files, channel, sink));
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
