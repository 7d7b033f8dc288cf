// bgterm exec: run a command in the session's shell; print only its output and
// exit with its status.
import { BgtermError, EXIT, sessionNeverStarted, timeoutError } from "../errors.ts";
import { parseMs } from "../cli/args.ts";
import { command, sessionArg } from "../cli/command.ts";
import { execOutput } from "../cli/json-output.ts";
import { connectRunning } from "../cli/read-session.ts";
import { outputMode, printJson, writeBytes } from "../cli/output.ts";
import { sendInput, watchLive } from "../client/requests.ts";
import { checkShell, execMarkers, extractOutput, findStatus } from "../client/exec.ts";
import { resolveSession } from "../client/registry.ts";

// How long to wait for the shell's prompt to return after an interrupt.
const INTERRUPT_WAIT_MS = 10_000;
const FOREVER_MS = 2_147_483_647;

export default command({
  name: "exec",
  summary: "Run a command in the session's shell; print its output, exit with its status",
  args: [sessionArg, { name: "command", many: true, help: "The command line (may span lines, use heredocs)" }],
  options: {
    timeout: { kind: "duration", help: "Give up after this long: exit 124, the command keeps running" },
    interrupt: { kind: "boolean", help: "On timeout send C-c and wait for the shell; exit with the command's status" },
  },
  output: execOutput,
  async run(args) {
    const words = args.command as string[];
    const files = resolveSession(args.session as string);
    const timeoutMs = parseMs(args.timeout as string | undefined, "--timeout");
    const meta = files.readMeta();
    if (!meta) throw sessionNeverStarted(files.id);
    const channel = await connectRunning(files);
    checkShell(meta);
    const markers = execMarkers(words.join(" "));
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
      if (args.interrupt) {
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
    const exitCode = status?.status ?? null;
    const durationMs = Math.round(performance.now() - started);
    if (outputMode.json) {
      await printJson({
        exit_code: exitCode,
        output: output.toString("utf8"),
        timed_out: timedOut,
        duration_ms: durationMs,
      });
    } else {
      await writeBytes(output);
    }
    if (exitCode !== null) return exitCode;
    if (!result.running) {
      throw new BgtermError(
        EXIT.notRunning,
        `session ${files.id}'s shell exited (code ${result.exit_code ?? "unknown"}) before the command finished`,
      );
    }
    throw timeoutError(
      args.interrupt
        ? `the shell in session ${files.id} did not come back after C-c`
        : `the command in session ${files.id} is still running after ${timeoutMs} ms`,
    );
  },
});
