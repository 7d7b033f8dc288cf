// The transcript's lines as a terminal of the session's width shows them: each
// logical line (the text between two newlines) is drawn by the same emulator
// as the screen, on a fresh row, and read back with its soft-wrapped rows
// joined, as `tmux capture-pane -J` does. So erase, cursor motion within the
// line, carriage returns (to the start of the last row), tabs (to the next
// stop), wide and combining characters all come out as on the screen.
// Lines go through the emulator in batches, separated by private marks whose
// handlers read the rows back while the parser is still between two lines.
import { createTerminal, parseNow, type Terminal } from "./terminal.ts";

const ROWS = 24;
const SCROLLBACK = 2000;
// Bytes drawn per emulator write.
const BATCH_CHARS = 256 * 1024;
const BATCH_LINES = 4096;
// Private marks (CSI > 7331 ; n z): 1 before a line, 2 after it.
const MARK_ID = 7331;
// Before each line: end any string, reset margins and origin mode, go to the
// bottom and open a fresh row there.
// bottom and open a fresh row there; drop the scrollback, read already.
const PREFIX = `\x1b\\\x1b[?6l\x1b[r\x1b[${ROWS}B\r\n\x1b[3J\x1b[>${MARK_ID};1z`;
const SUFFIX = `\x1b\\\x1b[>${MARK_ID};2z`;
// Alternate-screen switches would hide lines drawn afterwards: ignored here.
const ALTERNATE_MODES = [47, 1047, 1049];
// Colours and attributes, which change no cell's text.
const SGR = /\x1b\[[0-9;:]*m/g;
// Anything that moves the cursor or is not a character (C0, DEL, C1).
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

export class LineModel {
  private start = 0;
  // Lines of the current batch; the drawn ones are filled in by markEnd.
  private results: string[] = [];
  private drawn: number[] = [];
  private pending = "";

  private constructor(private readonly term: Terminal) {
    term.parser.registerCsiHandler({ prefix: ">", final: "z" }, (params) => {
      if (params[0] !== MARK_ID) return false;
      if (params[1] === 1) this.markStart();
      else this.markEnd();
      return true;
    });
    for (const final of ["h", "l"] as const) {
      term.parser.registerCsiHandler({ prefix: "?", final }, (params) =>
        params.some((mode) => typeof mode === "number" && ALTERNATE_MODES.includes(mode)),
      );
    }
  }

  static async create(cols: number): Promise<LineModel> {
    return new LineModel(await createTerminal({ cols: Math.max(1, cols), rows: ROWS, scrollback: SCROLLBACK }));
  }

  private markStart(): void {
    const buffer = this.term.buffer.normal;
    this.start = buffer.baseY + buffer.cursorY;
  }

  private markEnd(): void {
    const buffer = this.term.buffer.normal;
    // (A line longer than the scrollback loses its first rows.)
    const first = this.start;
    const last = Math.max(first, buffer.baseY + buffer.cursorY);
    let text = "";
    for (let y = first; y <= last; y++) {
      const line = buffer.getLine(y);
      if (!line) continue;
      const next = buffer.getLine(y + 1);
      // A row continued on the next one keeps its trailing cells.
      text += line.translateToString(!(y < last && next?.isWrapped));
    }
    const index = this.drawn.shift();
    if (index !== undefined) this.results[index] = text.replace(/ +$/, "");
  }

  // Queues one logical line (decoded text without its newline).
  add(line: string): void {
    // Text with colours at most draws as itself: no need to draw it.
    const text = line.includes("\x1b") ? line.replace(SGR, "") : line;
    if (!CONTROL.test(text)) {
      this.results.push(text.replace(/ +$/, ""));
      return;
    }
    this.drawn.push(this.results.length);
    this.results.push("");
    this.pending += PREFIX + line + SUFFIX;
  }

  get queuedChars(): number {
    return this.pending.length;
  }

  get queuedLines(): number {
    return this.results.length;
  }

  // Draws the queued lines; returns them as shown, in order.
  flush(): string[] {
    const data = this.pending;
    this.pending = "";
    if (data !== "") parseNow(this.term, data);
    this.drawn = [];
    return this.results.splice(0);
  }

  dispose(): void {
    this.term.dispose();
  }
}

// Renders decoded lines with one model, a batch at a time.
export async function renderLines(cols: number, lines: string[]): Promise<string[]> {
  const model = await LineModel.create(cols);
  const out: string[] = [];
  for (const line of lines) {
    model.add(line);
    if (model.queuedChars >= BATCH_CHARS || model.queuedLines >= BATCH_LINES) out.push(...model.flush());
  }
  out.push(...model.flush());
  model.dispose();
  return out;
}
