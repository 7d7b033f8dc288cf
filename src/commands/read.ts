// bgterm read: print unread output now, without waiting; or page by offset.
import { parseInteger } from "../cli/args.ts";
import { command, sessionArg } from "../cli/command.ts";
import { readOutput } from "../cli/json-output-read.ts";
import { printRead, readDestination } from "../cli/print-read.ts";
import { limitOption, readerName, readerOptions } from "../cli/shared.ts";
// The API file this command needs, not the barrel: every module imported is loaded per call.
import * as api from "../client/api/reading.ts";

export default command({
  name: "read",
  summary: "Print unread output without waiting (--peek/--from leave the cursor alone)",
  args: [sessionArg],
  options: {
    peek: { kind: "boolean", help: "Do not move the unread cursor" },
    from: { kind: "integer", help: "Read from this absolute byte offset (implies --peek)" },
    ...readerOptions,
  },
  output: readOutput,
  async run(args) {
    const from = parseInteger(args.from as string | undefined, "--from", 0, Number.MAX_SAFE_INTEGER);
    return printRead(
      api.read(args.session as string, {
        reader: readerName(args),
        from,
        limit: limitOption(args),
        peek: args.peek === true,
        ...readDestination(),
      }),
    );
  },
});
