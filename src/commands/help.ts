// bgterm help [COMMAND]: the root help, or one command's help.
import pkg from "../../package.json" with { type: "json" };
import { command } from "../cli/command.ts";
import { commandHelp, rootHelp } from "../cli/help.ts";
import { helpOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import { unknownCommand } from "../errors.ts";
import { findCommand, visibleCommands } from "./index.ts";

export default command({
  local: true,
  name: "help",
  summary: "Show the help of a command, or list the commands",
  args: [{ name: "command", kind: "subcommand", optional: true, help: "A bgterm command" }],
  output: helpOutput,
  async run(args) {
    const name = args.command as string | undefined;
    let text: string;
    if (name === undefined) text = rootHelp(pkg.version, await visibleCommands());
    else {
      const found = await findCommand(name);
      if (!found || found.hidden) throw unknownCommand(name);
      text = await commandHelp(found);
    }
    if (outputMode.json) await printJson({ command: name ?? null, text });
    else await printLine(text);
  },
});
