// bgterm schema [COMMAND]: JSON Schema (draft 2020-12) of a command's
// arguments and of its --json output, or of every command's.
import { command } from "../cli/command.ts";
import { schemaOutput } from "../cli/json-output.ts";
import { printJson } from "../cli/output.ts";
import { allSchemas, commandSchema } from "../cli/schema.ts";
import { unknownCommand } from "../errors.ts";
import { findCommand, visibleCommands } from "./index.ts";

export default command({
  local: true,
  name: "schema",
  summary: "Print the JSON Schema of a command's arguments and --json output (all commands without one)",
  args: [{ name: "command", kind: "subcommand", optional: true, help: "A bgterm command" }],
  output: schemaOutput,
  async run(args) {
    const name = args.command as string | undefined;
    if (name === undefined) return printJson(allSchemas(await visibleCommands()));
    const found = await findCommand(name);
    if (!found || found.hidden) throw unknownCommand(name);
    await printJson(commandSchema(found));
  },
});
