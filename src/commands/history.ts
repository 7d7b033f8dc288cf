// bgterm history: the commands an integrated shell ran in the session (typed
// by exec, send, or a person in attach), with their exit status and times;
// with --runs, the program's runs (several with --restart).
import { parseInteger } from "../cli/args.ts";
import { command, sessionArg } from "../cli/command.ts";
import { historyOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "history",
  summary: "List the commands the session's shell ran, with status and times (the last 1,000)",
  args: [sessionArg],
  options: {
    tail: { kind: "integer", help: "Only the last N commands (or runs)" },
    runs: { kind: "boolean", help: "List the program's runs instead: start offset, exit status, times" },
  },
  output: historyOutput,
  outputNote: "with --runs: an array of runs, as info's runs field",
  async run(args) {
    const tail = parseInteger(args.tail as string | undefined, "--tail", 0, Number.MAX_SAFE_INTEGER);
    if (args.runs) return printRuns(await api.runs(args.session as string, { tail }));
    const records = api.history(args.session as string, { tail });
    if (outputMode.json) return printJson(records);
    for (const record of records) {
      const status = record.exit_code === null ? "-" : String(record.exit_code);
      await printLine(`${record.n}\t${status}\t${record.duration_ms}ms\t${record.command.replace(/\n/g, "\\n")}`);
    }
  },
});

// N, exit status (- while running), start, end, the offset where its output starts.
async function printRuns(runs: api.RunRecord[]): Promise<void> {
  if (outputMode.json) return printJson(runs);
  for (const [i, run] of runs.entries()) {
    const status = run.exit_code === null ? "-" : String(run.exit_code);
    await printLine(`${i + 1}\t${status}\t${run.started_at}\t${run.ended_at ?? "-"}\t${run.start_offset}`);
  }
}
