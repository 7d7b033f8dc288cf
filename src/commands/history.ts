// bgterm history: the commands an integrated shell ran in the session (typed
// by exec, send, or a person in attach), with their exit status and times.
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
    tail: { kind: "integer", help: "Only the last N commands" },
  },
  output: historyOutput,
  async run(args) {
    const tail = parseInteger(args.tail as string | undefined, "--tail", 0, Number.MAX_SAFE_INTEGER);
    const records = api.history(args.session as string, { tail });
    if (outputMode.json) return printJson(records);
    for (const record of records) {
      const status = record.exit_code === null ? "-" : String(record.exit_code);
      await printLine(`${record.n}\t${status}\t${record.duration_ms}ms\t${record.command.replace(/\n/g, "\\n")}`);
    }
  },
});
