// bgterm grep: matching transcript lines across sessions.
import { noLineMatched, usageError } from "../errors.ts";
import { command } from "../cli/command.ts";
import { grepOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import { currentName, listSessions, resolveSession } from "../client/registry.ts";
import { scanTranscript } from "../client/transcript.ts";

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
    const pattern = args.pattern as string;
    const flags = args["ignore-case"] ? "i" : "";
    let regex: RegExp;
    try {
      regex = new RegExp(args.regex ? pattern : pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), flags);
    } catch (error) {
      throw usageError(`invalid regular expression: ${(error as Error).message}`);
    }
    const refs = args.sessions as string[];
    const targets = refs.length > 0 ? refs.map(resolveSession) : listSessions();
    const matches: { id: number; name: string | null; line: number; text: string }[] = [];
    for (const files of targets) {
      const name = currentName(files.stateDir, files.id, files.readMeta()?.name ?? null);
      scanTranscript(
        files,
        ({ firstLine, endLine }) => ({ from: firstLine, to: endLine }),
        (line, text) => {
          if (regex.test(text)) matches.push({ id: files.id, name, line, text });
        },
      );
    }
    if (outputMode.json) await printJson(matches);
    else for (const m of matches) await printLine(`${m.id}:${m.line}:${m.text}`);
    if (matches.length === 0) throw noLineMatched();
  },
});
