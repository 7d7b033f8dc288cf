// bgterm up: start the sessions declared in bgterm.toml that are not running
// (reusing those that are), dependencies first: a session listed in another's
// `after` must be ready before that one starts.
import { command } from "../cli/command.ts";
import { upOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printTable } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "up",
  summary: "Start the sessions declared in bgterm.toml that are not running, in dependency order",
  args: [{ name: "names", many: true, optional: true, help: "Only these sessions (and what they need)" }],
  options: {
    file: { kind: "file", short: "f", help: "The bgterm.toml to use (default: found from here upwards)" },
  },
  output: upOutput,
  async run(args) {
    const result = await api.up({ file: args.file as string | undefined, names: args.names as string[] });
    if (outputMode.json) return printJson(result);
    await printTable(
      ["NAME", "ID", "STATE", "READY-BY"],
      result.sessions.map((row) => [
        row.name,
        String(row.id),
        row.action === "reused" ? `${row.state} (reused)` : row.state,
        row.ready_by === null ? "-" : `${row.ready_by} (${((row.ready_ms ?? 0) / 1000).toFixed(1)}s)`,
      ]),
    );
  },
});
