// Session arguments and reader names: validated before any path is built from
// them, so `../x`, `/abs`, NUL or newlines never reach the filesystem.
import { usageError } from "../errors.ts";

const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const ID_RE = /^[0-9]{1,15}$/;

export type SessionRef = { kind: "id"; id: number } | { kind: "name"; name: string };

// A name: 1-64 of letters, digits, '.', '_', '-', not all digits (that would read as an id).
export function checkName(name: string, what = "session name"): string {
  if (!NAME_RE.test(name) || /^\.{1,2}$/.test(name) || /^[0-9]+$/.test(name)) {
    throw usageError(
      `invalid ${what} ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-', not all digits`,
    );
  }
  return name;
}

// A reader name follows the same rules, except that digits alone are fine.
export function checkReader(reader: string): string {
  if (!NAME_RE.test(reader) || /^\.{1,2}$/.test(reader)) {
    throw usageError(`invalid reader name ${JSON.stringify(reader)}: use 1-64 letters, digits, '.', '_' or '-'`);
  }
  return reader;
}

export function parseSessionRef(text: string): SessionRef {
  if (ID_RE.test(text)) {
    const id = Number(text);
    if (id < 1) throw usageError(`invalid session id ${JSON.stringify(text)}: ids start at 1`);
    return { kind: "id", id };
  }
  if (/^[0-9]+$/.test(text)) throw usageError(`invalid session id ${JSON.stringify(text)}: too large`);
  checkName(text, "session id or name");
  return { kind: "name", name: text };
}
