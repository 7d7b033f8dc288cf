// bgterm resize: change the terminal size; the program gets SIGWINCH.
import { parseInteger } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { connectRunning } from "../cli/read-session.ts";
import { outputArgs, sessionArg } from "../cli/shared.ts";
import { requestOk } from "../client/requests.ts";
import { resolveSession } from "../client/registry.ts";

export default command({
  meta: { name: "resize", description: "Set the terminal size (the program receives SIGWINCH)" },
  args: {
    ...sessionArg,
    cols: { type: "positional", description: "Columns", required: true },
    rows: { type: "positional", description: "Rows", required: true },
    ...outputArgs,
  },
  async run(args) {
    const cols = parseInteger(args.cols as string, "COLS", 1, 1000)!;
    const rows = parseInteger(args.rows as string, "ROWS", 1, 1000)!;
    const files = resolveSession(args.session as string);
    const channel = await connectRunning(files);
    await requestOk(files, channel, { op: "resize", cols, rows });
    channel.end();
  },
});
