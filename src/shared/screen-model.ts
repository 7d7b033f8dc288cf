// The session's screen as a terminal would show it: a headless xterm.js fed
// from the output ring. The emulator is created on the first request (screen,
// or keys that depend on terminal modes), on the first terminal query, or by
// the supervisor once a chatty session goes quiet, and replays the retained
// output; from then on it is fed lazily, so capture never waits on it: on
// demand, after output goes quiet, and, before any byte could fall out of
// retention unseen, once the unfed part reaches half the ring. If retention had
// already dropped output before the emulator existed, the snapshot says so
// (`approximate`). Parsing goes in bounded slices with the event loop free in
// between, and snapshots are taken between slices, at a named offset.
import { feedCollector } from "./memory.ts";
import { createTerminal, parseNow, type Terminal } from "./terminal.ts";
import type { OutputRing } from "./ring.ts";
import { serializeRow } from "./sgr.ts";

// One slice parses in about a ms even for the slowest output (many short
// lines), and a request that arrives meanwhile waits for the slice under way.
const FEED_SLICE = 8 * 1024;
const DEFAULT_SCROLLBACK = 1000;
// Parsing time after which a timer turn comes (timers run, other processes get the CPU).
const IO_TURN_MS = 8;
// Output kept in memory for the emulator once retention has dropped it.
const MAX_KEPT = 4 * 1024 * 1024;

export interface ScreenSnapshot {
  rows: number;
  cols: number;
  cursor_x: number;
  cursor_y: number;
  alternate_screen: boolean;
  lines: string[];
  // Output was dropped by retention before the emulator saw it: the screen is
  // rebuilt from the retained output only and may differ from a real terminal.
  approximate: boolean;
  // The screen is the one after this many bytes of output.
  end_offset: number;
}

export interface ScreenOptions {
  scrollback?: number;
  ansi?: boolean;
}

interface Waiter {
  target: number;
  deadline: number;
  // True while the program is still writing (more output is on its way).
  streaming: () => boolean;
  resolve: () => void;
}

export class ScreenModel {
  private term?: Terminal;
  private fed = 0;
  private feeding?: Promise<void>;
  private approximate = false;
  // Set once anything asked for the emulator (it may still be loading).
  private wanted = false;
  // Output that left the ring before it was parsed: [keptStart, keptEnd).
  private kept: Uint8Array[] = [];
  private keptStart = 0;
  private keptEnd = 0;
  private keptBytes = 0;
  private readonly waiters = new Set<Waiter>();

  // `answer` receives the emulator's replies to terminal queries.
  constructor(
    private readonly ring: OutputRing,
    private cols: number,
    private rows: number,
    private readonly answer?: (data: string) => void,
  ) {}

  private async create(end: number): Promise<Terminal> {
    if (this.term) return this.term;
    if (!this.wanted) {
      // From here on, output about to leave retention unparsed is kept (see
      // beforeWrite), also while the emulator loads.
      this.wanted = true;
      this.fed = this.ring.retainedStart(end);
      this.approximate = this.fed > 0;
    }
    const term = await createTerminal({
      cols: this.cols,
      rows: this.rows,
      scrollback: DEFAULT_SCROLLBACK,
      answer: this.answer,
    });
    this.term ??= term;
    return this.term;
  }

  // Called before `chunk` is written to the ring at offset `end`: bytes the
  // write will drop before the emulator parsed them are kept in memory (up to
  // MAX_KEPT), so the screen stays exact whatever the retention. Capture does
  // not wait for parsing; sessions whose emulator is not wanted pay nothing.
  beforeWrite(end: number, chunk: Uint8Array): void {
    if (!this.wanted) return;
    const from = Math.max(this.fed, this.keptEnd, this.ring.retainedStart(end));
    const to = Math.min(this.ring.retainedStart(end + chunk.length), end + chunk.length);
    if (to <= from) return;
    if (this.keptEnd !== from) {
      this.kept = [];
      this.keptStart = from;
      this.keptBytes = 0;
    }
    if (from < end) this.kept.push(this.ring.read(from, Math.min(to, end)));
    if (to > end) this.kept.push(chunk.slice(0, to - end));
    this.keptEnd = to;
    this.keptBytes += to - from;
    while (this.keptBytes > MAX_KEPT && this.kept.length > 1) {
      // A flood outran the emulator by more than we keep: the oldest goes.
      const dropped = this.kept.shift()!;
      this.keptStart += dropped.length;
      this.keptBytes -= dropped.length;
    }
  }

  // Bytes from `from` (at most to `to`): from memory while the kept part
  // covers them, else from the ring.
  private read(from: number, to: number): Uint8Array {
    // Pieces wholly before `from` were parsed: they go.
    while (this.kept.length > 0 && this.keptStart + this.kept[0]!.length <= from) {
      const piece = this.kept.shift()!;
      this.keptStart += piece.length;
      this.keptBytes -= piece.length;
    }
    if (this.kept.length === 0 || from < this.keptStart) return this.ring.read(from, to);
    const piece = this.kept[0]!;
    return piece.subarray(from - this.keptStart, Math.min(piece.length, to - this.keptStart));
  }

