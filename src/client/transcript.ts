// The transcript as lines: escape sequences stripped, CRLF normalised, and
// carriage-return overwrites resolved the way a terminal shows them
// ("abcdef\rXY" reads "XYcdef"). Lines are numbered from the session's first
// line (zero-based); those dropped by retention keep their numbers.
import { PlainFilter } from "../text/plain.ts";
import { countNewlines, type SessionFiles } from "../shared/session-files.ts";
import { withRetainedOutput } from "./offline.ts";

// A line as displayed: CR returns to column 0, BS steps back, text overwrites.
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

// Where the retained lines sit in the session's numbering.
export interface TranscriptExtent {
  // Number of the first retained (whole) line.
  firstLine: number;
  // One past the last retained line.
  endLine: number;
  // Lines in the whole session, dropped ones included.
  lineCount: number;
}

const SCAN_CHUNK = 1 << 20;

// Streams the retained output a chunk at a time: memory stays bounded by the
// longest line, not by the buffer. `visit` sees each line in range, in order.
export function scanTranscript(
  files: SessionFiles,
  range: (extent: TranscriptExtent) => { from: number; to: number },
  visit: (line: number, text: string) => void,
): TranscriptExtent {
  if (!files.readMeta()) return { firstLine: 0, endLine: 0, lineCount: 0 };
  const { end, lines: newlines } = files.readEndAndLines();
  return withRetainedOutput(files, (ring) => {
    let start = ring.retainedStart(end);
    // Pass 1: newlines in the retained window, and where its first whole line starts.
    let retainedNewlines = 0;
    let firstBreak = -1;
    for (const { at, bytes } of ring.chunks(start, end, SCAN_CHUNK)) {
      if (firstBreak === -1 && bytes.includes(10)) firstBreak = at + bytes.indexOf(10);
      retainedNewlines += countNewlines(bytes);
    }
    const lastByte = end > start ? ring.read(end - 1, end)[0] : 10;
    const unterminated = lastByte !== 10 ? 1 : 0;
    let firstLine = newlines - retainedNewlines;
    // Retention cut into the first retained line: leave that fragment out.
    if (start > 0) {
      if (firstBreak === -1) start = end;
      else {
        start = firstBreak + 1;
        firstLine += 1;
      }
    }
    const extent = { firstLine, endLine: newlines + unterminated, lineCount: newlines + unterminated };
    if (start >= end) extent.endLine = firstLine;
    const { from, to } = range(extent);
    // Pass 2: decode, strip escapes, split and resolve only what is asked for.
    const plain = new PlainFilter();
    const decoder = new TextDecoder("utf-8");
    let line = firstLine;
    let partial = "";
    const emit = (text: string) => {
      if (line >= from && line < to) visit(line, resolveOverwrites(text));
      line++;
    };
    for (const { bytes } of ring.chunks(start, end, SCAN_CHUNK)) {
      if (line >= to) break;
      const text = partial + decoder.decode(plain.push(bytes), { stream: true });
      const parts = text.split("\n");
      partial = parts.pop()!;
      for (const part of parts) emit(part);
    }
    const rest = partial + decoder.decode(plain.flush());
    if (rest !== "" && line < to) emit(rest);
    return extent;
  });
}
