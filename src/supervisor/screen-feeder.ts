// The supervisor's terminal emulator (ScreenModel), kept close behind the
// output once someone has looked at the screen: it is fed before unfed output
// could fall out of retention, and catches up when output goes quiet, so a
// screen request rarely has much left to parse. Sessions never looked at pay
// nothing, except that one with a lot of output gets its emulator once quiet,
// so a first `screen` does not have to replay megabytes on demand.
import { ScreenModel, type ScreenOptions, type ScreenSnapshot } from "../shared/screen-model.ts";
import type { OutputLog } from "./output-log.ts";

// Output after which a session's emulator is created (when quiet) unasked.
const SCREEN_EAGER_BYTES = 2 * 1024 * 1024;
// Quiet time after which the emulator (if any) catches up.
const SCREEN_IDLE_FEED_MS = 50;

export class ScreenFeeder {
  private readonly model: ScreenModel;
  private idleFeed?: Timer;
  private readonly end = () => this.log.end;

  constructor(
    private readonly log: OutputLog,
    cols: number,
    rows: number,
  ) {
    this.model = new ScreenModel(log.ring, cols, rows);
  }

  // Called for every stored chunk.
  outputArrived(): void {
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
    await this.model.catchUp(this.end);
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
