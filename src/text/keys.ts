// tmux-style key names for `send -k`, turned into the bytes a terminal sends,
// and bracketed paste for multi-line input to programs that ask for it.
import { usageError } from "../errors.ts";

const NAMED: Record<string, string> = {
  enter: "\r",
  tab: "\t",
  escape: "\x1b",
  esc: "\x1b",
  space: " ",
  bspace: "\x7f",
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  home: "\x1b[H",
  end: "\x1b[F",
  pageup: "\x1b[5~",
  pagedown: "\x1b[6~",
  ppage: "\x1b[5~",
  npage: "\x1b[6~",
  insert: "\x1b[2~",
  delete: "\x1b[3~",
  dc: "\x1b[3~",
  f1: "\x1bOP",
  f2: "\x1bOQ",
  f3: "\x1bOR",
  f4: "\x1bOS",
  f5: "\x1b[15~",
  f6: "\x1b[17~",
  f7: "\x1b[18~",
  f8: "\x1b[19~",
  f9: "\x1b[20~",
  f10: "\x1b[21~",
  f11: "\x1b[23~",
  f12: "\x1b[24~",
};

// Ctrl+char: letters and the few punctuation keys terminals map to C0 codes.
function controlByte(char: string): string | undefined {
  const lower = char.toLowerCase();
  if (lower >= "a" && lower <= "z") return String.fromCharCode(lower.charCodeAt(0) - 96);
  const punct: Record<string, string> = {
    "@": "\0",
    "[": "\x1b",
    "\\": "\x1c",
    "]": "\x1d",
    "^": "\x1e",
    _: "\x1f",
    "?": "\x7f",
    " ": "\0",
  };
  return punct[char];
}

// Keys whose encoding changes in application cursor mode (DECCKM), as vim and
// less set it: ESC [ A becomes ESC O A.
const CURSOR_KEYS = new Set(["up", "down", "right", "left", "home", "end"]);

// The names shells offer after `send -k` (any name above works, in any case).
export const KEY_NAMES: readonly string[] = [
  "Enter",
  "Tab",
  "Escape",
  "Space",
  "BSpace",
  "Up",
  "Down",
  "Left",
  "Right",
  "Home",
  "End",
  "PageUp",
  "PageDown",
  "Insert",
  "Delete",
  ...Array.from({ length: 12 }, (_, i) => `F${i + 1}`),
  "C-c",
  "C-d",
  "C-z",
  "C-l",
  "C-]",
];

export function isCursorKey(name: string): boolean {
  return CURSOR_KEYS.has(name.toLowerCase());
}

export interface KeyModes {
  applicationCursor: boolean;
}

// "C-c" -> "\x03", "M-x" -> "\x1bx", "Up" -> "\x1b[A" (or "\x1bOA" in application
// cursor mode); names are case-insensitive.
export function encodeKey(name: string, modes: KeyModes = { applicationCursor: false }): string {
  if (modes.applicationCursor && isCursorKey(name)) return `\x1bO${NAMED[name.toLowerCase()]!.slice(-1)}`;
  const control = /^C-(.)$/i.exec(name);
  if (control) {
    const byte = controlByte(control[1]!);
    if (byte !== undefined) return byte;
  }
  const meta = /^M-(.+)$/i.exec(name);
  if (meta) {
    const rest = meta[1]!;
    return `\x1b${[...rest].length === 1 ? rest : encodeKey(rest, modes)}`;
  }
  const named = NAMED[name.toLowerCase()];
  if (named !== undefined) return named;
  // A single printable character is itself, as in tmux (`send-keys q` quits less).
  if ([...name].length === 1 && !/\p{Cc}/u.test(name)) return name;
  throw usageError(
    `unknown key '${name}' (known: Enter, Tab, Escape, Space, BSpace, Up, Down, Left, Right, Home, End, PageUp, PageDown, Insert, Delete, F1-F12, C-a..C-z, M-<char>, or one character)`,
  );
}

// Wraps a paste the way a terminal does when the program enabled bracketed
// paste (ESC [ ? 2004 h), so editors and REPLs take it as one paste.
export function bracketPaste(data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from("\x1b[200~"), data, Buffer.from("\x1b[201~")]);
}
