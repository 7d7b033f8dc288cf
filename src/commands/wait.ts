// bgterm wait: wait for the program to exit; print and exit with its code.
// With --any and several sessions, the first to exit wins.
import { usageError } from "../errors.ts";
import { parseMs } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { waitOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "wait",
  summary: "Wait for the program to exit; exit with its code (128+n for signal n)",
  args: [{ name: "sessions", kind: "session", many: true, help: "Session id or name (several with --any)" }],
  options: {
    any: { kind: "boolean", help: "Return as soon as any of the sessions exits; print its id and code" },
    timeout: { kind: "duration", help: "Give up after this long (exit 124)" },
    ready: {
      kind: "boolean",
      help: "Wait until the session is ready (by its start --ready* check) instead of its exit",
    },
  },
  output: waitOutput,
  outputNote: 'with --ready: {"id": N, "ready": true} once the session is ready',
  async run(args) {
    const refs = args.sessions as string[];
    if (refs.length === 0) throw usageError("missing argument SESSION (see --help)");
    if (refs.length > 1 && !args.any) throw usageError("waiting on several sessions needs --any");
    if (args.ready && args.any) throw usageError("give --ready or --any, not both");
    const timeoutMs = parseMs(args.timeout as string | undefined, "--timeout");
    if (args.ready) {
      const ready = await api.waitReady(refs[0]!, { timeout_ms: timeoutMs });
      if (outputMode.json) await printJson(ready);
      return 0;
    }
    const winner = await api.wait(refs, { timeout_ms: timeoutMs });
    if (outputMode.json) await printJson(winner);
    else await printLine(args.any ? `${winner.id} ${winner.exit_code}` : String(winner.exit_code));
    return winner.exit_code;
  },
});
