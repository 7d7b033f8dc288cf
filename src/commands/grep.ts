// bgterm grep: matching transcript lines across sessions.
import { noLineMatched } from "../errors.ts";
import { command } from "../cli/command.ts";
import { grepOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "grep",
  summary: "Find lines across sessions: ID:LINE:text (exit 1 when nothing matches)",
  args: [
    { name: "pattern", help: "Text to find (a regular expression with --regex)" },
    { name: "sessions", kind: "session", many: true, optional: true, help: "Session ids or names (default: all)" },
  ],
  options: {
    regex: { kind: "boolean", help: "PATTERN is a JavaScript regular expression" },
    "ignore-case": { kind: "boolean", short: "i", help: "Match case-insensitively" },
  },
  output: grepOutput,
  async run(args) {
    const matches = await api.grep({
      pattern: args.pattern as string,
      sessions: args.sessions as string[],
      regex: args.regex === true,
      ignore_case: args["ignore-case"] === true,
    });
    if (outputMode.json) await printJson(matches);
    else for (const m of matches) await printLine(`${m.id}:${m.line}:${m.text}`);
    if (matches.length === 0) throw noLineMatched();
  },
});
