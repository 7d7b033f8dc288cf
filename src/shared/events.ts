// The session's timing record, for `export`: a JSON-lines file of events, not
// a copy of the output. An output event says that the stream had reached
// absolute offset `o` at `t` ms after the start; an input event carries the
// bytes sent through bgterm (as latin1, so binary input survives JSON).
// Output marks are coalesced to at most one per MARK_MS, so a flood costs a
// few writes per second, not one per chunk.
import fs from "node:fs";
import { openPrivate, writeFileAtomic } from "./private-fs.ts";

const MARK_MS = 2;
// Input kept per input event; the rest is counted in `n` (omitted bytes).
export const INPUT_EVENT_BYTES = 4096;

// m: a marker in the session's history (a run started or ended; asciicast "m").
// n: bytes of an input not recorded (beyond INPUT_EVENT_BYTES).
export type RecordedEvent = { t: number; o: number } | { t: number; i: string; n?: number } | { t: number; m: string };

// The file's size bound for a session retaining maxBuffer bytes of output.
export function eventsBudget(maxBuffer: number): number {
  return Math.min(16 * 1024 * 1024, Math.max(256 * 1024, Math.floor(maxBuffer / 4)));
}

export class Recorder {
  private fd: number;
  private lastMarkAt = -Infinity;
  private pending?: Timer;
  private reached = 0;
  private written = 0;
  private size: number;

  // The file stays under `budget` bytes: past it, marks for output that
  // retention dropped go, then every other mark (coarser timing, same bytes).
  constructor(
    private readonly file: string,
    private readonly startedAt: number,
    private readonly budget = Number.POSITIVE_INFINITY,
    private readonly retainedStart: () => number = () => 0,
  ) {
    this.fd = openPrivate(file, "a");
    this.size = fs.fstatSync(this.fd).size;
  }

  private append(event: RecordedEvent): void {
    const line = `${JSON.stringify(event)}\n`;
    try {
      fs.writeSync(this.fd, line);
      this.size += Buffer.byteLength(line);
      if (this.size > this.budget) this.compact();
    } catch {
      // The record is best effort; a full disk is reported by the output path.
    }
  }

  // Rewrites the file within half the budget (atomically: a reader sees the
  // old or the new file, whole).
  private compact(): void {
    const start = this.retainedStart();
    let events = readEvents(this.file);
    // Marks of dropped output, and input sent before the first kept mark, go.
    const firstKept = events.findIndex((event) => "o" in event && event.o > start);
    events = firstKept === -1 ? [] : events.slice(firstKept);
    const encode = (list: RecordedEvent[]) => list.map((event) => `${JSON.stringify(event)}\n`).join("");
    let text = encode(events);
    while (Buffer.byteLength(text) > this.budget / 2 && events.length > 1) {
      // Every other output mark (the output between them merges into one event);
      // input events keep their place; the last mark always stays.
      let marks = 0;
      events = events.filter((event, i) => !("o" in event) || i === events.length - 1 || marks++ % 2 === 1);
      if (marks <= 1) events = events.slice(Math.ceil(events.length / 2));
      text = encode(events);
    }
    writeFileAtomic(this.file, text);
    fs.closeSync(this.fd);
    this.fd = openPrivate(this.file, "a");
    this.size = Buffer.byteLength(text);
  }

  private mark(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    if (this.reached === this.written) return;
    this.lastMarkAt = Date.now();
    this.written = this.reached;
    this.append({ t: this.lastMarkAt - this.startedAt, o: this.reached });
  }

  // The stream now ends at `end`.
  output(end: number): void {
    this.reached = end;
    if (Date.now() - this.lastMarkAt >= MARK_MS) this.mark();
    else this.pending ??= setTimeout(() => this.mark(), MARK_MS);
  }

  // A large paste is recorded by its first INPUT_EVENT_BYTES and a count.
  input(bytes: Uint8Array, continued = false): void {
    this.mark(); // output before the input keeps its place in time
    const kept = continued ? 0 : Math.min(bytes.length, INPUT_EVENT_BYTES);
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, kept).toString("latin1");
    const omitted = bytes.length - kept;
    this.append(
      omitted > 0
        ? { t: Date.now() - this.startedAt, i: text, n: omitted }
        : { t: Date.now() - this.startedAt, i: text },
    );
  }

  // The file was removed under us: copy the record into a new file there.
  relocate(file: string): void {
    // The descriptor is write-only; /proc reopens the removed file for reading.
    const old = fs.readFileSync(`/proc/self/fd/${this.fd}`);
    const fd = openPrivate(file, "a");
    fs.writeSync(fd, old);
    fs.closeSync(this.fd);
    this.fd = fd;
    this.size = old.length;
  }

  // A labelled point in time: where a run of the program started or ended.
  marker(label: string): void {
    this.mark(); // output before the marker keeps its place in time
    this.append({ t: Date.now() - this.startedAt, m: label });
  }

  close(): void {
    this.mark();
    fs.closeSync(this.fd);
  }
}

// Every event recorded for a session, in order.
export function readEvents(file: string): RecordedEvent[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const events: RecordedEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // A line cut short by a crash: skip it.
    }
  }
  return events;
}
