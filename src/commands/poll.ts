// bgterm poll: wait (bounded) for output and print what is unread. With --any
// and several sessions, the first one with unread output is read (its id first).
import { usageError } from "../errors.ts";
import { command } from "../cli/command.ts";
import { readOutput } from "../cli/json-output-read.ts";
import { outputMode, printLine } from "../cli/output.ts";
import { printRead, readDestination } from "../cli/print-read.ts";
import { pollOptions, readerOptions, waitOptions } from "../cli/shared.ts";
// The API file this command needs, not the barrel: every module imported is loaded per call.
import * as api from "../client/api/reading.ts";

export default command({
  name: "poll",
  summary: "Wait for output (bounded) and print what has not been read yet",
  args: [{ name: "sessions", kind: "session", many: true, help: "Session id or name (several with --any)" }],
  options: {
    any: {
      kind: "boolean",
      help: "Watch several sessions; read the first with unread output (its id on the first line)",
    },
    ...waitOptions,
    ...readerOptions,
  },
  output: readOutput,
  async run(args) {
    const refs = args.sessions as string[];
    if (refs.length === 0) throw usageError("missing argument SESSION (see --help)");
    if (refs.length > 1 && !args.any) throw usageError("polling several sessions needs --any");
    const options = { ...pollOptions(args), ...readDestination() };
    if (!args.any) return printRead(api.poll(refs[0]!, options));
    const winner = await api.firstWithOutput(refs, options);
    if (!outputMode.json) await printLine(String(winner));
    return printRead(api.poll(winner, { ...options, yield_ms: 0, idle_ms: 0, until: undefined }));
  },
});