  // Feeds everything up to `end`; resolves once the emulator has parsed it.
  catchUp(end: () => number): Promise<void> {
    this.feeding ??= (async () => {
      try {
        const term = await this.create(end());
        // Parsing leaves much garbage behind; collect as we go, not at the end.
        const collector = feedCollector();
        // A full collection stalls the process: none while a screen request waits.
        let uncollected = 0;
        let lastIoTurn = performance.now();
        while (this.fed < end()) {
          const kept = this.kept.length > 0 ? this.keptStart : Number.POSITIVE_INFINITY;
          const retained = Math.min(this.ring.retainedStart(end()), kept);
          if (this.fed < retained) {
            this.approximate = true; // a flood outran the emulator
            this.fed = retained;
          }
          const bytes = this.read(this.fed, Math.min(end(), this.fed + FEED_SLICE));
          parseNow(term, bytes);
          this.fed += bytes.length;
          this.serveWaiters(end());
          // Sockets and capture get their turn between slices: an immediate
          // polls I/O and takes the PTY thread's messages (measured: a socket
          // request waits about one slice). A timer turn (~1 ms, which also
          // leaves the CPU to other processes) comes every IO_TURN_MS of
          // parsing; one after every slice while a screen request waited
          // cost half the parsing rate with 8 KiB slices (a catch-up after a
          // 16 MiB burst took 3.5 s instead of 1.7 s).
          const now = performance.now();
          if (now - lastIoTurn >= IO_TURN_MS) {
            await new Promise<void>((resolve) => setTimeout(resolve, 0));
            lastIoTurn = performance.now();
          } else {
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          uncollected += bytes.length;
          if (this.waiters.size === 0) {
            collector.add(uncollected);
            uncollected = 0;
          }
        }
      } finally {
        this.feeding = undefined;
        this.serveWaiters(end(), true);
      }
    })();
    return this.feeding;
  }

  // Resolves, between two slices, once the emulator has parsed up to `target`,
  // or, while output keeps coming (a flood), at once if `streaming` says the
  // program is still writing, else at `deadline` (performance.now()) once
  // output arrived after `target`: the screen is then the one at fedTo,
  // behind the end but current.
  settle(end: () => number, waitMs: number, streaming: () => boolean = () => false): Promise<void> {
    const target = end();
    if (this.term && (this.fed >= target || streaming())) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = { target, deadline: performance.now() + waitMs, streaming, resolve };
      this.waiters.add(waiter);
      // The deadline is checked between slices and as output arrives; also
      // at the deadline itself, should a slice run long.
      setTimeout(() => this.serveWaiters(end()), waitMs + 1);
      this.catchUp(end).catch(() => this.serveWaiters(end(), true));
    });
  }

  // Output was stored up to `end`: a screen request waiting through a flood
  // is answered now, between two slices, without waiting for the next one.
  outputArrived(end: number): void {
    if (this.waiters.size > 0) this.serveWaiters(end);
  }

  private serveWaiters(end: number, all = false): void {
    // Nothing to show before the emulator exists (it may still be loading).
    if (!this.term && !all) return;
    const now = performance.now();
    for (const waiter of this.waiters) {
      const flooding = (end > waiter.target && now >= waiter.deadline) || waiter.streaming();
      if (all || this.fed >= waiter.target || flooding) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  // True when unfed output is close to falling out of retention.
  needsFeed(end: number): boolean {
    return end - this.fed > this.ring.capacity / 2;
  }

  // Everything before this offset has been parsed.
  get fedTo(): number {
    return this.fed;
  }

  // Asked for (it may still be loading).
  get created(): boolean {
    return this.wanted;
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
    this.term?.resize(cols, rows);
  }

  modes(): { applicationCursor: boolean; bracketedPaste: boolean } {
    return {
      applicationCursor: this.term?.modes.applicationCursorKeysMode ?? false,
      bracketedPaste: this.term?.modes.bracketedPasteMode ?? false,
    };
  }

  snapshot(options: ScreenOptions): ScreenSnapshot {
    const term = this.term!;
    const buffer = term.buffer.active;
    const alternate = buffer.type === "alternate";
    const scrollback = alternate ? 0 : Math.min(options.scrollback ?? 0, buffer.baseY);
    const first = buffer.baseY - scrollback;
    const lines: string[] = [];
    const cell = buffer.getNullCell();
    for (let y = first; y < buffer.baseY + term.rows; y++) {
      const line = buffer.getLine(y);
      if (options.ansi) {
        // One line per row, attributes as SGR, reset at the end: replayable.
        lines.push(line ? serializeRow(line, term.cols, cell) : "");
      } else {
        // Trailing blanks are not visible on a terminal, written or not.
        lines.push((line?.translateToString(true) ?? "").replace(/ +$/, ""));
      }
    }
    return {
      rows: term.rows,
      cols: term.cols,
      cursor_x: buffer.cursorX,
      cursor_y: buffer.cursorY,
      alternate_screen: alternate,
      lines,
      approximate: this.approximate,
      end_offset: this.fed,
    };
  }
}
