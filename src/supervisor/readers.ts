// Readers and their deliveries: each reader's unread cursor, the polls that
// wait on the output (--yield, --until, --idle), and the leased deliveries that
// move a cursor only once the client acknowledges them. The supervisor owns the
// stream; this desk only reads it through StreamView.
import type { Conn } from "./connection.ts";
import { DELIVERY_CHUNK, planDelivery } from "../shared/delivery.ts";
import type { Request, WaitSpec } from "../shared/protocol.ts";
import type { OutputRing } from "../shared/ring.ts";
import type { SessionFiles } from "../shared/session-files.ts";

// How much recent text an --until pattern is matched against.
const UNTIL_WINDOW = 1 << 20;
// A delivery this large is followed by a garbage collection request.
const COLLECT_AFTER_BYTES = 4 * 1024 * 1024;

// What the desk needs to know about the output stream.
export interface StreamView {
  readonly ring: OutputRing;
  readonly files: SessionFiles;
  end(): number;
  lastOutputAt(): number;
  // False once the child's exit is final: no more output will come.
  running(): boolean;
  exitCode(): number | null;
  storageError(): string | undefined;
  noteStorageError(error: unknown): void;
}

interface Waiter {
  conn: Conn;
  reader: string;
  spec: WaitSpec;
  limit?: number;
  deadline: number;
  regex?: RegExp;
  matched: boolean;
  scanFrom: number;
  // Deliver from `since` without a lease: no cursor moves.
  peek: boolean;
  since: number;
  text: string;
  decoder: TextDecoder;
  timer?: Timer;
}

interface ReaderState {
  cursor: number;
  leased: boolean;
}

