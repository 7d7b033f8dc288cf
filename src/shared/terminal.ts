// The one way bgterm builds a terminal emulator (headless xterm.js), so the
// screen, the transcript's lines and query answers agree: Unicode 11 widths
// (emoji and other wide characters take two cells, as in xterm and tmux),
// DECCOLM, and answers to the queries a modern xterm answers. xterm.js answers
// DA1, DA2, DSR 5n/6n, DECRQM, DECRQSS and CSI 18 t itself; the handlers below
// add XTVERSION, OSC 4 and OSC 10/11/12 colour queries and CSI 14 t / 16 t.
import type { Terminal as XtermTerminal } from "@xterm/headless";

export type Terminal = XtermTerminal;

export interface TerminalOptions {
  cols: number;
  rows: number;
  scrollback: number;
  // Receives the terminal's answers to queries (absent: answers are dropped).
  answer?: (data: string) => void;
}

// The colours reported to OSC 10/11/12 queries: light grey on black, the
// usual dark theme (programs use the background to pick a light or dark palette).
const DEFAULT_COLOURS: Record<number, string> = {
  10: "rgb:e5e5/e5e5/e5e5",
  11: "rgb:0000/0000/0000",
  12: "rgb:e5e5/e5e5/e5e5",
};
// Reported by CSI 14 t / 16 t: a terminal has pixels, a headless one pretends.
const CELL_WIDTH_PX = 8;
const CELL_HEIGHT_PX = 16;
const VERSION = "0.1.0";

interface InputHandlerInternals {
  eraseInDisplay(params: unknown): boolean;
  cursorPosition(params: unknown): boolean;
  setScrollRegion(params: unknown): boolean;
}

let loaded: Promise<{
  Terminal: typeof XtermTerminal;
  Unicode11Addon: typeof import("@xterm/addon-unicode11").Unicode11Addon;
}>;

function loadXterm() {
  loaded ??= Promise.all([import("@xterm/headless"), import("@xterm/addon-unicode11")]).then(
    ([{ Terminal }, { Unicode11Addon }]) => ({ Terminal, Unicode11Addon }),
  );
  return loaded;
}

// Parses `data` now, synchronously: the caller decides when to yield, so a
// snapshot is always taken between two slices whose end it knows. (xterm.js's
// own write() schedules parsing on timers, which a busy event loop starves.)
export function parseNow(term: Terminal, data: string | Uint8Array): void {
  (term as unknown as { _core: { writeSync(data: string | Uint8Array): void } })._core.writeSync(data);
}

export async function createTerminal(options: TerminalOptions): Promise<Terminal> {
  const { Terminal, Unicode11Addon } = await loadXterm();
  const term = new Terminal({
    cols: options.cols,
    rows: options.rows,
    scrollback: options.scrollback,
    allowProposedApi: true,
    logLevel: "off",
    windowOptions: { getWinSizeChars: true, getWinSizePixels: true, getCellSizePixels: true },
  });
  term.loadAddon(new Unicode11Addon() as never);
  term.unicode.activeVersion = "11";
  const answer = options.answer;
  if (answer) term.onData(answer);
  const reply = (data: string) => {
    if (answer)
      (
        term as unknown as { _core: { coreService: { triggerDataEvent(d: string): void } } }
      )._core.coreService.triggerDataEvent(data);
  };
  const parser = term.parser;
  parser.registerCsiHandler({ prefix: ">", final: "q" }, () => {
    reply(`\x1bP>|bgterm(${VERSION})\x1b\\`);
    return true;
  });
  for (const ident of [10, 11, 12]) {
    parser.registerOscHandler(ident, (data) => {
      // OSC 10;?;? asks for 10 then 11: each '?' names the next colour.
      const parts = data.split(";");
      if (!parts.includes("?")) return false;
      parts.forEach((part, i) => {
        const which = ident + i;
        if (part === "?" && DEFAULT_COLOURS[which]) reply(`\x1b]${which};${DEFAULT_COLOURS[which]}\x1b\\`);
      });
      return true;
    });
  }
  // OSC 4;INDEX;? asks for a palette colour (several pairs may follow).
  parser.registerOscHandler(4, (data) => {
    const parts = data.split(";");
    if (!parts.includes("?")) return false;
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const index = Number(parts[i]);
      if (parts[i + 1] === "?" && Number.isInteger(index) && index >= 0 && index < 256) {
        reply(`\x1b]4;${index};${paletteColour(index)}\x1b\\`);
      }
    }
    return true;
  });
  parser.registerCsiHandler({ final: "t" }, (params) => {
    const which = params[0];
    if (which === 14) reply(`\x1b[4;${term.rows * CELL_HEIGHT_PX};${term.cols * CELL_WIDTH_PX}t`);
    else if (which === 16) reply(`\x1b[6;${CELL_HEIGHT_PX};${CELL_WIDTH_PX}t`);
    else return false;
    return true;
  });
  handleColumnMode(term);
  return term;
}

// xterm's default 256-colour palette, as rgb:RRRR/GGGG/BBBB.
const BASE_COLOURS = [
  [0, 0, 0],
  [205, 0, 0],
  [0, 205, 0],
  [205, 205, 0],
  [0, 0, 238],
  [205, 0, 205],
  [0, 205, 205],
  [229, 229, 229],
  [127, 127, 127],
  [255, 0, 0],
  [0, 255, 0],
  [255, 255, 0],
  [92, 92, 255],
  [255, 0, 255],
  [0, 255, 255],
  [255, 255, 255],
];

function paletteColour(index: number): string {
  let rgb: number[];
  if (index < 16) rgb = BASE_COLOURS[index]!;
  else if (index < 232) {
    const level = (n: number) => (n === 0 ? 0 : 55 + n * 40);
    const n = index - 16;
    rgb = [level(Math.floor(n / 36)), level(Math.floor(n / 6) % 6), level(n % 6)];
  } else rgb = Array(3).fill(8 + (index - 232) * 10);
  return `rgb:${rgb.map((c) => c.toString(16).padStart(2, "0").repeat(2)).join("/")}`;
}

// DECCOLM (CSI ?3h / ?3l), honoured once CSI ?40h allows it, as xterm does:
// the screen is cleared, the cursor homed and the margins reset. The column
// count stays the PTY's (a background session has no window to resize).
function handleColumnMode(term: Terminal): void {
  let allowed = false;
  const core = (term as unknown as { _core: { _inputHandler: InputHandlerInternals } })._core;
  const handler = core._inputHandler;
  for (const final of ["h", "l"] as const) {
    term.parser.registerCsiHandler({ prefix: "?", final }, (params) => {
      if (params.includes(40)) allowed = final === "h";
      if (allowed && params.includes(3)) {
        const { Params } = paramsClass(handler);
        handler.setScrollRegion(Params.fromArray([]));
        handler.eraseInDisplay(Params.fromArray([2]));
        handler.cursorPosition(Params.fromArray([]));
      }
      return false;
    });
  }
}

// xterm.js's Params class, reached through a live instance's constructor.
function paramsClass(handler: InputHandlerInternals): { Params: { fromArray(values: number[]): unknown } } {
  const parser = (handler as unknown as { _parser: { _params: { constructor: { fromArray(v: number[]): unknown } } } })
    ._parser;
  return { Params: parser._params.constructor };
}
