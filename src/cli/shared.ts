// Argument definitions several commands share, and their conversion to options.
import type { ArgsDef } from "citty";
import { checkReader } from "../shared/refs.ts";
import type { PollOptions } from "../client/requests.ts";
import { parseInteger, parseMs, parseRegex, type ParsedArgs } from "./args.ts";

export const DEFAULT_YIELD_MS = 10_000;
export const DEFAULT_IDLE_MS = 150;

export const outputArgs = {
  json: { type: "boolean", description: "Print one JSON object on stdout" },
  plain: { type: "boolean", description: "Strip ANSI/OSC escape sequences and turn CRLF into LF" },
  help: { type: "boolean", alias: "h", description: "Show this help" },
} as const satisfies ArgsDef;

export const sessionArg = {
  session: { type: "positional", description: "Session id or name", required: true },
} as const satisfies ArgsDef;

export const readerArgs = {
  reader: { type: "string", description: "Use this reader's own unread cursor (default: default)" },
  limit: { type: "string", description: "Return at most this many bytes" },
} as const satisfies ArgsDef;

export const waitArgs = {
  yield: { type: "string", description: `Wait at most MS milliseconds (default ${DEFAULT_YIELD_MS})` },
  until: { type: "string", description: "Wait until new output matches this regex (exit 124 if the yield ends first)" },
  idle: {
    type: "string",
    description: `Return once output has been quiet this long (default ${DEFAULT_IDLE_MS}; 0 returns at the first output)`,
  },
} as const satisfies ArgsDef;

export function readerName(args: ParsedArgs): string {
  return checkReader((args.reader as string | undefined) ?? "default");
}

export function limitOption(args: ParsedArgs): number | undefined {
  return parseInteger(args.limit as string | undefined, "--limit", 1, Number.MAX_SAFE_INTEGER);
}

// --until alone waits for the match only; without it the quiet period applies.
export function pollOptions(args: ParsedArgs, since?: number): PollOptions {
  const until = args.until === undefined ? undefined : parseRegex(args.until as string, "--until");
  const idle = parseMs(args.idle as string | undefined, "--idle") ?? (until ? 0 : DEFAULT_IDLE_MS);
  return {
    reader: readerName(args),
    limit: limitOption(args),
    yield_ms: parseMs(args.yield as string | undefined, "--yield") ?? DEFAULT_YIELD_MS,
    idle_ms: idle,
    until,
    since,
  };
}
