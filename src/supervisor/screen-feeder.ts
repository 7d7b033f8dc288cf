// The supervisor's terminal emulator (ScreenModel), kept close behind the
// output once someone has looked at the screen: it is fed before unfed output
// could fall out of retention, and catches up when output goes quiet, so a
// screen request rarely has much left to parse. Sessions never looked at pay
// nothing, except that one with a lot of output gets its emulator once quiet,
// so a first `screen` does not have to replay megabytes on demand.
// Terminal queries in the output (query-scanner.ts) catch the emulator up at
// once, so it answers them from the exact state. Output about to leave
// retention unparsed is kept for the emulator (screen-model.ts), and the
// emulator starts once half the ring is unparsed: the screen stays exact.
// During a flood, `screen` answers at once while the PTY reader is in the
// middle of an unbroken stream, else waits at most SCREEN_FLOOD_WAIT_MS.
import { ScreenModel, type ScreenOptions, type ScreenSnapshot } from "../shared/screen-model.ts";
import type { OutputLog } from "./output-log.ts";
import { QueryScanner } from "./query-scanner.ts";

// Output after which a session's emulator is created (when quiet) unasked.
const SCREEN_EAGER_BYTES = 2 * 1024 * 1024;
// Quiet time after which the emulator (if any) catches up.
const SCREEN_IDLE_FEED_MS = 50;
// How long `screen` waits for the emulator while output keeps coming: after
// that, as soon as output arrived past the request (the program is still
// writing), it gets the screen as of the last parsed slice (named by
// end_offset). Quiet output is always parsed to the end first: exact.
const SCREEN_FLOOD_WAIT_MS = 3;

export class ScreenFeeder {
  private readonly model: ScreenModel;
  private idleFeed?: Timer;
  private readonly queries = new QueryScanner();
  private readonly end = () => this.log.end;

  // `answer` receives the emulator's answers to terminal queries.
  constructor(
    private readonly log: OutputLog,
    cols: number,
    rows: number,
    answer: (data: string) => void,
    // True while the program is writing without a pause (see PtyProcess.streaming).
    private readonly streaming: () => boolean = () => false,
  ) {
    this.model = new ScreenModel(log.ring, cols, rows, answer);
  }

  // Called before each chunk is stored at offset `at`.
  beforeAppend(chunk: Uint8Array, at: number): void {
    // (The log still ends at `at`: the chunk is not stored yet.)
    if (!this.model.created && this.model.needsFeed(at + chunk.length)) void this.model.catchUp(this.end);
    this.model.beforeWrite(at, chunk);
  }

  // Called for every stored chunk.
  outputArrived(chunk: Uint8Array): void {
    this.model.outputArrived(this.log.end);
    // A query is answered once the emulator has parsed up to it: now.
    if (this.queries.scan(chunk)) {
      void this.model.catchUp(this.end);
      return;
    }
    if (this.model.created && this.model.needsFeed(this.log.end)) {
      void this.model.catchUp(this.end);
      return;
    }
    if (!this.model.created && this.log.end < SCREEN_EAGER_BYTES) return;
    clearTimeout(this.idleFeed);
    this.idleFeed = setTimeout(() => void this.model.catchUp(this.end), SCREEN_IDLE_FEED_MS);
  }

  // The screen as of all output so far, and the offset it reflects.
  async snapshot(options: ScreenOptions): Promise<{ screen: ScreenSnapshot; offset: number }> {
    await this.model.settle(this.end, SCREEN_FLOOD_WAIT_MS, this.streaming);
    return { screen: this.model.snapshot(options), offset: this.model.fedTo };
  }

  async modes(): Promise<{ applicationCursor: boolean; bracketedPaste: boolean }> {
    await this.model.catchUp(this.end);
    return this.model.modes();
  }

  // Output written at the old size is parsed at the old size.
  resize(cols: number, rows: number): void {
    if (this.model.created) void this.model.catchUp(this.end).then(() => this.model.resize(cols, rows));
    else this.model.resize(cols, rows);
  }

  close(): void {
    clearTimeout(this.idleFeed);
  }
}
