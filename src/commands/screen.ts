// bgterm screen: the session's visible screen as a terminal shows it.
import { parseInteger } from "../cli/args.ts";
import { command, sessionArg } from "../cli/command.ts";
import { screenOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "screen",
  summary: "Print the session's current screen, rendered by a terminal emulator",
  args: [sessionArg],
  options: {
    scrollback: {
      kind: "integer",
      max: 100_000,
      help: "Also print up to N lines above the screen (normal screen only)",
    },
    cursor: { kind: "boolean", help: "End with a line giving the cursor position" },
    ansi: { kind: "boolean", help: "Keep colours and attributes as ANSI sequences" },
  },
  output: screenOutput,
  async run(args) {
    const snapshot = await api.screen(args.session as string, {
      scrollback: parseInteger(args.scrollback as string | undefined, "--scrollback", 0, 100_000) ?? 0,
      ansi: args.ansi === true,
    });
    if (outputMode.json) return printJson(snapshot);
    await printLine(snapshot.lines.join("\n"));
    if (args.cursor) await printLine(`[cursor row ${snapshot.cursor_y} col ${snapshot.cursor_x}]`);
  },
});
