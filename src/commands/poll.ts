// bgterm poll: wait (bounded) for output and print what is unread. With --any
// and several sessions, the first one with unread output is read (its id first).
import { timeoutError, usageError } from "../errors.ts";
import { command } from "../cli/command.ts";
import { pollAndPrint } from "../cli/read-session.ts";
import { pollOptions, readerOptions, waitOptions } from "../cli/shared.ts";
import { readOutput } from "../cli/json-output.ts";
import { outputMode, printLine } from "../cli/output.ts";
import { connect, watchLive } from "../client/requests.ts";
import { resolveSession } from "../client/registry.ts";
import type { SessionFiles } from "../shared/session-files.ts";

// Watches every session without consuming anything; the first with unread
// output (matching --until, quiet for --idle) wins. Exited sessions with
// unread output win at once.
async function firstWithOutput(
  targets: SessionFiles[],
  options: ReturnType<typeof pollOptions>,
): Promise<SessionFiles> {
  const channels: NonNullable<Awaited<ReturnType<typeof connect>>>[] = [];
  const discard = { write() {} };
  try {
    const watches = targets.map(async (files) => {
      const channel = await connect(files);
      if (!channel) {
        const record = files.readEnd() > files.readCursor(options.reader) ? files : undefined;
        if (record) return record;
        throw new Error("ended, nothing unread");
      }
      channels.push(channel);
      const result = await watchLive(files, channel, { ...options, reader: options.reader }, discard);
      if (result.to > result.from && result.matched !== false) return files;
      throw new Error("nothing within the yield");
    });
    return await Promise.any(watches);
  } catch {
    throw timeoutError(`none of the sessions had unread output within ${options.yield_ms} ms`);
  } finally {
    for (const channel of channels) channel.end();
  }
}

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
    const targets = refs.map(resolveSession);
    const options = pollOptions(args);
    if (!args.any) return pollAndPrint(targets[0]!, undefined, options);
    const winner = await firstWithOutput(targets, options);
    if (!outputMode.json) await printLine(String(winner.id));
    return pollAndPrint(winner, undefined, { ...options, yield_ms: 0, idle_ms: 0, until: undefined });
  },
});
