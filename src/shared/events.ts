// The session's timing record, for `export`: a JSON-lines file of events, not
// a copy of the output. An output event says that the stream had reached
// absolute offset `o` at `t` ms after the start; an input event carries the
// bytes sent through bgterm (as latin1, so binary input survives JSON).
// Output marks are coalesced to at most one per MARK_MS, so a flood costs a
// few writes per second, not one per chunk.
import fs from "node:fs";
import { openPrivate } from "./private-fs.ts";

const MARK_MS = 2;

// m: a marker in the session's history (a run started or ended; asciicast "m").
export type RecordedEvent = { t: number; o: number } | { t: number; i: string } | { t: number; m: string };

export class Recorder {
  private fd: number;
  private lastMarkAt = -Infinity;
  private pending?: Timer;
  private reached = 0;
  private written = 0;

  constructor(
    file: string,
    private readonly startedAt: number,
  ) {
    this.fd = openPrivate(file, "a");
  }

  private append(event: RecordedEvent): void {
    try {
      fs.writeSync(this.fd, `${JSON.stringify(event)}\n`);
    } catch {
      // The record is best effort; a full disk is reported by the output path.
    }
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

  input(bytes: Uint8Array): void {
    this.mark(); // output before the input keeps its place in time
    this.append({ t: Date.now() - this.startedAt, i: Buffer.from(bytes).toString("latin1") });
  }

  // The file was removed under us: copy the record into a new file there.
  relocate(file: string): void {
    // The descriptor is write-only; /proc reopens the removed file for reading.
    const old = fs.readFileSync(`/proc/self/fd/${this.fd}`);
    const fd = openPrivate(file, "a");
    fs.writeSync(fd, old);
    fs.closeSync(this.fd);
    this.fd = fd;
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
