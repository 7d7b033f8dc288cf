// bgterm wait: wait for the program to exit; print and exit with its code.
import { parseMs } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { outputArgs, sessionArg } from "../cli/shared.ts";
import { outputMode, printJson, printLine } from "../output.ts";
import { waitForExit } from "../session/client.ts";
import { resolveSession } from "../session/registry.ts";

export default command({
  meta: { name: "wait", description: "Wait for the program to exit; exit with its code (128+n for signal n)" },
  args: {
    ...sessionArg,
    timeout: { type: "string", description: "Give up after MS milliseconds (exit 124)" },
    ...outputArgs,
  },
  async run(args) {
    const files = resolveSession(args.session as string);
    const exitCode = await waitForExit(files, parseMs(args.timeout as string | undefined, "--timeout"));
    if (outputMode.json) await printJson({ id: files.id, exit_code: exitCode });
    else await printLine(String(exitCode));
    return exitCode;
  },
});
