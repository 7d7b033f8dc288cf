// The session's screen as a terminal would show it: a headless xterm.js fed
// from the output ring. The emulator is created on the first request (screen,
// or keys that depend on terminal modes), or by the supervisor once a chatty
// session goes quiet, and replays the retained output; from then on it is fed
// lazily, so capture never waits on it: on demand, after output goes quiet,
// and, before any byte could fall out of retention unseen, once the unfed part
// reaches half the ring. If retention had already dropped output before the
// emulator existed, the snapshot says so (`approximate`).
import type { Terminal as XtermTerminal } from "@xterm/headless";
import { feedCollector } from "./memory.ts";
import type { OutputRing } from "./ring.ts";

const FEED_SLICE = 256 * 1024;
const DEFAULT_SCROLLBACK = 1000;

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
}

export interface ScreenOptions {
  scrollback?: number;
  ansi?: boolean;
}

type SerializeAddon = import("@xterm/addon-serialize").SerializeAddon;

export class ScreenModel {
  private term?: XtermTerminal;
  private serializer?: SerializeAddon;
  private fed = 0;
  private feeding?: Promise<void>;
  private approximate = false;

  constructor(
    private readonly ring: OutputRing,
    private cols: number,
    private rows: number,
  ) {}

  private async create(end: number): Promise<XtermTerminal> {
    if (this.term) return this.term;
    const [{ Terminal }, { SerializeAddon }] = await Promise.all([
      import("@xterm/headless"),
      import("@xterm/addon-serialize"),
    ]);
    if (this.term) return this.term;
    const term = new Terminal({
      cols: this.cols,
      rows: this.rows,
      scrollback: DEFAULT_SCROLLBACK,
      allowProposedApi: true,
    });
    this.serializer = new SerializeAddon();
    term.loadAddon(this.serializer as never);
    this.term = term;
    this.fed = this.ring.retainedStart(end);
    this.approximate = this.fed > 0;
    return term;
  }

  // Feeds everything up to `end`; resolves once the emulator has parsed it.
  catchUp(end: () => number): Promise<void> {
    this.feeding ??= (async () => {
      try {
        const term = await this.create(end());
        // Parsing leaves much garbage behind; collect as we go, not at the end.
        const collector = feedCollector();
        while (this.fed < end()) {
          const retained = this.ring.retainedStart(end());
          if (this.fed < retained) {
            this.approximate = true; // a flood outran the emulator
            this.fed = retained;
          }
          const to = Math.min(end(), this.fed + FEED_SLICE);
          const bytes = this.ring.read(this.fed, to);
          this.fed = to;
          await new Promise<void>((resolve) => term.write(bytes, resolve));
          collector.add(bytes.length);
        }
      } finally {
        this.feeding = undefined;
      }
    })();
    return this.feeding;
  }

  // True when unfed output is close to falling out of retention.
  needsFeed(end: number): boolean {
    return end - this.fed > this.ring.capacity / 2;
  }

  // Everything before this offset has been parsed.
  get fedTo(): number {
    return this.fed;
  }

  get created(): boolean {
    return this.term !== undefined;
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
    if (options.ansi) {
      // The serializer renders colours and attributes as SGR sequences.
      const text = this.serializer!.serialize({ scrollback, excludeAltBuffer: !alternate, excludeModes: true });
      lines.push(...text.split("\r\n").slice(-(term.rows + scrollback)));
    } else {
      for (let y = first; y < buffer.baseY + term.rows; y++) {
        // Trailing blanks are not visible on a terminal, written or not.
        lines.push((buffer.getLine(y)?.translateToString(true) ?? "").replace(/ +$/, ""));
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
    };
  }
}
