// bgterm info: the full record of one session.
import { command, sessionArg } from "../cli/command.ts";
import { sessionRecord } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "info",
  summary: "Show everything about one session",
  args: [sessionArg],
  output: sessionRecord,
  async run(args) {
    const record = api.info(args.session as string);
    if (outputMode.json) return printJson(record);
    for (const [key, value] of Object.entries(record)) {
      const text = Array.isArray(value) ? value.join(" ") : value === null ? "-" : String(value);
      await printLine(`${key.padEnd(15)}${text}`);
    }
  },
});
