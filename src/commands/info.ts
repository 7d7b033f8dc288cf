// bgterm info: the full record of one session.
import { command } from "../cli/command.ts";
import { outputArgs, sessionArg } from "../cli/shared.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import { buildRecord } from "../client/record.ts";
import { resolveSession } from "../client/registry.ts";

export default command({
  meta: { name: "info", description: "Show everything about one session" },
  args: { ...sessionArg, ...outputArgs },
  async run(args) {
    const record = buildRecord(resolveSession(args.session as string));
    if (outputMode.json) return printJson(record);
    for (const [key, value] of Object.entries(record)) {
      const text = Array.isArray(value) ? value.join(" ") : value === null ? "-" : String(value);
      await printLine(`${key.padEnd(15)}${text}`);
    }
  },
});
