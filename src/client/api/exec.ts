// exec: a command line in the session's shell, its output and exit status.
import { notRunningError, sessionNeverStarted, timeoutError } from "../../errors.ts";
import { checkShell, execMarkers, extractOutput, findStatus } from "../exec.ts";
import { type OutputSink, sendInput, watchLive } from "../requests.ts";
import {
  checkInteger,
  type Deadline,
  FOREVER_MS,
  INTERRUPT_WAIT_MS,
  resolve,
  ResultError,
  Scope,
  type SessionRef,
} from "./common.ts";

export interface ExecOptions extends Deadline {
  // The command line (may span lines, use heredocs). timeout_ms: give up
  // after this long (exit 124), the command keeps running (default: no limit).
  command: string;
  // On timeout send C-c and wait for the shell; the result has the command's status.
  interrupt?: boolean;
  // In-process only: the output bytes go here; `output` stays empty.
  sink?: OutputSink;
}

export interface ExecResult {
  exit_code: number | null;
  output: string;
  timed_out: boolean;
  duration_ms: number;
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
    checkShell(meta);
    const markers = execMarkers(options.command);
    const started = performance.now();
    const since = await sendInput(files, channel, Buffer.from(markers.line));
    const chunks: Buffer[] = [];
    const collect = { write: (chunk: Uint8Array) => void chunks.push(Buffer.from(chunk)) };
    const watch = (until: { source: string; flags: string }, yieldMs: number) =>
      watchLive(files, channel, { since, until, yield_ms: yieldMs, idle_ms: 0 }, collect);

    let result = await watch(markers.endPattern, timeoutMs ?? FOREVER_MS);
    let bytes = Buffer.concat(chunks);
    let status = findStatus(bytes, markers.endPattern);
    let stopAt = status?.at ?? bytes.length;
    let timedOut = false;
    if (!status && result.running) {
      timedOut = true;
      if (options.interrupt) {
        const interruptAt = (await sendInput(files, channel, Buffer.from("\x03"))) - since;
        await sendInput(files, channel, Buffer.from(markers.probeLine));
        chunks.length = 0;
        result = await watch(markers.probePattern, INTERRUPT_WAIT_MS);
        bytes = Buffer.concat(chunks);
        status = findStatus(bytes, markers.probePattern);
        stopAt = interruptAt;
      }
    }
    const output = extractOutput(bytes, markers, stopAt);
    if (options.sink) await options.sink.write(output, 0);
    const execResult: ExecResult = {
      exit_code: status?.status ?? null,
      output: options.sink ? "" : output.toString("utf8"),
      timed_out: timedOut,
      duration_ms: Math.round(performance.now() - started),
    };
    if (execResult.exit_code !== null) return execResult;
    if (!result.running) {
      throw new ResultError(
        notRunningError(
          `session ${files.id}'s shell exited (code ${result.exit_code ?? "unknown"}) before the command finished`,
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
