// bgterm resize: change the terminal size; the program gets SIGWINCH.
import { parseInteger } from "../cli/args.ts";
import { command, sessionArg } from "../cli/command.ts";
import { resizeOutput } from "../cli/json-output.ts";
import { outputMode, printJson } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "resize",
  summary: "Set the terminal size (the program receives SIGWINCH)",
  args: [
    sessionArg,
    { name: "cols", kind: "integer", min: 1, max: 1000, help: "Columns" },
    { name: "rows", kind: "integer", min: 1, max: 1000, help: "Rows" },
  ],
  output: resizeOutput,
  async run(args) {
    const cols = parseInteger(args.cols as string, "COLS", 1, 1000)!;
    const rows = parseInteger(args.rows as string, "ROWS", 1, 1000)!;
    const result = await api.resize(args.session as string, { cols, rows });
    if (outputMode.json) await printJson(result);
  },
});
