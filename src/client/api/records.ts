// Records and transcripts: info, list, lines, grep and the shell's command
// history, read from the files.
import { sessionNeverStarted, usageError } from "../../errors.ts";
import { type CommandRecord, readCommandRecords } from "../../shared/command-records.ts";
import type { RunRecord } from "../../shared/lifecycle.ts";
import { OutputRing } from "../../shared/ring.ts";
import { PlainFilter } from "../../text/plain.ts";
import { buildRecord, listRecords, type SessionRecord } from "../record.ts";
import { matchLabels, parseLabelsObject } from "../../shared/labels.ts";
import { currentName, listSessions } from "../registry.ts";
import { resolveOverwrites, scanTranscript } from "../transcript.ts";
import { checkInteger, resolve, type SessionRef } from "./common.ts";
import { acksSettled } from "./connections.ts";

// Records are read from the files: first, reads on kept connections get their
// acknowledgements confirmed, so the cursors they moved show.
export async function info(session: SessionRef): Promise<SessionRecord> {
  const files = resolve(session);
  await acksSettled(files.id);
  return buildRecord(files);
}

export interface ListOptions {
  // Only sessions carrying every one of these labels.
  labels?: Record<string, string>;
  // Read CPU and memory from /proc (default true; false leaves them null).
  stats?: boolean;
}

// Every session's record, oldest first; an unreadable one goes to onError.
export async function list(
  onError: (id: number, error: Error) => void = () => {},
  options: ListOptions = {},
): Promise<SessionRecord[]> {
  const wanted = parseLabelsObject(options.labels ?? {}, "labels");
  await acksSettled();
  return listRecords(onError, options.stats !== false).filter((record) => matchLabels(record.labels, wanted));
}

// The commands an integrated shell ran (the last 1,000), oldest first.
export function history(session: SessionRef, options: { tail?: number } = {}): CommandRecord[] {
  const files = resolve(session);
  if (!files.readMeta()) throw sessionNeverStarted(files.id);
  const tail = checkInteger(options.tail, "tail", 0, Number.MAX_SAFE_INTEGER);
  const all = readCommandRecords(files.commands);
  return tail === undefined ? all : all.slice(Math.max(0, all.length - tail));
}

// The program's runs (several with --restart), oldest first.
export async function runs(session: SessionRef, options: { tail?: number } = {}): Promise<RunRecord[]> {
  const all = (await info(session)).runs;
  const tail = checkInteger(options.tail, "tail", 0, Number.MAX_SAFE_INTEGER);
  return tail === undefined ? all : all.slice(Math.max(0, all.length - tail));
}

export interface LinesOptions {
  // Zero-based absolute line numbers, `to` exclusive.
  from?: number;
  to?: number;
  // Only the last N lines (of the range).
  tail?: number;
  // Instead of a range: the output of the shell's command N (see history),
  // its lines numbered from 0.
  command?: number;
}

export interface LinesResult {
  start_line: number;
  end_line: number;
  line_count: number;
  dropped_lines: number;
  lines: string[];
}

// One command's output as lines, from its record's offsets.
function commandLines(files: ReturnType<typeof resolve>, n: number): string[] {
  const record = readCommandRecords(files.commands).find((r) => r.n === n);
  if (!record) throw usageError(`session ${files.id} has no record of command ${n} (see bgterm history)`);
  const meta = files.readMeta()!;
  const end = files.readEnd();
  const ring = OutputRing.open(files.output, meta.max_buffer, false);
  let text: string;
  try {
    const from = Math.max(record.start_offset, ring.retainedStart(end));
    const filter = new PlainFilter();
    const bytes = record.end_offset > from ? ring.read(from, record.end_offset) : Buffer.alloc(0);
    text = Buffer.concat([filter.push(bytes), filter.flush()]).toString("utf8");
  } finally {
    ring.close();
  }
  const found = text.split("\n").map(resolveOverwrites);
  if (found.at(-1) === "") found.pop();
  return found;
}

// The transcript as lines, as a terminal of the session's width shows them
// (see client/transcript.ts); the range's start is found from the end.
export async function lines(session: SessionRef, options: LinesOptions = {}): Promise<LinesResult> {
  const files = resolve(session);
  if (!files.readMeta()) throw sessionNeverStarted(files.id);
  const command = checkInteger(options.command, "command", 1, Number.MAX_SAFE_INTEGER);
  if (command !== undefined) {
    if (options.from !== undefined || options.to !== undefined || options.tail !== undefined) {
      throw usageError("--command takes no range or --tail");
    }
    const found = commandLines(files, command);
    return { start_line: 0, end_line: found.length, line_count: found.length, dropped_lines: 0, lines: found };
  }
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
