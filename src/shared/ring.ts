// The retained output on disk: the last `capacity` bytes of the stream, with the
// byte at absolute offset k stored at file position k % capacity. Disk use and
// memory stay bounded however long the session runs; offsets never reset.
import fs from "node:fs";
import { openPrivate, READ_WRITE_CREATE } from "./private-fs.ts";

// The default piece size for streaming a range: large enough to be cheap,
// small enough that neither side holds a big window in memory.
export const CHUNK_BYTES = 256 * 1024;

const OFFSET_WIDTH = 20;

// The writer keeps the newest bytes in memory too: a read of what just arrived
// (an --until scan, the delivery that follows it) costs no pread.
const RECENT_BYTES = 16 * 1024;

// The end file: three fixed-width decimal lines (end offset, newlines in the
// whole stream, first offset whose bytes are valid), so one pwrite at position
// 0 replaces the whole state in place.
export function formatEnd(end: number, lines: number, validFrom: number): string {
  return [end, lines, validFrom].map((value) => `${String(value).padStart(OFFSET_WIDTH, " ")}\n`).join("");
}

export class OutputRing {
  // The writer's copy of the stream's newest bytes [recentStart, recentEnd),
  // byte k at k % RECENT_BYTES (allocated on the first write).
  private recent?: Uint8Array;
  private recentStart = 0;
  private recentEnd = 0;

  private constructor(
    private fd: number,
    readonly capacity: number,
    // Offsets below this are not valid, whatever the capacity says: the end
    // file's third line, which a writer advances before it overwrites bytes.
    private readonly floor: number,
  ) {}

  static open(file: string, capacity: number, writable: boolean, floor = 0): OutputRing {
    const fd = writable ? openPrivate(file, READ_WRITE_CREATE) : fs.openSync(file, "r");
    return new OutputRing(fd, capacity, floor);
  }

  // The first offset still retained when the stream ends at `end`.
  retainedStart(end: number): number {
    return Math.min(end, Math.max(0, end - this.capacity, this.floor));
  }

  // Appends chunk at offset `at` and records the new end in the end file, in
  // an order that a kill at any instant cannot turn into wrong bytes: first
  // the window shrinks past the bytes about to be overwritten, then the ring
  // is written, then the end moves. A crash loses only the newest bytes.
  append(chunk: Uint8Array, at: number, linesAfter: number, linesBefore: number, endFd: number): void {
    const end = at + chunk.length;
    if (end > this.capacity) {
      fs.writeSync(endFd, formatEnd(at, linesBefore, Math.min(at, end - this.capacity)), 0);
    }
    this.write(chunk, at);
    fs.writeSync(endFd, formatEnd(end, linesAfter, Math.max(0, end - this.capacity)), 0);
  }

  // Stores chunk as the bytes starting at absolute offset `at`.
  write(chunk: Uint8Array, at: number): void {
    let data = chunk;
    let offset = at;
    if (data.length > this.capacity) {
      offset += data.length - this.capacity;
      data = data.subarray(data.length - this.capacity);
    }
    let done = 0;
    while (done < data.length) {
      const position = (offset + done) % this.capacity;
      const room = Math.min(data.length - done, this.capacity - position);
      done += fs.writeSync(this.fd, data, done, room, position);
    }
    this.remember(chunk, at);
  }

  private remember(chunk: Uint8Array, at: number): void {
    this.recent ??= new Uint8Array(RECENT_BYTES);
    // Not contiguous with what is kept (never for an appending writer): start over.
    if (at !== this.recentEnd) this.recentStart = this.recentEnd = at;
    const end = at + chunk.length;
    const kept = chunk.subarray(Math.max(0, chunk.length - RECENT_BYTES));
    for (let done = 0; done < kept.length; ) {
      const position = (end - kept.length + done) % RECENT_BYTES;
      const room = Math.min(kept.length - done, RECENT_BYTES - position);
      this.recent.set(kept.subarray(done, done + room), position);
      done += room;
    }
    this.recentEnd = end;
    this.recentStart = Math.max(this.recentStart, end - RECENT_BYTES);
  }

  // The bytes [from, to); the caller keeps the range within the retained window.
  read(from: number, to: number): Buffer {
    const out = Buffer.allocUnsafe(to - from);
    if (this.recent && from >= this.recentStart && to <= this.recentEnd) {
      for (let done = 0; done < out.length; ) {
        const position = (from + done) % RECENT_BYTES;
        const want = Math.min(out.length - done, RECENT_BYTES - position);
        out.set(this.recent.subarray(position, position + want), done);
        done += want;
      }
      return out;
    }
    let done = 0;
    while (done < out.length) {
      const position = (from + done) % this.capacity;
      const want = Math.min(out.length - done, this.capacity - position);
      const got = fs.readSync(this.fd, out, done, want, position);
      if (got === 0) {
        // Only possible if the file was truncated behind our back.
        out.fill(0, done);
        break;
      }
      done += got;
    }
    return out;
  }

  // The bytes [from, to) in pieces of at most `size`, read as they are taken,
  // so a consumer that awaits between pieces never holds more than one.
  *chunks(from: number, to: number, size = CHUNK_BYTES): Generator<{ at: number; bytes: Buffer }> {
    for (let at = from; at < to; at += size) yield { at, bytes: this.read(at, Math.min(to, at + size)) };
  }

  // The file was removed under us (see supervisor/state-guard.ts): copy what
  // the open descriptor still holds into a new file there and use that one.
  relocate(file: string): void {
    const fd = openPrivate(file, READ_WRITE_CREATE);
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let position = 0; ; ) {
      const got = fs.readSync(this.fd, chunk, 0, chunk.length, position);
      if (got === 0) break;
      fs.writeSync(fd, chunk, 0, got, position);
      position += got;
    }
    fs.closeSync(this.fd);
    this.fd = fd;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
