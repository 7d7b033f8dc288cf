// Argument definitions several commands share, and their conversion to options.
import { checkReader } from "../shared/refs.ts";
import { DEFAULT_IDLE_MS, DEFAULT_MAX_STREAM_MS, DEFAULT_YIELD_MS } from "../client/api/common.ts";
import type { PollOptions } from "../client/api/reading.ts";
import { parseInteger, parseMs, parseRegex, type ParsedArgs } from "./args.ts";
import type { OptionSpec } from "./command.ts";

export { sessionArg } from "./command.ts";

export const readerOptions: Record<string, OptionSpec> = {
  reader: { help: "Use this reader's own unread cursor (default: default)" },
  limit: { kind: "integer", min: 1, help: "Return at most this many bytes" },
};

export const waitOptions: Record<string, OptionSpec> = {
  yield: { kind: "duration", default: DEFAULT_YIELD_MS, help: "Wait at most this long" },
  until: {
    kind: "regex",
    help: "Wait until new output matches this regex, as text without escapes (exit 124 if the yield ends first)",
  },
  "match-raw": { kind: "boolean", help: "Match --until against the raw bytes, escape sequences included" },
  idle: {
    kind: "duration",
    help: `Return once output has been quiet this long and the program has settled (default ${DEFAULT_IDLE_MS}, 0 with --until; 0 returns at the first output)`,
  },
  "max-stream": {
    kind: "duration",
    help: `With the settled wait: return after this much uninterrupted output (default ${DEFAULT_MAX_STREAM_MS})`,
  },
};

export function readerName(args: ParsedArgs): string {
  return checkReader((args.reader as string | undefined) ?? "default");
}

export function limitOption(args: ParsedArgs): number | undefined {
  return parseInteger(args.limit as string | undefined, "--limit", 1, Number.MAX_SAFE_INTEGER);
}

// --until alone waits for the match only; without it the quiet period applies.
export function pollOptions(args: ParsedArgs): PollOptions {
  const until = args.until === undefined ? undefined : parseRegex(args.until as string, "--until").source;
  const idle = parseMs(args.idle as string | undefined, "--idle") ?? (until ? 0 : DEFAULT_IDLE_MS);
  return {
    reader: readerName(args),
    limit: limitOption(args),
    yield_ms: parseMs(args.yield as string | undefined, "--yield") ?? DEFAULT_YIELD_MS,
    idle_ms: idle,
    until,
    match_raw: args["match-raw"] === true,
    max_stream_ms: parseMs(args["max-stream"] as string | undefined, "--max-stream"),
  };
}
