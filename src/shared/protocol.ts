// The messages between a client and a supervisor, one definition for both sides.
// A frame is [u32 header bytes][u32 payload bytes][JSON header][raw payload]:
// session bytes travel as raw payload, never inside JSON, so they stay exact.

// The version of the messages below. A client opens every connection with
// `hello`; a supervisor started by another bgterm version answers with its own
// version (or, before versions existed, not at all), and the client says which
// binary to use. Bump it whenever a request or reply changes shape.
export const PROTOCOL_VERSION = 3;

// What a client tells a user who meets a supervisor of another version.
export function protocolMismatchMessage(id: number, theirs: number | "unknown"): string {
  const which = theirs === "unknown" ? "an older protocol" : `protocol v${theirs}`;
  return (
    `session ${id} was started by another bgterm version (its supervisor speaks ${which}, ` +
    `this bgterm v${PROTOCOL_VERSION}): use the bgterm binary that started it, or close the session (bgterm close ${id})`
  );
}

// The error reply to a request the supervisor does not know.
export function unknownRequestMessage(op: unknown): string {
  return `unknown request '${String(op).slice(0, 64)}' (supervisor protocol v${PROTOCOL_VERSION})`;
}

// The longest duration anywhere (a timer holds at most 2^31-1 ms, ~24.8 days).
export const MAX_DURATION_MS = 2_147_483_647;

// What a poll-like request asks the supervisor to wait for.
export interface WaitSpec {
  yield_ms: number;
  idle_ms: number;
  until?: { source: string; flags: string };
  // --match-raw: match --until against the bytes, escape sequences included,
  // instead of the text a user sees.
  match_raw?: boolean;
  // --until matches only output from this offset on (the call's start).
  since?: number;
  // Instead of `since`: the end of output just before this connection's last
  // input was written (send pipelines its input and its wait).
  since_input?: boolean;
  // Settled waits: quiet alone is not enough (see settle in the README).
  settle?: boolean;
  // With settle: return after this much uninterrupted output.
  max_stream_ms?: number;
  // With settle: the program must also be blocked waiting for input (as after
  // a send; start --settle asks for it too).
  wants_input?: boolean;
}

// exec: run a command line in the session's shell (the supervisor queues it).
export interface ExecRequest {
  op: "exec";
  command: string;
  timeout_ms: number | null;
  no_wait: boolean;
  interrupt: boolean;
  allow_interactive: boolean;
  // Keep the user's PAGER and friends instead of cat.
  pager: boolean;
}

// The end of an exec: its output is the stream between from and to.
export interface ExecDone {
  op: "exec_done";
  exit_code: number | null;
  from: number;
  to: number;
  timed_out: boolean;
  error?: { code: number; message: string };
  // Set when the shell itself ended (exit) before the command finished.
  shell_exit_code?: number | null;
}

export type Request =
  // The first frame of a connection; the supervisor answers with its version.
  | { op: "hello"; protocol: number }
  // payload: bytes for the terminal; more: the same send's input continues in
  // the next frame (other connections' input waits until it is done); quiet:
  // no "ok" (a poll with since_input follows, and its done says input_end).
  | { op: "input"; more?: boolean; quiet?: boolean }
  // peek: wait the same way, but deliver from `since` and move no cursor
  // (readiness checks and exec watch output without consuming it).
  | ({ op: "poll"; reader: string; limit?: number; peek?: boolean } & WaitSpec)
  | { op: "peek"; reader: string; from?: number; limit?: number }
  | { op: "ack"; to: number }
  | { op: "wait_exit" }
  | { op: "resize"; cols: number; rows: number }
  | { op: "signal"; signal: string }
  | { op: "close"; signal: string; grace_ms: number }
  | { op: "screen"; scrollback?: number; ansi?: boolean }
  // attach: stream output from `from` as data frames until the child exits.
  | { op: "subscribe"; from: number }
  | { op: "modes" }
  | ExecRequest;

// Summary of one delivery of output (sent after its data frames).
export interface DeliveryDone {
  op: "done";
  from: number;
  to: number;
  end: number;
  retained_start: number;
  running: boolean;
  exit_code: number | null;
  truncated: boolean;
  // Bytes after the requested position that retention dropped (with truncated).
  omitted_bytes?: number;
  matched?: boolean;
  // Set when the supervisor could not store output (disk full): some is lost.
  storage_error?: string;
  // A poll with since_input: the end of output just before the input.
  input_end?: number;
}

export type Reply =
  | { op: "hello"; protocol: number }
  // end: answers input (the output end before it); acked: answers ack (the cursor is stored).
  | { op: "ok"; end?: number; acked?: number }
  // Input from this connection waits for another connection's paste; sent
  // again each time that paste makes progress (keeps the client's deadline).
  | { op: "queued" }
  | { op: "data"; offset: number } // payload: output bytes starting at offset
  | DeliveryDone
  | { op: "exited"; exit_code: number }
  | { op: "screen"; screen: import("./screen-model.ts").ScreenSnapshot; offset: number }
  | { op: "modes"; application_cursor: boolean; bracketed_paste: boolean }
  | ExecDone
  | { op: "error"; code: number; message: string };

const HEAD = 8;

// The frame's head (lengths and JSON header); the payload follows it unchanged,
// so large payloads are never copied just to be framed.
export function encodeFrameHead(header: Request | Reply, payloadLength: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.allocUnsafe(HEAD + json.length);
  head.writeUInt32LE(json.length, 0);
  head.writeUInt32LE(payloadLength, 4);
  json.copy(head, HEAD);
  return head;
}

export interface Frame<T> {
  header: T;
  payload: Buffer;
}

// A byte stream that is not a sequence of frames (or one beyond the limits):
// the connection cannot be trusted to resynchronise.
export class FrameError extends Error {}

// Reassembles frames from a byte stream that arrives in arbitrary pieces.
// With limits, a frame announcing a larger header or payload is refused before
// any of it is buffered, so a hostile writer cannot make the reader hold gigabytes.
export class FrameReader<T> {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly limits?: { header: number; payload: number }) {}

  push(chunk: Uint8Array): Frame<T>[] {
    this.pending.push(Buffer.from(chunk));
    this.pendingBytes += chunk.length;
    const frames: Frame<T>[] = [];
    for (;;) {
      if (this.pendingBytes < HEAD) break;
      if (this.pending[0]!.length < HEAD) this.pending = [Buffer.concat(this.pending)];
      const first = this.pending[0]!;
      const headerBytes = first.readUInt32LE(0);
      const payloadBytes = first.readUInt32LE(4);
      if (this.limits && (headerBytes > this.limits.header || payloadBytes > this.limits.payload)) {
        throw new FrameError(
          `frame too large (header ${headerBytes} bytes, payload ${payloadBytes}; at most ${this.limits.header} and ${this.limits.payload})`,
        );
      }
      const total = HEAD + headerBytes + payloadBytes;
      // Pieces are joined only once the whole frame is here (one copy, not one per piece).
      if (this.pendingBytes < total) break;
      const buffer = first.length >= total ? first : Buffer.concat(this.pending);
      let header: T;
      try {
        header = JSON.parse(buffer.toString("utf8", HEAD, HEAD + headerBytes)) as T;
      } catch {
        throw new FrameError("frame header is not valid JSON");
      }
      // A view: the frame's buffer is not copied again.
      frames.push({ header, payload: buffer.subarray(HEAD + headerBytes, total) });
      const rest = buffer.subarray(total);
      const later = buffer === first ? this.pending.slice(1) : [];
      this.pending = rest.length ? [rest, ...later] : later;
      this.pendingBytes -= total;
    }
    return frames;
  }
}
