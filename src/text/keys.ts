// tmux-style key names for `send -k`, turned into the bytes a terminal sends,
// and bracketed paste for multi-line input to programs that ask for it.
import { usageError } from "../errors.ts";

// Each key once, as shells offer it after `send -k` (any case works), then
// the other names terminals and tmux use for some of them.
const KEYS: Record<string, string> = {
  Enter: "\r",
  Tab: "\t",
  Escape: "\x1b",
  Space: " ",
  BSpace: "\x7f",
  Up: "\x1b[A",
  Down: "\x1b[B",
  Left: "\x1b[D",
  Right: "\x1b[C",
  Home: "\x1b[H",
  End: "\x1b[F",
  PageUp: "\x1b[5~",
  PageDown: "\x1b[6~",
  Insert: "\x1b[2~",
  Delete: "\x1b[3~",
  F1: "\x1bOP",
  F2: "\x1bOQ",
  F3: "\x1bOR",
  F4: "\x1bOS",
  F5: "\x1b[15~",
  F6: "\x1b[17~",
  F7: "\x1b[18~",
  F8: "\x1b[19~",
  F9: "\x1b[20~",
  F10: "\x1b[21~",
  F11: "\x1b[23~",
  F12: "\x1b[24~",
};
const ALIASES: Record<string, keyof typeof KEYS> = { esc: "Escape", ppage: "PageUp", npage: "PageDown", dc: "Delete" };
const NAMED: Record<string, string> = Object.fromEntries([
  ...Object.entries(KEYS).map(([name, bytes]) => [name.toLowerCase(), bytes]),
  ...Object.entries(ALIASES).map(([alias, name]) => [alias, KEYS[name]!]),
]);

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
export const KEY_NAMES: readonly string[] = [...Object.keys(KEYS), "C-c", "C-d", "C-z", "C-l", "C-]"];

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

// The two halves, for a paste that is streamed in pieces.
export const PASTE_START = Buffer.from("\x1b[200~");
export const PASTE_END = Buffer.from("\x1b[201~");

// Wraps a paste the way a terminal does when the program enabled bracketed
// paste (ESC [ ? 2004 h), so editors and REPLs take it as one paste.
export function bracketPaste(data: Uint8Array): Buffer {
  return Buffer.concat([PASTE_START, data, PASTE_END]);
}
