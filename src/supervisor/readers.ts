// Readers and their deliveries: each reader's unread cursor, the polls that
// wait on the output (--yield, --until, --idle), and the leased deliveries that
// move a cursor only once the client acknowledges them. The output log owns the
// stream; this desk only reads it.
import fs from "node:fs";
import { EXIT } from "../errors.ts";
import { COALESCE_BYTES } from "../shared/channel.ts";
import { planDelivery } from "../shared/delivery.ts";
import { collectAfterDelivery } from "../shared/memory.ts";
import type { Request, WaitSpec } from "../shared/protocol.ts";
import type { Connection } from "./connection.ts";
import type { OutputLog } from "./output-log.ts";
import { decideWait } from "./wait-condition.ts";
import { PlainFilter } from "../text/plain.ts";

// How long a leased delivery may go without progress or acknowledgement
// before its lease is revoked (the bytes then go to the reader's next read).
export const LEASE_MS = 3000;
// How much recent text an --until pattern is matched against.
const UNTIL_WINDOW = 1 << 20;
// While quiet but not settled: re-check from SETTLE_MIN_MS, doubling to SETTLE_MAX_MS.
const SETTLE_MIN_MS = 10;
const SETTLE_MAX_MS = 100;
const DEFAULT_MAX_STREAM_MS = 1000;

// Whether the program is done with what it was given (the supervisor's shell
// integration and /proc decide; see ShellIntegration.settled).
export type SettledProbe = (since: number, afterInput: boolean) => boolean;

interface Waiter {
  conn: Connection;
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
  // Patterns match what a user sees (absent with --match-raw).
  plain?: PlainFilter;
  timer?: Timer;
  // Settled waits: after input (send, start --settle) the program must also wait for input.
  afterInput: boolean;
  // When the current stretch of uninterrupted output began, and the last output seen.
  streamStart?: number;
  lastSeenOutput: number;
  settleDelay: number;
}

interface ReaderState {
  cursor: number;
  leased: boolean;
  // The cursor file, kept open for in-place writes (every acknowledged read writes it).
  fd?: number;
}

// At most this many cursor files stay open, so that a client inventing many
// reader names cannot use up the supervisor's descriptors (the others are
// opened per write).
const KEPT_CURSOR_FILES = 8;

export class ReaderDesk {
  private readonly readers = new Map<string, ReaderState>();
  private readonly waiters = new Set<Waiter>();
  private keptCursorFiles = 0;

  constructor(
    private readonly log: OutputLog,
    private readonly settled: SettledProbe = () => true,
  ) {}

  // New output, or the final state: every waiting poll looks again.
  reevaluate(): void {
    for (const waiter of this.waiters) this.evaluate(waiter);
  }

  // Writes every known cursor again (the session folder was recreated: the
  // files kept open are gone with the old one).
  persistCursors(): void {
    for (const [reader, state] of this.readers) {
      if (state.fd !== undefined) fs.closeSync(state.fd);
      state.fd = undefined;
      this.log.files.writeCursor(reader, state.cursor);
    }
    this.keptCursorFiles = 0;
  }

  private saveCursor(reader: string, state: ReaderState): void {
    if (state.fd === undefined && this.keptCursorFiles < KEPT_CURSOR_FILES) {
      state.fd = this.log.files.openCursor(reader);
      if (state.fd !== undefined) this.keptCursorFiles++;
    }
    this.log.files.writeCursor(reader, state.cursor, state.fd);
  }

  // A client went away: its waits end and its lease is released unacknowledged.
  connectionClosed(conn: Connection): void {
    for (const waiter of this.waiters) {
      if (waiter.conn === conn) this.dropWaiter(waiter);
    }
    if (conn.lease) this.releaseLease(conn, false);
  }

  private readerState(reader: string): ReaderState {
    let state = this.readers.get(reader);
    if (!state) {
      state = { cursor: this.log.files.readCursor(reader, this.log.end), leased: false };
      this.readers.set(reader, state);
    }
    return state;
  }

