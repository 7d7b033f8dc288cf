// The output budget of an MCP result: an agent's context is small, so a long
// output keeps its head and its tail (where errors usually are) and says what
// was left out and the offsets to fetch it. Captures stream through a bounded
// buffer, and cuts never fall inside a UTF-8 character or an escape sequence.
import { incompleteUtf8Suffix } from "../text/utf8.ts";

export const BYTES_PER_TOKEN = 4;
export const DEFAULT_OUTPUT_TOKENS = 8_000;
export const MAX_OUTPUT_TOKENS = 20_000;
// The head's share of the budget; the tail gets the rest.
const HEAD_SHARE = 0.4;
// How far back from a cut an escape sequence may have started.
const LOOKBACK = 512;

export interface Omitted {
  bytes: number;
  lines: number;
  // Absolute stream offsets of the part left out: read them with from_offset.
  from_offset: number;
  to_offset: number;
}

export interface Budgeted {
  head: Buffer;
  tail: Buffer;
  // Absolute offset of head's first byte.
  offset: number;
  omitted: Omitted | null;
}

function countNewlines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

// Where the escape sequence starting at `at` (an ESC) ends (exclusive), or
// Infinity if it does not end within these bytes.
export function escapeEnd(bytes: Uint8Array, at: number): number {
  const kind = bytes[at + 1];
  if (kind === undefined) return Number.POSITIVE_INFINITY;
  if (kind === 0x5b) {
    // CSI: parameters and intermediates, then a final byte 0x40-0x7e.
    for (let i = at + 2; i < bytes.length; i++) if (bytes[i]! >= 0x40 && bytes[i]! <= 0x7e) return i + 1;
    return Number.POSITIVE_INFINITY;
  }
  if (kind === 0x5d || kind === 0x50 || kind === 0x5f || kind === 0x5e || kind === 0x58) {
    // OSC, DCS, APC, PM, SOS: up to BEL or ST (ESC \).
    for (let i = at + 2; i < bytes.length; i++) {
      if (bytes[i] === 0x07) return i + 1;
      if (bytes[i] === 0x1b && bytes[i + 1] === 0x5c) return i + 2;
    }
    return Number.POSITIVE_INFINITY;
  }
  // ESC with intermediates (0x20-0x2f), then one final byte.
  let i = at + 1;
  while (i < bytes.length && bytes[i]! >= 0x20 && bytes[i]! <= 0x2f) i++;
  return i < bytes.length ? i + 1 : Number.POSITIVE_INFINITY;
}

// The escape sequence (start, end) that a cut at `cut` would fall inside, if any.
function escapeAround(bytes: Uint8Array, cut: number): { start: number; end: number } | undefined {
  for (let i = cut - 1; i >= Math.max(0, cut - LOOKBACK); i--) {
    if (bytes[i] !== 0x1b) continue;
    const end = escapeEnd(bytes, i);
    return end > cut ? { start: i, end } : undefined;
  }
  return undefined;
}

const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

// A safe end for a head: not inside a character or a sequence; at a line end
// when one is in the last quarter.
export function safeHeadEnd(bytes: Uint8Array, cut: number): number {
  let at = Math.min(cut, bytes.length);
  // A character cut by the end of the bytes, or one straddling the cut.
  if (at === bytes.length) at -= incompleteUtf8Suffix(bytes.subarray(0, at));
  while (at > 0 && isContinuation(bytes[at])) at--;
  const sequence = escapeAround(bytes, at);
  if (sequence) at = sequence.start;
  const newline = bytes.lastIndexOf(10, at - 1);
  if (newline !== -1 && newline + 1 >= at - Math.floor(at / 4)) at = newline + 1;
  return at;
}

// A safe start for a tail: the mirror of safeHeadEnd.
export function safeTailStart(bytes: Uint8Array, cut: number): number {
  let at = Math.max(0, cut);
  const sequence = escapeAround(bytes, at);
  if (sequence) at = Math.min(bytes.length, sequence.end);
  while (at < bytes.length && isContinuation(bytes[at])) at++;
  const newline = bytes.indexOf(10, at > 0 ? at - 1 : 0);
  if (newline !== -1 && newline + 1 <= at + Math.floor((bytes.length - at) / 4)) at = newline + 1;
  return at;
}

// Collects delivered output within a byte budget: the first headMax bytes, and
// a rolling window of the last ones (with lookback for safe cuts).
export class BudgetCapture {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;
  private newlines = 0;
  private first: number | undefined;
  private readonly headMax: number;
  private readonly tailMax: number;

  constructor(readonly budgetBytes: number) {
    this.headMax = Math.floor(budgetBytes * HEAD_SHARE);
    this.tailMax = budgetBytes - this.headMax;
  }

  // Keeps `chunk` itself (its callers hand over copies they do not reuse).
  write(chunk: Buffer, offset: number): void {
    this.first ??= offset;
    this.total += chunk.length;
    this.newlines += countNewlines(chunk);
    let rest = chunk;
    if (this.headBytes < this.headMax) {
      const take = rest.subarray(0, this.headMax - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      rest = rest.subarray(take.length);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    const keep = this.tailMax + LOOKBACK;
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= keep) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  finish(): Budgeted {
    return budgetBytes(Buffer.concat(this.head), Buffer.concat(this.tail), {
      offset: this.first ?? 0,
      total: this.total,
      newlines: this.newlines,
      headMax: this.headMax,
      tailMax: this.tailMax,
    });
  }
}

// Cuts one buffer already in memory (exec's output) to the budget.
export function budgetBuffer(bytes: Buffer, offset: number, budget: number): Budgeted {
  const capture = new BudgetCapture(budget);
  capture.write(bytes, offset);
  return capture.finish();
}

function budgetBytes(
  head: Buffer,
  tail: Buffer,
  at: { offset: number; total: number; newlines: number; headMax: number; tailMax: number },
): Budgeted {
  if (at.total <= at.headMax + at.tailMax) {
    return { head: Buffer.concat([head, tail]), tail: Buffer.alloc(0), offset: at.offset, omitted: null };
  }
  const headEnd = safeHeadEnd(head, head.length);
  const tailStart = safeTailStart(tail, Math.max(0, tail.length - at.tailMax));
  const keptHead = head.subarray(0, headEnd);
  const keptTail = tail.subarray(tailStart);
  const from = at.offset + keptHead.length;
  const to = at.offset + at.total - keptTail.length;
  return {
    head: keptHead,
    tail: keptTail,
    offset: at.offset,
    omitted: {
      bytes: to - from,
      lines: at.newlines - countNewlines(keptHead) - countNewlines(keptTail),
      from_offset: from,
      to_offset: to,
    },
  };
}

// The line put where output was left out.
export function omissionNote(omitted: Omitted): string {
  return `[... ${omitted.bytes} bytes, ${omitted.lines} lines omitted: offsets ${omitted.from_offset}-${omitted.to_offset}; terminal_read with from_offset ${omitted.from_offset} fetches them ...]`;
}

// Head, the omission note on its own line, tail.
export function joinOmitted(head: string, omitted: Omitted, tail: string): string {
  return `${head}${head.endsWith("\n") || head === "" ? "" : "\n"}${omissionNote(omitted)}\n${tail}`;
}
