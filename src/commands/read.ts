// bgterm read: print unread output now, without waiting; or page by offset.
import { parseInteger } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { readAndPrint } from "../cli/read-session.ts";
import { limitOption, outputArgs, readerArgs, readerName, sessionArg } from "../cli/shared.ts";
import { resolveSession } from "../client/registry.ts";

export default command({
  meta: { name: "read", description: "Print unread output without waiting (--peek/--from leave the cursor alone)" },
  args: {
    ...sessionArg,
    peek: { type: "boolean", description: "Do not move the unread cursor" },
    from: { type: "string", description: "Read from this absolute byte offset (implies --peek)" },
    ...readerArgs,
    ...outputArgs,
  },
  async run(args) {
    const files = resolveSession(args.session as string);
    const from = parseInteger(args.from as string | undefined, "--from", 0, Number.MAX_SAFE_INTEGER);
    return readAndPrint(files, {
      reader: readerName(args),
      from,
      limit: limitOption(args),
      peek: args.peek === true || from !== undefined,
    });
  },
});
