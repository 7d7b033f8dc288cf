// exec: a command line in the session's shell, its output and exit status.
import { BgtermError, notRunningError, sessionNeverStarted, timeoutError } from "../../errors.ts";
import { normaliseNewlines, runInShell } from "../exec.ts";
import type { OutputSink } from "../requests.ts";
import { checkInteger, type Deadline, FOREVER_MS, resolve, ResultError, Scope, type SessionRef } from "./common.ts";

export interface ExecOptions extends Deadline {
  // The command line (may span lines, use heredocs). timeout_ms: give up
  // after this long (exit 124), the command keeps running (default: no limit).
  command: string;
  // On timeout send C-c (never text); the result has the command's status.
  interrupt?: boolean;
  // Fail at once (exit 4) when the shell is not at its prompt, instead of waiting.
  no_wait?: boolean;
  // Keep waiting when the command waits for terminal input or opens a full-screen program.
  allow_interactive?: boolean;
  // Keep the user's PAGER, GIT_PAGER, MANPAGER (default: cat for the command).
  pager?: boolean;
  // In-process only: the output bytes go here; `output` stays empty.
  sink?: OutputSink;
  // In-process only: the sink gets the bytes as the terminal gave them (CRLF
  // kept) with their stream offset, and the result says start_offset and running.
  raw?: boolean;
}

export interface ExecResult {
  exit_code: number | null;
  output: string;
  timed_out: boolean;
  duration_ms: number;
  // The output outgrew the session's retention: `output` is its retained tail.
  truncated: boolean;
  omitted_bytes: number;
  // With raw (in-process only): where the output starts in the session's
  // stream, and whether the shell still runs.
  start_offset?: number;
  running?: boolean;
}

// Runs a command line in the session's shell; resolves with its output and
// status. When it does not finish, a ResultError holds what it printed.
export async function exec(session: SessionRef, options: ExecOptions): Promise<ExecResult> {
  const files = resolve(session);
  const timeoutMs = checkInteger(options.timeout_ms, "timeout_ms", 0, FOREVER_MS);
  const meta = files.readMeta();
  if (!meta) throw sessionNeverStarted(files.id);
  const scope = new Scope();
  const channel = await scope.connectRunning(files);
  try {
    const run = await runInShell(files, channel, options.command, timeoutMs ?? null, options.interrupt === true, {
      no_wait: options.no_wait,
      allow_interactive: options.allow_interactive,
      pager: options.pager,
    });
    const output = options.raw ? run.raw : normaliseNewlines(run.raw);
    if (options.sink) await options.sink.write(output, options.raw ? run.raw_offset : 0);
    const execResult: ExecResult = {
      exit_code: run.exit_code,
      output: options.sink ? "" : output.toString("utf8"),
      timed_out: run.timed_out,
      duration_ms: run.duration_ms,
      truncated: run.truncated,
      omitted_bytes: run.omitted_bytes,
      ...(options.raw ? { start_offset: run.raw_offset, running: run.running } : {}),
    };
    if (execResult.exit_code !== null) return execResult;
    if (run.error) throw new ResultError(new BgtermError(run.error.code, run.error.message), execResult);
    if (!run.running) {
      throw new ResultError(
        notRunningError(
          `session ${files.id}'s shell exited (code ${run.shell_exit_code ?? "unknown"}) before the command finished`,
        ),
        execResult,
      );
    }
    throw new ResultError(
      timeoutError(
        options.interrupt
          ? `the shell in session ${files.id} did not come back after C-c`
          : `the command in session ${files.id} is still running after ${timeoutMs} ms`,
      ),
      execResult,
    );
  } finally {
    scope.expire();
  }
}
