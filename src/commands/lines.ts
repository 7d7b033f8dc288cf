// bgterm lines: the transcript as lines, numbered from the session's first line.
import { usageError } from "../errors.ts";
import { parseInteger } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { outputArgs, sessionArg } from "../cli/shared.ts";
import { outputMode, printJson, printLine } from "../output.ts";
import { resolveSession } from "../session/registry.ts";
import { readTranscript } from "../session/transcript.ts";

export default command({
  meta: { name: "lines", description: "Print the transcript as lines (escapes stripped, CR overwrites resolved)" },
  args: {
    ...sessionArg,
    range: { type: "positional", required: false, description: "START[:END], zero-based absolute line numbers, END exclusive" },
    tail: { type: "string", description: "Only the last N lines" },
    number: { type: "boolean", alias: "n", description: "Prefix each line with its number and a tab" },
    ...outputArgs,
  },
  async run(args) {
    const files = resolveSession(args.session as string);
    const transcript = readTranscript(files);
    const last = transcript.firstLine + transcript.lines.length;
    let from = transcript.firstLine;
    let to = last;
    if (args.range !== undefined) {
      const match = /^(\d{1,15})(?::(\d{0,15}))?$/.exec(args.range as string);
      if (!match) throw usageError(`range takes START or START:END (line numbers), not '${args.range}'`);
      from = Number(match[1]);
      to = match[2] === undefined ? last : match[2] === "" ? last : Number(match[2]);
      if (to < from) throw usageError(`range end ${to} is before its start ${from}`);
    }
    const tail = parseInteger(args.tail as string | undefined, "--tail", 0, Number.MAX_SAFE_INTEGER);
    if (tail !== undefined) from = Math.max(from, to - tail);
    const start = Math.max(from, transcript.firstLine);
    const end = Math.max(start, Math.min(to, last));
    const lines = transcript.lines.slice(start - transcript.firstLine, end - transcript.firstLine);
    if (outputMode.json) {
      return printJson({
        start_line: start,
        end_line: end,
        line_count: transcript.lineCount,
        dropped_lines: transcript.firstLine,
        lines,
      });
    }
    for (const [i, line] of lines.entries()) await printLine(args.number ? `${start + i}\t${line}` : line);
  },
});
