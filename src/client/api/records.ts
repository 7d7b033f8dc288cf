// Records and transcripts: info, list, lines and grep, read from the files.
import { sessionNeverStarted, usageError } from "../../errors.ts";
import { buildRecord, listRecords, type SessionRecord } from "../record.ts";
import { matchLabels, parseLabelsObject } from "../../shared/labels.ts";
import { currentName, listSessions } from "../registry.ts";
import { scanTranscript } from "../transcript.ts";
import { checkInteger, resolve, type SessionRef } from "./common.ts";

export function info(session: SessionRef): SessionRecord {
  return buildRecord(resolve(session));
}

export interface ListOptions {
  // Only sessions carrying every one of these labels.
  labels?: Record<string, string>;
  // Read CPU and memory from /proc (default true; false leaves them null).
  stats?: boolean;
}

// Every session's record, oldest first; an unreadable one goes to onError.
export function list(
  onError: (id: number, error: Error) => void = () => {},
  options: ListOptions = {},
): SessionRecord[] {
  const wanted = parseLabelsObject(options.labels ?? {}, "labels");
  return listRecords(onError, options.stats !== false).filter((record) => matchLabels(record.labels, wanted));
}

export interface LinesOptions {
  // Zero-based absolute line numbers, `to` exclusive.
  from?: number;
  to?: number;
  // Only the last N lines (of the range).
  tail?: number;
}

export interface LinesResult {
  start_line: number;
  end_line: number;
  line_count: number;
  dropped_lines: number;
  lines: string[];
}

// The transcript as lines, as a terminal of the session's width shows them
// (see client/transcript.ts); the range's start is found from the end.
export async function lines(session: SessionRef, options: LinesOptions = {}): Promise<LinesResult> {
  const files = resolve(session);
  if (!files.readMeta()) throw sessionNeverStarted(files.id);
  const askedFrom = checkInteger(options.from, "from", 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const askedTo = checkInteger(options.to, "to", 0, Number.MAX_SAFE_INTEGER);
  if (askedTo !== undefined && askedTo < askedFrom) {
    throw usageError(`range end ${askedTo} is before its start ${askedFrom}`);
  }
  const tail = checkInteger(options.tail, "tail", 0, Number.MAX_SAFE_INTEGER);
  const found: string[] = [];
  const extent = await scanTranscript(
    files,
    ({ endLine }) => {
      const to = Math.min(askedTo ?? endLine, endLine);
      return { from: Math.max(askedFrom, tail === undefined ? 0 : to - tail), to };
    },
    (_line, text) => void found.push(text),
    true,
  );
  return {
    start_line: extent.from,
    end_line: extent.to,
    line_count: extent.lineCount,
    dropped_lines: extent.firstLine,
    lines: found,
  };
}

export interface GrepOptions {
  pattern: string;
  // Session ids or names (default: all).
  sessions?: SessionRef[];
  // The pattern is a JavaScript regular expression (default: plain text).
  regex?: boolean;
  ignore_case?: boolean;
}

export interface GrepMatch {
  id: number;
  name: string | null;
  line: number;
  text: string;
}

// Matching transcript lines (as `lines` shows them) across sessions (an empty array when none match).
export async function grep(options: GrepOptions): Promise<GrepMatch[]> {
  let regex: RegExp;
  try {
    regex = new RegExp(
      options.regex ? options.pattern : options.pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      options.ignore_case ? "i" : "",
    );
  } catch (error) {
    throw usageError(`invalid regular expression: ${(error as Error).message}`);
  }
  const targets = options.sessions?.length ? options.sessions.map(resolve) : listSessions();
  const matches: GrepMatch[] = [];
  for (const files of targets) {
    const name = currentName(files.stateDir, files.id, files.readMeta()?.name ?? null);
    await scanTranscript(
      files,
      ({ endLine }) => ({ from: 0, to: endLine }),
      (line, text) => {
        if (regex.test(text)) matches.push({ id: files.id, name, line, text });
      },
    );
  }
  return matches;
}
