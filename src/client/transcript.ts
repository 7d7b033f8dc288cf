// The transcript as lines, as a terminal of the session's width would have
// put them into its scrollback: one logical line (up to a newline) per entry,
// soft-wrapped rows joined, drawn by the same emulator as the screen (see
// shared/line-model.ts). Lines are numbered from the session's first line
// (zero-based); those dropped by retention keep their numbers. A range near
// the end is found by reading backwards from the end, so `--tail` costs the
// same however long the session.
import { LineModel } from "../shared/line-model.ts";
import { OutputRing } from "../shared/ring.ts";
import type { SessionFiles } from "../shared/session-files.ts";

// Where the retained lines sit in the session's numbering.
export interface TranscriptExtent {
  // Number of the first retained (whole) line.
  firstLine: number;
  // One past the last retained line.
  endLine: number;
  // Lines in the whole session, dropped ones included.
  lineCount: number;
  // The range actually visited (the one asked for, within the retained lines).
  from: number;
  to: number;
}

// A line with CR and BS resolved by code point, for callers without the
// emulator (the MCP server's quick text view): CR returns to column 0, BS
// steps back, text overwrites.
export function resolveOverwrites(raw: string): string {
  if (!raw.includes("\r") && !raw.includes("\b")) return raw;
  const cells: string[] = [];
  let column = 0;
  for (const char of raw) {
    if (char === "\r") column = 0;
    else if (char === "\b") column = Math.max(0, column - 1);
    else cells[column++] = char;
  }
  return Array.from(cells, (cell) => cell ?? " ").join("");
}

const SCAN_CHUNK = 1 << 20;
const BACK_CHUNK = 64 * 1024;
// Lines handed to the emulator at a time (memory stays bounded).
const RENDER_BATCH = 4096;

// The offset just after the k-th newline counted back from `end` (k >= 1), or
// the number of newlines in [start, end) when there are fewer than k.
function findNewlineBack(ring: OutputRing, start: number, end: number, k: number): { at?: number; seen: number } {
  let seen = 0;
  for (let to = end; to > start; ) {
    const from = Math.max(start, to - BACK_CHUNK);
    const bytes = ring.read(from, to);
    for (let i = bytes.lastIndexOf(10); i !== -1; i = i > 0 ? bytes.lastIndexOf(10, i - 1) : -1) {
      if (++seen === k) return { at: from + i + 1, seen };
    }
    to = from;
  }
  return { seen };
}

// Newlines in [from, to), and the offset just after the first one (-1 if none).
function countNewlines(ring: OutputRing, from: number, to: number): { count: number; firstBreak: number } {
  let count = 0;
  let firstBreak = -1;
  for (let at = from; at < to; at += SCAN_CHUNK) {
    const bytes = ring.read(at, Math.min(to, at + SCAN_CHUNK));
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) {
      if (firstBreak === -1) firstBreak = at + i + 1;
      count++;
    }
  }
  return { count, firstBreak };
}

// Streams lines [from, to) of the retained output (clamped to what is
// retained) to `visit`, a batch at a time. `range` gets the session's line
// count. With `exactExtent`, firstLine is computed even when the range did not
// reach back to it (one pass over the retained bytes).
export async function scanTranscript(
  files: SessionFiles,
  range: (extent: { endLine: number; lineCount: number }) => { from: number; to: number },
  visit: (line: number, text: string) => void | Promise<void>,
  exactExtent = false,
): Promise<TranscriptExtent> {
  const meta = files.readMeta();
  if (!meta) return { firstLine: 0, endLine: 0, lineCount: 0, from: 0, to: 0 };
  const { end, lines: newlines } = files.readEndAndLines();
  const ring = OutputRing.open(files.output, meta.max_buffer, false);
  try {
    const retained = ring.retainedStart(end);
    const unterminated = end > retained && ring.read(end - 1, end)[0] !== 10 ? 1 : 0;
    const lineCount = newlines + unterminated;
    let { from, to } = range({ endLine: lineCount, lineCount });
    to = Math.min(to, lineCount);
    // Where line `from` starts: after newline number `from`, found backwards.
    let start: number;
    let firstLine: number | undefined = retained === 0 ? 0 : undefined;
    const found = from > 0 ? findNewlineBack(ring, retained, end, newlines - from + 1) : { seen: 0 };
    if (from > 0 && found.at !== undefined) start = found.at;
    else {
      // Line `from` is not (wholly) retained: start at the first whole line.
      if (retained === 0) start = 0;
      else {
        const scan = countNewlines(ring, retained, end);
        start = scan.firstBreak === -1 ? end : scan.firstBreak;
        firstLine = newlines - scan.count + (scan.firstBreak === -1 ? 0 : 1);
      }
      from = Math.max(from, firstLine ?? 0);
    }
    if (firstLine === undefined && exactExtent) {
      const scan = countNewlines(ring, retained, end);
      firstLine = newlines - scan.count + (scan.firstBreak === -1 ? 0 : 1);
    }
    firstLine ??= 0;
    const endLine = start >= end ? Math.max(from, firstLine) : lineCount;
    to = Math.max(from, Math.min(to, endLine));
    if (to > from) await renderRange(ring, meta.cols, start, end, from, to, visit);
    return { firstLine, endLine, lineCount, from, to };
  } finally {
    ring.close();
  }
}

// Decodes lines from byte offset `start` (the start of line `from`), draws
// them and visits lines [from, to).
async function renderRange(
  ring: OutputRing,
  cols: number,
  start: number,
  end: number,
  from: number,
  to: number,
  visit: (line: number, text: string) => void | Promise<void>,
): Promise<void> {
  const model = await LineModel.create(cols);
  const decoder = new TextDecoder("utf-8");
  let line = from;
  let queued = 0;
  let partial = "";
  const drain = async () => {
    for (const text of model.flush()) await visit(line++, text);
    queued = 0;
  };
  try {
    for (let at = start; at < end && line + queued < to; at += SCAN_CHUNK) {
      const text = partial + decoder.decode(ring.read(at, Math.min(end, at + SCAN_CHUNK)), { stream: true });
      const parts = text.split("\n");
      partial = parts.pop()!;
      for (const part of parts) {
        if (line + queued >= to) break;
        model.add(part);
        if (++queued >= RENDER_BATCH) await drain();
      }
    }
    const rest = partial + decoder.decode();
    if (rest !== "" && line + queued < to) model.add(rest);
    await drain();
  } finally {
    model.dispose();
  }
}
