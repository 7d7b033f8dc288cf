// bgterm wait: wait for the program to exit; print and exit with its code.
// With --any and several sessions, the first to exit wins.
import { timeoutError, usageError } from "../errors.ts";
import { parseMs } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { waitOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import { waitForExit } from "../client/requests.ts";
import { resolveSession } from "../client/registry.ts";

export default command({
  name: "wait",
  summary: "Wait for the program to exit; exit with its code (128+n for signal n)",
  args: [{ name: "sessions", kind: "session", many: true, help: "Session id or name (several with --any)" }],
  options: {
    any: { kind: "boolean", help: "Return as soon as any of the sessions exits; print its id and code" },
    timeout: { kind: "duration", help: "Give up after this long (exit 124)" },
  },
  output: waitOutput,
  async run(args) {
    const refs = args.sessions as string[];
    if (refs.length === 0) throw usageError("missing argument SESSION (see --help)");
    if (refs.length > 1 && !args.any) throw usageError("waiting on several sessions needs --any");
    const targets = refs.map(resolveSession);
    const timeoutMs = parseMs(args.timeout as string | undefined, "--timeout");
    // Each wait is event driven (the supervisor answers when its child exits).
    const first = Promise.any(targets.map(async (files) => ({ files, code: await waitForExit(files) })));
    const timer =
      timeoutMs === undefined
        ? undefined
        : new Promise<never>((_, reject) =>
            setTimeout(
              () =>
                reject(
                  timeoutError(
                    targets.length === 1
                      ? `session ${targets[0]!.id} still running after ${timeoutMs} ms`
                      : `none of the sessions exited within ${timeoutMs} ms`,
                  ),
                ),
              timeoutMs,
            ),
          );
    let winner: { files: (typeof targets)[number]; code: number };
    try {
      winner = await (timer ? Promise.race([first, timer]) : first);
    } catch (error) {
      // Every wait failed (e.g. all sessions lost): report the first reason.
      throw error instanceof AggregateError ? error.errors[0] : error;
    }
    if (outputMode.json) await printJson({ id: winner.files.id, exit_code: winner.code });
    else await printLine(args.any ? `${winner.files.id} ${winner.code}` : String(winner.code));
    return winner.code;
  },
});
