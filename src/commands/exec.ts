// bgterm exec: run a command in the session's shell; print only its output and
// exit with its status. The supervisor queues it and types it only into the
// shell at its prompt (see src/supervisor/exec-queue.ts).
import { PlainFilter } from "../text/plain.ts";
import { parseMs } from "../cli/args.ts";
import { warn } from "../cli/messages.ts";
import { command, sessionArg } from "../cli/command.ts";
import { execOutput } from "../cli/json-output.ts";
import { outputMode, printJson, writeBytes } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "exec",
  summary: "Run a command in the session's shell; print its output, exit with its status",
  args: [sessionArg, { name: "command", many: true, help: "The command line (may span lines, use heredocs)" }],
  options: {
    timeout: {
      kind: "duration",
      help: "Give up after this long, the wait in the queue and for the prompt included: exit 124",
    },
    interrupt: { kind: "boolean", help: "On timeout send C-c (never text); exit with the command's status" },
    "no-wait": { kind: "boolean", help: "Fail at once (exit 4) when the shell is not at its prompt" },
    "allow-interactive": {
      kind: "boolean",
      help: "Keep waiting when the command waits for terminal input or opens a full-screen program",
    },
    pager: { kind: "boolean", help: "Keep the user's PAGER, GIT_PAGER, MANPAGER (default: cat for exec)" },
  },
  output: execOutput,
  async run(args) {
    const plain = outputMode.plain ? new PlainFilter() : undefined;
    const options: api.ExecOptions = {
      command: (args.command as string[]).join(" "),
      timeout_ms: parseMs(args.timeout as string | undefined, "--timeout"),
      interrupt: args.interrupt === true,
      no_wait: args["no-wait"] === true,
      allow_interactive: args["allow-interactive"] === true,
      pager: args.pager === true,
      // Without --json the output is printed byte for byte (or as --plain text).
      sink: outputMode.json ? undefined : { write: (chunk) => writeBytes(plain ? plain.push(chunk) : chunk) },
    };
    try {
      const result = await api.exec(args.session as string, options);
      if (plain) await writeBytes(plain.flush());
      if (result.truncated) {
        await warn(
          `the output outgrew the session's retention (--max-buffer): only its tail is shown, ${result.omitted_bytes} bytes before it were dropped`,
        );
      }
      if (outputMode.json) await printJson(result);
      return result.exit_code ?? 0;
    } catch (error) {
      if (error instanceof api.ResultError && outputMode.json) await printJson(error.result);
      throw error;
    }
  },
});
