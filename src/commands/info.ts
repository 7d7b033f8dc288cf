// bgterm info: the full record of one session, and the last command its
// integrated shell ran.
import { command, sessionArg } from "../cli/command.ts";
import { infoOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "info",
  summary: "Show everything about one session",
  args: [sessionArg],
  output: infoOutput,
  async run(args) {
    const last = api.history(args.session as string, { tail: 1 }).at(-1) ?? null;
    const record = { ...(await api.info(args.session as string)), last_command: last };
    if (outputMode.json) return printJson(record);
    for (const [key, value] of Object.entries(record)) {
      if (key === "runs" || key === "last_command") continue;
      await printLine(`${key.padEnd(15)}${describe(value)}`);
    }
    // One line per run when the program was restarted.
    if (record.runs.length > 1) {
      for (const [i, run] of record.runs.entries()) {
        const end = run.ended_at === null ? "running" : `exit ${run.exit_code} at ${run.ended_at}`;
        await printLine(
          `${`run ${i + 1}`.padEnd(15)}pid ${run.pid} from offset ${run.start_offset}, ${run.started_at}, ${end}`,
        );
      }
    }
    if (last) await printLine(`${"last_command".padEnd(15)}${last.n} (exit ${last.exit_code ?? "-"}) ${last.command}`);
  },
});

function describe(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (Array.isArray(value)) return value.join(" ");
  if (typeof value === "object") {
    const pairs = Object.entries(value).map(([k, v]) => `${k}=${v}`);
    return pairs.length > 0 ? pairs.join(" ") : "-";
  }
  return String(value);
}