export class ReaderDesk {
  private readonly readers = new Map<string, ReaderState>();
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly stream: StreamView) {}

  // New output, or the final state: every waiting poll looks again.
  reevaluate(): void {
    for (const waiter of this.waiters) this.evaluate(waiter);
  }

  // A client went away: its waits end and its lease is released unacknowledged.
  connectionClosed(conn: Conn): void {
    for (const waiter of this.waiters) {
      if (waiter.conn === conn) this.dropWaiter(waiter);
    }
    if (conn.lease) this.releaseLease(conn, false);
  }

  private readerState(reader: string): ReaderState {
    let state = this.readers.get(reader);
    if (!state) {
      state = { cursor: this.stream.files.readCursor(reader, this.stream.end()), leased: false };
      this.readers.set(reader, state);
    }
    return state;
  }

  // A poll-like request: wait as it asks, then deliver.
  poll(conn: Conn, request: Extract<Request, { op: "poll" }>): void {
    const state = this.readerState(request.reader);
    // poll matches --until against everything this reader has not read yet (so
    // `start; poll --until PROMPT` cannot miss a prompt that came early); send
    // passes `since`, the end of output just before its input was written.
    const since = request.since_input ? (conn.lastInputEnd ?? this.stream.end()) : (request.since ?? state.cursor);
    conn.lastInputEnd = undefined;
    const waiter: Waiter = {
      conn,
      reader: request.reader,
      spec: request.since_input ? { ...request, since } : request,
      limit: request.limit,
      deadline: performance.now() + request.yield_ms,
      regex: request.until ? new RegExp(request.until.source, request.until.flags) : undefined,
      matched: false,
      scanFrom: since,
      peek: request.peek === true,
      since,
      text: "",
      decoder: new TextDecoder("utf-8"),
    };
    this.waiters.add(waiter);
    this.evaluate(waiter);
  }

  private dropWaiter(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
  }

  // Feeds the output that arrived since the last look to an --until pattern.
  private scanForMatch(waiter: Waiter): void {
    const start = Math.max(waiter.scanFrom, this.stream.ring.retainedStart(this.stream.end()));
    if (start >= this.stream.end()) return;
    for (let at = start; at < this.stream.end(); at += DELIVERY_CHUNK) {
      const bytes = this.stream.ring.read(at, Math.min(this.stream.end(), at + DELIVERY_CHUNK));
      waiter.text += waiter.decoder.decode(bytes, { stream: true });
    }
    waiter.scanFrom = this.stream.end();
    if (waiter.text.length > UNTIL_WINDOW) waiter.text = waiter.text.slice(-UNTIL_WINDOW);
    waiter.regex!.lastIndex = 0;
    waiter.matched = waiter.regex!.test(waiter.text);
  }

  // Decides whether a waiting poll returns now, and if not, arms a timer for
  // the moment its idle period or its yield would end.
  private evaluate(waiter: Waiter): void {
    const state = this.readerState(waiter.reader);
    // Re-evaluated when the current delivery is acknowledged.
    if (state.leased && !waiter.peek) return;
    if (waiter.regex && !waiter.matched) this.scanForMatch(waiter);
    const now = performance.now();
    const spec = waiter.spec;
    const seen = waiter.peek ? waiter.since : Math.max(state.cursor, spec.since ?? 0);
    const newOutput = this.stream.end() > Math.max(seen, this.stream.ring.retainedStart(this.stream.end()));
    const condition = waiter.regex ? waiter.matched : newOutput;
    const quietFor = now - this.stream.lastOutputAt();
    const quietEnough = spec.idle_ms === 0 || quietFor >= spec.idle_ms;
    if ((condition && quietEnough) || !this.stream.running() || now >= waiter.deadline) {
      this.dropWaiter(waiter);
      void this.deliver(waiter.conn, {
        reader: waiter.reader,
        lease: !waiter.peek,
        from: waiter.peek ? waiter.since : undefined,
        limit: waiter.limit,
        matched: waiter.regex ? waiter.matched : undefined,
      });
      return;
    }
    clearTimeout(waiter.timer);
    const wake = condition ? Math.min(spec.idle_ms - quietFor, waiter.deadline - now) : waiter.deadline - now;
    waiter.timer = setTimeout(() => this.evaluate(waiter), Math.max(0, Math.ceil(wake)));
  }

  // Streams output to the client as data frames, then a summary. For a reader
  // the range stays leased until the client acknowledges it; only then does
  // the cursor move, so a client that dies mid-delivery loses nothing.
  async deliver(
    conn: Conn,
    request: { reader: string; lease: boolean; from?: number; limit?: number; matched?: boolean },
  ): Promise<void> {
    const state = this.readerState(request.reader);
    const position = request.from ?? state.cursor;
    const plan = planDelivery({
      ring: this.stream.ring,
      position,
      end: this.stream.end(),
      limit: request.limit,
      final: !this.stream.running(),
    });
    if (request.lease) {
      state.leased = true;
      conn.lease = { reader: request.reader, to: plan.to };
    }
    let truncated = plan.truncated;
    for (let at = plan.from; at < plan.to && !conn.closed; ) {
      const retainedStart = this.stream.ring.retainedStart(this.stream.end());
      if (at < retainedStart) {
        // Output flooded past retention while we were sending: skip what is gone.
        truncated = true;
        at = Math.min(retainedStart, plan.to);
        continue;
      }
      const next = Math.min(plan.to, at + DELIVERY_CHUNK);
      await conn.send({ op: "data", offset: at }, this.stream.ring.read(at, next));
      at = next;
    }
    // A large delivery leaves many buffers behind; with Bun's GC timer off,
    // ask for a collection now rather than letting them pile up.
    if (plan.to - plan.from >= COLLECT_AFTER_BYTES) Bun.gc(false);
    await conn.send({
      op: "done",
      from: plan.from,
      to: plan.to,
      end: this.stream.end(),
      retained_start: this.stream.ring.retainedStart(this.stream.end()),
      running: this.stream.running(),
      exit_code: this.stream.exitCode(),
      truncated,
      matched: request.matched,
      storage_error: this.stream.storageError(),
    });
  }

  // The client acknowledged (or, when it vanished, did not) its delivery.
  releaseLease(conn: Conn, acknowledged: boolean, to?: number): void {
    const lease = conn.lease;
    if (!lease) return;
    conn.lease = undefined;
    const state = this.readerState(lease.reader);
    state.leased = false;
    if (acknowledged) {
      const cursor = Math.max(state.cursor, Math.min(to ?? lease.to, lease.to));
      if (cursor !== state.cursor) {
        state.cursor = cursor;
        try {
          this.stream.files.writeCursor(lease.reader, cursor);
        } catch (error) {
          // The cursor lives on in memory while the supervisor does.
          this.stream.noteStorageError(error);
        }
      }
      void conn.send({ op: "ok" });
    }
    for (const waiter of this.waiters) {
      if (waiter.reader === lease.reader) this.evaluate(waiter);
    }
  }
}
