// exec from the client's side: the supervisor queues the command, types it
// into the shell when (and only when) the shell waits at its prompt, and
// answers with where the command's output lies in the stream and its status
// (see src/supervisor/exec-queue.ts). The client then reads exactly that range;
// bgterm's shell marks are never in the stream.
import { BgtermError, EXIT } from "../errors.ts";
import type { ExecRequest } from "../shared/protocol.ts";
import type { SessionFiles } from "../shared/session-files.ts";
import { type ClientChannel, peekLive } from "./requests.ts";

// The shells exec runs commands in (bash, zsh, fish with hooks; sh/dash with a wrapper line).
export const SUPPORTED_SHELLS = ["bash", "zsh", "fish", "sh", "dash"];

// Terminal housekeeping a shell writes around a command (mode switches, the
// window title, attribute resets), which is no part of the command's output.
const HOUSEKEEPING = String.raw`(?:\x1b\[\?[0-9;]*[hl]|\x1b\][012];[^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-9;]*m|\x1b[()][0-9A-Za-z]|\x1b[=>])`;
const LEADING = new RegExp(`^(?:${HOUSEKEEPING}|\\r(?!\\n))+`);
const TRAILING = new RegExp(`${HOUSEKEEPING}+$`);

// What a command printed, as a file would hold it: CRLF turned into LF, the
// shell's housekeeping before and after the command dropped.
export function normaliseNewlines(raw: Buffer): Buffer {
  const text = raw.toString("latin1").replace(LEADING, "").replace(TRAILING, "").replace(/\r\n/g, "\n");
  return Buffer.from(text, "latin1");
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
  // Why it did not finish, when not a timeout or the shell's end (exit 2 or 4).
  error?: { code: number; message: string };
  // The output outgrew retention (--max-buffer): `raw` is its retained tail,
  // omitted_bytes what was dropped before it.
  truncated: boolean;
  omitted_bytes: number;
}

export type ShellRunOptions = Partial<Pick<ExecRequest, "no_wait" | "allow_interactive" | "pager">>;

// Hands the command line to the supervisor's exec queue on `channel` and
// waits (timeoutMs covers the queue and the wait for the prompt); on timeout,
// with `interrupt`, the supervisor sends C-c. No cursor moves.
export async function runInShell(
  files: SessionFiles,
  channel: ClientChannel,
  commandLine: string,
  timeoutMs: number | null,
  interrupt: boolean,
  options: ShellRunOptions = {},
): Promise<ShellRun> {
  const started = performance.now();
  await channel.send({
    op: "exec",
    command: commandLine,
    timeout_ms: timeoutMs,
    no_wait: options.no_wait === true,
    interrupt,
    allow_interactive: options.allow_interactive === true,
    pager: options.pager === true,
  });
  const frame = await channel.next();
  if (!frame) throw new BgtermError(EXIT.internal, `session ${files.id}: the supervisor closed the connection`);
  const done = frame.header;
  if (done.op === "error") throw new BgtermError(done.code, done.message);
  if (done.op !== "exec_done") throw new BgtermError(EXIT.internal, `unexpected reply '${done.op}' to exec`);
  const chunks: Buffer[] = [];
  let peek: { truncated: boolean; omitted_bytes: number } = { truncated: false, omitted_bytes: 0 };
  if (done.to > done.from) {
    peek = await peekLive(
      files,
      channel,
      { reader: "default", from: done.from, limit: done.to - done.from },
      { write: (chunk) => void chunks.push(Buffer.from(chunk)) },
    );
  }
  const shellEnded = done.error?.code === EXIT.notRunning && done.shell_exit_code !== undefined;
  return {
    exit_code: done.exit_code,
    raw: Buffer.concat(chunks),
    raw_offset: done.from,
    timed_out: done.timed_out,
    running: !shellEnded,
    shell_exit_code: shellEnded ? (done.shell_exit_code ?? null) : null,
    duration_ms: Math.round(performance.now() - started),
    error: done.error && !shellEnded && !done.timed_out ? done.error : undefined,
    truncated: peek.truncated,
    omitted_bytes: peek.truncated ? peek.omitted_bytes : 0,
  };
}
