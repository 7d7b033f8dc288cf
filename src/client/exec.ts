// exec: run a command line in the session's interactive shell and get back
// exactly its output and exit status. The typed line brackets the command with
// two markers printed by printf: each holds a random per-call token and the
// control character RS (\036), which the terminal's echo of the typed line can
// never contain (the line types it as the four characters `\036`), and which
// the command cannot forge without knowing the token. The command itself is
// passed to `eval` as printf %b octal escapes, so a multi-line command or a
// heredoc stays one typed line and runs in the shell itself (cd, exports persist).
import path from "node:path";
import { usageError } from "../errors.ts";
import { foregroundProcess } from "../shared/procfs.ts";
import type { SessionFiles, SessionMeta } from "../shared/session-files.ts";
import { type ClientChannel, sendInput, watchLive } from "./requests.ts";

// How long to wait for the shell's prompt to return after an interrupt.
const INTERRUPT_WAIT_MS = 10_000;

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
  const comm = foregroundProcess(meta.pid)?.name ?? "an unknown program";
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
  // Web Crypto is built in; node:crypto would cost every API importer its load.
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString("hex");
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

// What a command printed, as a file would hold it: CRLF turned into LF.
export function normaliseNewlines(raw: Buffer): Buffer {
  return Buffer.from(raw.toString("latin1").replace(/\r\n/g, "\n"), "latin1");
}

// The exit status in a marker match found in bytes, if any.
export function findStatus(
  bytes: Buffer,
  pattern: { source: string; flags: string },
): { status: number; at: number } | undefined {
  const match = new RegExp(pattern.source, pattern.flags).exec(bytes.toString("latin1"));
  return match ? { status: Number(match[1]), at: match.index } : undefined;
}

// One command line run in a shell, as exec and the MCP server report it.
export interface ShellRun {
  // The command's exit status; null when it did not finish.
  exit_code: number | null;
  // Its output as the terminal gave it (CRLF kept), and where that starts in the stream.
  raw: Buffer;
  raw_offset: number;
  timed_out: boolean;
  // Whether the shell still runs, and its exit code if not.
  running: boolean;
  shell_exit_code: number | null;
  duration_ms: number;
}

// Types the command line (between markers) into the shell on `channel` and
// waits up to timeoutMs for its end marker; on timeout, with `interrupt`, sends
// C-c and asks the shell for the status. Output is watched, no cursor moves.
export async function runInShell(
  files: SessionFiles,
  channel: ClientChannel,
  commandLine: string,
  timeoutMs: number,
  interrupt: boolean,
): Promise<ShellRun> {
  const markers = execMarkers(commandLine);
  const started = performance.now();
  const since = await sendInput(files, channel, Buffer.from(markers.line));
  const chunks: Buffer[] = [];
  const collect = { write: (chunk: Uint8Array) => void chunks.push(Buffer.from(chunk)) };
  const watch = (until: { source: string; flags: string }, yieldMs: number) =>
    watchLive(files, channel, { since, until, match_raw: true, yield_ms: yieldMs, idle_ms: 0 }, collect);

  let result = await watch(markers.endPattern, timeoutMs);
  let bytes = Buffer.concat(chunks);
  let status = findStatus(bytes, markers.endPattern);
  let stopAt = status?.at ?? bytes.length;
  let timedOut = false;
  if (!status && result.running) {
    timedOut = true;
    if (interrupt) {
      const interruptAt = (await sendInput(files, channel, Buffer.from("\x03"))) - since;
      await sendInput(files, channel, Buffer.from(markers.probeLine));
      // The probe's watch starts at the command line again: it sees everything.
      chunks.length = 0;
      result = await watch(markers.probePattern, INTERRUPT_WAIT_MS);
      bytes = Buffer.concat(chunks);
      status = findStatus(bytes, markers.probePattern);
      stopAt = interruptAt;
    }
  }
  const begin = bytes.indexOf(markers.start);
  const bodyStart = begin === -1 ? bytes.length : begin + markers.start.length;
  return {
    exit_code: status?.status ?? null,
    raw: bytes.subarray(bodyStart, Math.max(bodyStart, Math.min(stopAt, bytes.length))),
    raw_offset: since + bodyStart,
    timed_out: timedOut,
    running: result.running,
    shell_exit_code: result.exit_code,
    duration_ms: Math.round(performance.now() - started),
  };
}
