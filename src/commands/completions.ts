// bgterm completions bash|zsh|fish: a completion script generated from the
// command declarations (src/cli/completions.ts).
import { command } from "../cli/command.ts";
import { completionScript, SHELLS, type Shell } from "../cli/completions.ts";
import { completionsOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import { visibleCommands } from "./index.ts";

export default command({
  local: true,
  name: "completions",
  summary: "Print a shell completion script: bash, zsh or fish",
  args: [{ name: "shell", kind: "enum", values: SHELLS, help: "The shell" }],
  output: completionsOutput,
  async run(args) {
    const shell = args.shell as Shell;
    const script = completionScript(shell, await visibleCommands()).trimEnd();
    if (outputMode.json) await printJson({ shell, script: `${script}\n` });
    else await printLine(script);
  },
});