  // A poll-like request: wait as it asks, then deliver.
  poll(conn: Connection, request: Extract<Request, { op: "poll" }>): void {
    const state = this.readerState(request.reader);
    // poll matches --until against everything this reader has not read yet (so
    // `start; poll --until PROMPT` cannot miss a prompt that came early); send
    // passes `since`, the end of output just before its input was written.
    const since = request.since_input ? (conn.lastInputEnd ?? this.log.end) : (request.since ?? state.cursor);
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
      plain: request.match_raw ? undefined : new PlainFilter(),
      afterInput: request.since_input === true || request.wants_input === true,
      lastSeenOutput: this.log.lastOutputAt,
      settleDelay: SETTLE_MIN_MS,
    };
    this.waiters.add(waiter);
    this.evaluate(waiter);
  }

  private dropWaiter(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
  }

  // Feeds the output that arrived since the last look to an --until pattern.
  private scanForMatch(waiter: Waiter, regex: RegExp): void {
    const end = this.log.end;
    const start = Math.max(waiter.scanFrom, this.log.ring.retainedStart(end));
    if (start >= end) return;
    for (const { bytes } of this.log.ring.chunks(start, end)) {
      waiter.text += waiter.decoder.decode(waiter.plain ? waiter.plain.push(bytes) : bytes, { stream: true });
    }
    waiter.scanFrom = end;
    if (waiter.text.length > UNTIL_WINDOW) waiter.text = waiter.text.slice(-UNTIL_WINDOW);
    regex.lastIndex = 0;
    waiter.matched = regex.test(waiter.text);
  }

  // Decides whether a waiting poll returns now, and if not, arms a timer for
  // the moment its idle period or its yield would end.
  private evaluate(waiter: Waiter): void {
    const state = this.readerState(waiter.reader);
    // Re-evaluated when the current delivery is acknowledged.
    if (state.leased && !waiter.peek) return;
    if (waiter.regex && !waiter.matched) this.scanForMatch(waiter, waiter.regex);
    const now = performance.now();
    const spec = waiter.spec;
    const seen = waiter.peek ? waiter.since : Math.max(state.cursor, spec.since ?? 0);
    const newOutput = this.log.end > Math.max(seen, this.log.ring.retainedStart(this.log.end));
    const settle = spec.settle === true && !waiter.regex;
    if (settle) this.trackStream(waiter, spec.idle_ms);
    const decision = decideWait({
      condition: waiter.regex ? waiter.matched : newOutput,
      quietForMs: now - this.log.lastOutputAt,
      idleMs: spec.idle_ms,
      running: this.log.running,
      remainingMs: waiter.deadline - now,
      settle: settle
        ? {
            settled: () => this.settled(waiter.since, waiter.afterInput),
            streamedMs: waiter.streamStart === undefined ? undefined : now - waiter.streamStart,
            maxStreamMs: spec.max_stream_ms ?? DEFAULT_MAX_STREAM_MS,
            retryMs: waiter.settleDelay,
          }
        : undefined,
    });
    if (!decision.deliver && decision.retry) waiter.settleDelay = Math.min(waiter.settleDelay * 2, SETTLE_MAX_MS);
    if (decision.deliver) {
      this.dropWaiter(waiter);
      void this.deliver(waiter.conn, {
        reader: waiter.reader,
        lease: !waiter.peek,
        from: waiter.peek ? waiter.since : undefined,
        limit: waiter.limit,
        matched: waiter.regex ? waiter.matched : undefined,
        inputEnd: waiter.spec.since_input ? waiter.since : undefined,
      });
      return;
    }
    clearTimeout(waiter.timer);
    waiter.timer = setTimeout(() => this.evaluate(waiter), decision.wakeInMs);
  }

  // The stretch of uninterrupted output a settled wait has seen: it begins
  // with the first output after a quiet gap of at least the idle period.
  private trackStream(waiter: Waiter, idleMs: number): void {
    const lastOutput = this.log.lastOutputAt;
    if (lastOutput === waiter.lastSeenOutput) {
      if (performance.now() - lastOutput >= idleMs) waiter.streamStart = undefined;
      return;
    }
    if (waiter.streamStart === undefined || lastOutput - waiter.lastSeenOutput >= idleMs) {
      waiter.streamStart = lastOutput;
    }
    waiter.lastSeenOutput = lastOutput;
  }

  // Streams output to the client as data frames, then a summary. For a reader
  // the range stays leased until the client acknowledges it; only then does
  // the cursor move, so a client that dies mid-delivery loses nothing.
  async deliver(
    conn: Connection,
    request: { reader: string; lease: boolean; from?: number; limit?: number; matched?: boolean; inputEnd?: number },
  ): Promise<void> {
    const state = this.readerState(request.reader);
    const position = request.from ?? state.cursor;
    const plan = planDelivery({
      ring: this.log.ring,
      position,
      end: this.log.end,
      limit: request.limit,
      final: !this.log.running,
    });
    if (request.lease) {
      state.leased = true;
      conn.lease = { reader: request.reader, to: plan.to };
      this.armLease(conn);
    }
    const gap = { skipped: false, bytes: 0 };
    // A small delivery (one chunk) goes out in one write with its done: the
    // client wakes once, and nothing awaits in between.
    const small = plan.to - plan.from <= COALESCE_BYTES;
    for (const { at, bytes } of this.log.retainedChunks(plan.from, plan.to, gap)) {
      if (conn.closed) break;
      if (small) {
        conn.hold({ op: "data", offset: at }, bytes);
        continue;
      }
      await conn.send({ op: "data", offset: at }, bytes);
      this.armLease(conn); // the client is taking its bytes: progress
    }
    // A large delivery leaves many buffers behind; with Bun's GC timer off,
    // ask for a collection now rather than letting them pile up.
    collectAfterDelivery(plan.to - plan.from);
    await conn.send({
      op: "done",
      from: plan.from,
      to: plan.to,
      end: this.log.end,
      retained_start: this.log.ring.retainedStart(this.log.end),
      running: this.log.running,
      exit_code: this.log.final?.exit_code ?? null,
      truncated: plan.truncated || gap.skipped,
      // How many bytes after the requested position retention dropped.
      omitted_bytes: plan.from - Math.min(position, plan.from) + gap.bytes,
      matched: request.matched,
      storage_error: this.log.storageError,
      input_end: request.inputEnd,
    });
    this.armLease(conn); // from now on, the client has LEASE_MS to acknowledge
  }

  // (Re)starts the bound on an unacknowledged delivery: a client that stops
  // taking its bytes (its stdout is a pipe nobody reads) or does not confirm
  // them loses the lease, so it never blocks the reader's other clients.
  private armLease(conn: Connection): void {
    if (!conn.lease) return;
    clearTimeout(conn.leaseTimer);
    conn.leaseTimer = setTimeout(() => this.revokeLease(conn), LEASE_MS);
  }

  private revokeLease(conn: Connection): void {
    const lease = conn.lease;
    if (!lease) return;
    console.error(
      `bgterm supervisor: a delivery to reader ${lease.reader} was not acknowledged within ${LEASE_MS} ms; it goes to the next read`,
    );
    conn.leaseRevoked = true;
    this.releaseLease(conn, false);
  }

  // The client acknowledged (or, when it vanished, did not) its delivery.
  // Every acknowledgement is answered: "ok", or an error when there was
  // nothing to acknowledge (never delivered, or revoked for taking too long).
  releaseLease(conn: Connection, acknowledged: boolean, to?: number): void {
    const lease = conn.lease;
    if (!lease) {
      if (acknowledged) {
        const message = conn.leaseRevoked
          ? `the delivery was not acknowledged within ${LEASE_MS} ms, so its output stays unread (the next read gets it again)`
          : "there is no delivery to acknowledge";
        conn.leaseRevoked = false;
        void conn.send({ op: "error", code: EXIT.internal, message });
      }
      return;
    }
    clearTimeout(conn.leaseTimer);
    conn.lease = undefined;
    const state = this.readerState(lease.reader);
    state.leased = false;
    if (acknowledged) {
      const cursor = Math.max(state.cursor, Math.min(to ?? lease.to, lease.to));
      if (cursor !== state.cursor) {
        state.cursor = cursor;
        try {
          this.saveCursor(lease.reader, state);
        } catch (error) {
          // The cursor lives on in memory while the supervisor does, and the
          // next acknowledgement writes it again: no output was lost, so this
          // is not a storage error (that would fail every later read).
          console.error(`bgterm supervisor: could not save the cursor of ${lease.reader}: ${(error as Error).message}`);
        }
      }
      void conn.send({ op: "ok", acked: state.cursor });
    }
    for (const waiter of this.waiters) {
      if (waiter.reader === lease.reader) this.evaluate(waiter);
    }
  }
}
