// bgterm exec: run a command in the session's shell; print only its output and
// exit with its status.
import { PlainFilter } from "../text/plain.ts";
import { parseMs } from "../cli/args.ts";
import { command, sessionArg } from "../cli/command.ts";
import { execOutput } from "../cli/json-output.ts";
import { outputMode, printJson, writeBytes } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "exec",
  summary: "Run a command in the session's shell; print its output, exit with its status",
  args: [sessionArg, { name: "command", many: true, help: "The command line (may span lines, use heredocs)" }],
  options: {
    timeout: { kind: "duration", help: "Give up after this long: exit 124, the command keeps running" },
    interrupt: { kind: "boolean", help: "On timeout send C-c and wait for the shell; exit with the command's status" },
  },
  output: execOutput,
  async run(args) {
    const plain = outputMode.plain ? new PlainFilter() : undefined;
    const options: api.ExecOptions = {
      command: (args.command as string[]).join(" "),
      timeout_ms: parseMs(args.timeout as string | undefined, "--timeout"),
      interrupt: args.interrupt === true,
      // Without --json the output is printed byte for byte (or as --plain text).
      sink: outputMode.json ? undefined : { write: (chunk) => writeBytes(plain ? plain.push(chunk) : chunk) },
    };
    try {
      const result = await api.exec(args.session as string, options);
      if (plain) await writeBytes(plain.flush());
      if (outputMode.json) await printJson(result);
      return result.exit_code ?? 0;
    } catch (error) {
      if (error instanceof api.ResultError && outputMode.json) await printJson(error.result);
      throw error;
    }
  },
});
