// The transcript as lines: escape sequences stripped, CRLF normalised, and
// carriage-return overwrites resolved the way a terminal shows them
// ("abcdef\rXY" reads "XYcdef"). Lines are numbered from the session's first
// line (zero-based); those dropped by retention keep their numbers.
import { PlainFilter } from "../text/plain.ts";
import { OutputRing } from "./ring.ts";
import type { SessionFiles } from "./store.ts";

export interface Transcript {
  // Number of the first line in `lines`.
  firstLine: number;
  lines: string[];
  // Lines in the whole session, dropped ones included.
  lineCount: number;
}

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

export function readTranscript(files: SessionFiles): Transcript {
  const meta = files.readMeta();
  if (!meta) return { firstLine: 0, lines: [], lineCount: 0 };
  const { end, lines: newlines } = files.readEndAndLines();
  const ring = OutputRing.open(files.output, meta.max_buffer, false);
  let bytes: Buffer;
  const start = ring.retainedStart(end);
  try {
    bytes = ring.read(start, end);
  } finally {
    ring.close();
  }
  let retainedNewlines = 0;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) retainedNewlines++;
  let firstLine = newlines - retainedNewlines;
  // Retention cut into the first retained line: leave that fragment out.
  if (start > 0) {
    const cut = bytes.indexOf(10);
    bytes = cut === -1 ? Buffer.alloc(0) : bytes.subarray(cut + 1);
    firstLine += cut === -1 ? 0 : 1;
  }
  const plain = new PlainFilter();
  // CRLF becomes LF; a lone CR stays for the overwrite step.
  const text = Buffer.concat([plain.push(bytes), plain.flush()]).toString("utf8");
  const parts = text.split("\n");
  if (parts[parts.length - 1] === "") parts.pop(); // a final newline ends the last line
  const lines = parts.map(resolveOverwrites);
  const unterminated = text.length > 0 && !text.endsWith("\n") ? 1 : 0;
  return { firstLine, lines, lineCount: newlines + unterminated };
}
