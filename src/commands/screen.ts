// bgterm screen: the session's visible screen as a terminal shows it.
import { BgtermError, EXIT, sessionNeverStarted } from "../errors.ts";
import { parseInteger } from "../cli/args.ts";
import { command, sessionArg } from "../cli/command.ts";
import { screenOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import { withSession } from "../client/requests.ts";
import { resolveSession } from "../client/registry.ts";
import { OutputRing } from "../shared/ring.ts";
import { ScreenModel, type ScreenOptions, type ScreenSnapshot } from "../shared/screen-model.ts";

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
    const files = resolveSession(args.session as string);
    const options: ScreenOptions = {
      scrollback: parseInteger(args.scrollback as string | undefined, "--scrollback", 0, 100_000) ?? 0,
      ansi: args.ansi === true,
    };
    const snapshot = await withSession<ScreenSnapshot>(
      files,
      async (channel) => {
        await channel.send({ op: "screen", ...options });
        const frame = await channel.next();
        if (frame?.header.op === "error") throw new BgtermError(frame.header.code, frame.header.message);
        if (frame?.header.op !== "screen") throw new BgtermError(EXIT.internal, "no screen from the supervisor");
        return frame.header.screen;
      },
      async () => {
        // An ended session: replay its retained output into a fresh emulator.
        const meta = files.readMeta();
        if (!meta) throw sessionNeverStarted(files.id);
        const ring = OutputRing.open(files.output, meta.max_buffer, false);
        try {
          const model = new ScreenModel(ring, meta.cols, meta.rows);
          const end = files.readEnd();
          await model.catchUp(() => end);
          return model.snapshot(options);
        } finally {
          ring.close();
        }
      },
    );
    if (outputMode.json) return printJson(snapshot);
    await printLine(snapshot.lines.join("\n"));
    if (args.cursor) await printLine(`[cursor row ${snapshot.cursor_y} col ${snapshot.cursor_x}]`);
  },
});
