// bgterm lines: the transcript as lines, numbered from the session's first line.
import { usageError } from "../errors.ts";
import { parseInteger } from "../cli/args.ts";
import { command, sessionArg } from "../cli/command.ts";
import { linesOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import * as api from "../client/api.ts";

// START, START:END or START: (zero-based, END exclusive).
function parseRange(text: string): { from: number; to?: number } {
  const match = /^(\d{1,15})(?::(\d{0,15}))?$/.exec(text);
  if (!match) throw usageError(`range takes START or START:END (line numbers), not '${text}'`);
  const from = Number(match[1]);
  const to = match[2] ? Number(match[2]) : undefined;
  if (to !== undefined && to < from) throw usageError(`range end ${to} is before its start ${from}`);
  return { from, to };
}

export default command({
  name: "lines",
  summary: "Print the transcript as lines, as a terminal of the session's width shows them",
  args: [
    sessionArg,
    { name: "range", optional: true, help: "START[:END], zero-based absolute line numbers, END exclusive" },
  ],
  options: {
    tail: { kind: "integer", help: "Only the last N lines" },
    number: { kind: "boolean", short: "n", help: "Prefix each line with its number and a tab" },
    command: {
      kind: "integer",
      min: 1,
      help: "Only the output of command N of the session's shell (see bgterm history), numbered from 0",
    },
  },
  output: linesOutput,
  async run(args) {
    const asked = args.range === undefined ? { from: 0 } : parseRange(args.range as string);
    const tail = parseInteger(args.tail as string | undefined, "--tail", 0, Number.MAX_SAFE_INTEGER);
    const command = parseInteger(args.command as string | undefined, "--command", 1, Number.MAX_SAFE_INTEGER);
    const result = await api.lines(
      args.session as string,
      command === undefined ? { ...asked, tail } : { command, ...(args.range === undefined ? {} : asked), tail },
    );
    if (outputMode.json) return printJson(result);
    const { lines, start_line: from } = result;
    for (const [i, line] of lines.entries()) await printLine(args.number ? `${from + i}\t${line}` : line);
  },
});
