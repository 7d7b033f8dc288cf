// exec: run a command line in the session's interactive shell and get back
// exactly its output and exit status. The typed line brackets the command with
// two markers printed by printf: each holds a random per-call token and the
// control character RS (\036), which the terminal's echo of the typed line can
// never contain (the line types it as the four characters `\036`), and which
// the command cannot forge without knowing the token. The command itself is
// passed to `eval` as printf %b octal escapes, so a multi-line command or a
// heredoc stays one typed line and runs in the shell itself (cd, exports persist).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { usageError } from "../errors.ts";
import { foregroundGroup } from "../shared/procfs.ts";
import type { SessionMeta } from "../shared/session-files.ts";

export const SUPPORTED_SHELLS = ["bash", "sh", "dash", "zsh"];

// Both the session's program and the terminal's foreground process must be a
// supported shell (the first alone would accept a shell that is running vim;
// the second alone a launcher script, such as a pyenv shim, about to exec python).
export function checkShell(meta: SessionMeta): string {
  const program = path.basename(meta.command[0] ?? "");
  if (!SUPPORTED_SHELLS.includes(program.replace(/^-/, ""))) {
    throw usageError(
      `exec needs a session running a shell (${SUPPORTED_SHELLS.join(", ")}); session ${meta.id} runs ${meta.command.join(" ")}`,
    );
  }
  const leader = foregroundGroup(meta.pid);
  let comm = "";
  try {
    comm = fs.readFileSync(`/proc/${leader}/comm`, "utf8").trim();
  } catch {
    comm = "an unknown program";
  }
  const name = comm.replace(/^-/, ""); // login shells show as -bash
  if (!SUPPORTED_SHELLS.includes(name)) {
    throw usageError(
      `exec needs a shell (${SUPPORTED_SHELLS.join(", ")}) in the session's foreground; session ${meta.id} is running ${comm}`,
    );
  }
  return name;
}

// printf %b argument: octal escapes for everything a single-quoted word or a
// terminal line could mangle (quotes, backslashes, newlines, control bytes).
function encodeForPrintfB(command: string): string {
  let out = "";
  for (const byte of Buffer.from(command, "utf8")) {
    if (byte < 0x20 || byte === 0x7f || byte === 0x27 || byte === 0x5c) {
      out += `\\0${byte.toString(8).padStart(3, "0")}`;
    } else {
      out += String.fromCharCode(byte);
    }
  }
  return Buffer.from(out, "latin1").toString("utf8");
}

export interface ExecMarkers {
  token: string;
  line: string;
  start: Buffer;
  endPattern: { source: string; flags: string };
  // The line that reports "$?" once the shell is back after an interrupt.
  probeLine: string;
  probePattern: { source: string; flags: string };
}

export function execMarkers(command: string): ExecMarkers {
  const token = crypto.randomBytes(8).toString("hex");
  const [a, b] = [token.slice(0, 8), token.slice(8)];
  const encoded = encodeForPrintfB(command);
  // A leading space keeps the line out of history where the shell honours it.
  const line = ` printf '\\036S%s%s\\036' ${a} ${b}; eval "$(printf '%b' '${encoded}')"; printf '\\036E%s%s:%d\\036' ${a} ${b} "$?"\r`;
  return {
    token,
    line,
    start: Buffer.from(`\x1eS${token}\x1e`),
    endPattern: { source: `\\x1eE${token}:(\\d+)\\x1e`, flags: "" },
    probeLine: ` printf '\\036R%s%s:%d\\036' ${a} ${b} "$?"\r`,
    probePattern: { source: `\\x1eR${token}:(\\d+)\\x1e`, flags: "" },
  };
}

// The command's output (CRLF turned into LF) between the start marker and
// the end of `stopAt` (the end marker, or where an interrupt began).
export function extractOutput(bytes: Buffer, markers: ExecMarkers, stopAt: number): Buffer {
  const begin = bytes.indexOf(markers.start);
  if (begin === -1) return Buffer.alloc(0);
  const body = bytes.subarray(begin + markers.start.length, Math.max(begin + markers.start.length, stopAt));
  return Buffer.from(body.toString("latin1").replace(/\r\n/g, "\n"), "latin1");
}

// The exit status in a marker match found in bytes, if any.
export function findStatus(
  bytes: Buffer,
  pattern: { source: string; flags: string },
): { status: number; at: number } | undefined {
  const match = new RegExp(pattern.source, pattern.flags).exec(bytes.toString("latin1"));
  return match ? { status: Number(match[1]), at: match.index } : undefined;
}
