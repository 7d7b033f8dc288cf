// bgterm poll: wait (bounded) for output and print what is unread.
import { command } from "../cli/command.ts";
import { pollAndPrint } from "../cli/read-session.ts";
import { outputArgs, pollOptions, readerArgs, sessionArg, waitArgs } from "../cli/shared.ts";
import { resolveSession } from "../session/registry.ts";

export default command({
  meta: { name: "poll", description: "Wait for output (bounded) and print what has not been read yet" },
  args: { ...sessionArg, ...waitArgs, ...readerArgs, ...outputArgs },
  async run(args) {
    const files = resolveSession(args.session as string);
    return pollAndPrint(files, undefined, pollOptions(args));
  },
});
