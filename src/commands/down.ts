// bgterm down: close the sessions that `up` started from this bgterm.toml
// (all of them, or the named ones), found by their project label.
import { command } from "../cli/command.ts";
import { downOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "down",
  summary: "Close the sessions declared in bgterm.toml (all, or the named ones)",
  args: [{ name: "names", many: true, optional: true, help: "Only these sessions of the file" }],
  options: {
    file: { kind: "file", short: "f", help: "The bgterm.toml to use (default: found from here upwards)" },
  },
  output: downOutput,
  async run(args) {
    const result = await api.down({ file: args.file as string | undefined, names: args.names as string[] });
    if (outputMode.json) return printJson(result);
    for (const session of result.sessions) await printLine(`${session.id}\t${session.name ?? "-"}`);
  },
});
