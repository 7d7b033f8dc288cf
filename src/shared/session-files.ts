// One session's folder and the files in it. The layout is documented in the
// README because scripts may read it:
//   meta.json    the session record fixed at start (rewritten on resize)
//   spec.json    what `start` asked the supervisor to run
//   output       the retained output, a ring of max_buffer bytes (offset % max_buffer)
//   end          the absolute end offset of the output stream, then the number
//                of newlines in the whole stream (two decimal lines)
//   status.json  the child's exit status, written once it has exited
//   cursors/R    reader R's unread cursor (decimal absolute offset, twice: see writeCursor)
//   lock         held (flock) by the live supervisor
//   sock         the supervisor's control socket
//   supervisor.log  the supervisor's own diagnostics
//   storage-error   why output could not be stored (spaces when all is well)
//   events          timing record for export: {"t","o"} output marks, {"t","i"} input,
//                   {"t","m"} markers (restarts)
//   commands        an integrated shell's command records, one JSON object a line
//   shell/          the shell integration hook scripts (hold the session's nonce)
import fs from "node:fs";
import path from "node:path";
import { BgtermError, EXIT } from "../errors.ts";
import type { EndedBy, HealthState, LifecycleSpec, RunRecord } from "./lifecycle.ts";
import { makePrivateDir, openPrivate, READ_WRITE_CREATE, readTextIfExists, writeFileAtomic } from "./private-fs.ts";
import { OutputRing } from "./ring.ts";

// What `start` hands the supervisor (lifecycle fields are optional).
export interface SessionSpec extends LifecycleSpec {
  name: string | null;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  max_buffer: number;
  backend: string;
}

// The session record fixed at start.
export interface SessionMeta {
  id: number;
  name: string | null;
  command: string[];
  cwd: string;
  cols: number;
  rows: number;
  backend: string;
  max_buffer: number;
  started_at: string;
  pid: number;
  supervisor_pid: number;
  // Lifecycle (absent in sessions started by older versions).
  labels?: Record<string, string>;
  // Every run of the program, oldest first (more than one with --restart).
  runs?: RunRecord[];
  ended_by?: EndedBy | null;
  health?: HealthState | null;
}

// How the child ended: code, or 128+n for signal n.
export interface ExitStatus {
  exit_code: number;
  signal: string | null;
  ended_at: string;
}

const OFFSET_WIDTH = 20;
const STORAGE_ERROR_BYTES = 1024;

// Writes the reason into the reserved storage-error file, in place.
export function recordStorageError(fd: number, message: string): void {
  const text = Buffer.alloc(STORAGE_ERROR_BYTES, " ");
  text.write(message.slice(0, STORAGE_ERROR_BYTES - 1), "utf8");
  fs.writeSync(fd, text, 0, STORAGE_ERROR_BYTES, 0);
}

// The number of LF bytes in a chunk (the end file's line count, and lines' numbering).
export function countNewlines(chunk: Uint8Array): number {
  const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let count = 0;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) count++;
  return count;
}

// Fixed-width so that one pwrite at position 0 replaces the value in place.
export function formatOffset(value: number): string {
  return `${String(value).padStart(OFFSET_WIDTH, " ")}\n`;
}

// A cursor file: the offset twice. It is rewritten in place, and a reader that
// catches a write half done sees two different copies (and reads again).
export function formatCursor(value: number): string {
  return formatOffset(value).repeat(2);
}
export const CURSOR_FILE_BYTES = 2 * (OFFSET_WIDTH + 1);

// How many times a reader re-reads a cursor whose two copies differ (a write
// in progress) before calling the file damaged.
const TORN_READ_RETRIES = 5;

// Paths and typed reads/writes for the files of one session.
export class SessionFiles {
  readonly dir: string;
  constructor(
    readonly stateDir: string,
    readonly id: number,
  ) {
    this.dir = path.join(stateDir, "sessions", String(id));
  }

  get meta() {
    return path.join(this.dir, "meta.json");
  }
  get spec() {
    return path.join(this.dir, "spec.json");
  }
  get output() {
    return path.join(this.dir, "output");
  }
  get end() {
    return path.join(this.dir, "end");
  }
  get status() {
    return path.join(this.dir, "status.json");
  }
  get cursors() {
    return path.join(this.dir, "cursors");
  }
  get lock() {
    return path.join(this.dir, "lock");
  }
  get socket() {
    return path.join(this.dir, "sock");
  }
  get log() {
    return path.join(this.dir, "supervisor.log");
  }
  get storageError() {
    return path.join(this.dir, "storage-error");
  }
  get events() {
    return path.join(this.dir, "events");
  }
  get commands() {
    return path.join(this.dir, "commands");
  }

  cursor(reader: string): string {
    return path.join(this.cursors, reader);
  }

  exists(): boolean {
    return fs.existsSync(this.dir);
  }

  create(): void {
    makePrivateDir(this.dir);
    makePrivateDir(this.cursors);
  }

  private corrupt(file: string, why: string): BgtermError {
    return new BgtermError(EXIT.internal, `session ${this.id}: state file ${path.basename(file)} is corrupt (${why})`);
  }

  private readJson<T>(file: string, check: (value: any) => boolean): T | undefined {
    const text = readTextIfExists(file);
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw this.corrupt(file, "not valid JSON");
    }
    if (typeof value !== "object" || value === null || !check(value)) {
      throw this.corrupt(file, "unexpected fields");
    }
    return value as T;
  }

  readSpec(): SessionSpec {
    const spec = this.readJson<SessionSpec>(this.spec, (v) => Array.isArray(v.command));
    if (!spec) throw this.corrupt(this.spec, "missing");
    return spec;
  }

  writeSpec(spec: SessionSpec): void {
    writeFileAtomic(this.spec, JSON.stringify(spec));
  }

  // undefined while the supervisor has not written it yet (start in progress).
  readMeta(): SessionMeta | undefined {
    return this.readJson<SessionMeta>(
      this.meta,
      (v) =>
        typeof v.id === "number" &&
        Array.isArray(v.command) &&
        typeof v.pid === "number" &&
        typeof v.max_buffer === "number" &&
        v.max_buffer > 0,
    );
  }

  writeMeta(meta: SessionMeta): void {
    writeFileAtomic(this.meta, `${JSON.stringify(meta, null, 2)}\n`);
  }

  readStatus(): ExitStatus | undefined {
    return this.readJson<ExitStatus>(this.status, (v) => typeof v.exit_code === "number");
  }

  writeStatus(status: ExitStatus): void {
    writeFileAtomic(this.status, `${JSON.stringify(status)}\n`);
  }

  // The first line of the file as an offset (the end file has a second line).
  private readOffsetFile(file: string): number | undefined {
    return this.readOffsets(file)?.[0];
  }

  private readOffsets(file: string, text = readTextIfExists(file)): number[] | undefined {
    // Empty: created but never written (older versions wrote cursors in place).
    if (text === undefined || text.trim() === "") return undefined;
    const values = text
      .trim()
      .split("\n")
      .map((line) => line.trim());
    if (!values.every((value) => /^\d{1,16}$/.test(value))) throw this.corrupt(file, "not an offset");
    return values.map(Number);
  }

  readEnd(): number {
    return this.readOffsetFile(this.end) ?? 0;
  }

  // The end offset, how many newlines the whole stream holds up to it, and the
  // first offset whose bytes are valid (bytes below it may have been overwritten).
  readEndAndLines(): { end: number; lines: number; validFrom: number } {
    const [end = 0, lines = 0, validFrom = 0] = this.readOffsets(this.end) ?? [];
    return { end, lines, validFrom };
  }

  // The retained output of a session, for reading from its files: the ring
  // knows which offsets are valid, so a writer killed mid-append never makes
  // it serve overwritten bytes.
  openOutput(capacity: number): { ring: OutputRing; end: number; lines: number } {
    const { end, lines, validFrom } = this.readEndAndLines();
    return { ring: OutputRing.open(this.output, capacity, false, validFrom), end, lines };
  }

  // A cursor past `end` can only come from a damaged file: refuse to guess.
  // One line (older versions) or two equal copies, the same in two reads in a
  // row; two that differ, or a line that is not a number, may be a write
  // caught half done (a reader in step with the writer could even see two
  // equal mixed copies once, never twice): read again first.
  readCursor(reader: string, end = this.readEnd()): number {
    const file = this.cursor(reader);
    for (let attempt = 0; ; attempt++) {
      let offsets: number[] | undefined;
      try {
        const text = readTextIfExists(file);
        if (text !== readTextIfExists(file)) throw this.corrupt(file, "it changed while being read");
        offsets = this.readOffsets(file, text);
      } catch (error) {
        if (attempt < TORN_READ_RETRIES) continue;
        throw error;
      }
      const [cursor = 0, copy = cursor] = offsets ?? [];
      if (copy !== cursor) {
        if (attempt < TORN_READ_RETRIES) continue;
        throw this.corrupt(file, `its two copies differ (${cursor}, ${copy})`);
      }
      if (cursor > end) throw this.corrupt(file, `cursor ${cursor} is beyond the end of output ${end}`);
      return cursor;
    }
  }

  // Reserved at start, so that the reason fits even once the disk is full:
  // overwriting an allocated block needs no new space.
  reserveStorageError(): number {
    const fd = openPrivate(this.storageError, READ_WRITE_CREATE);
    fs.writeSync(fd, Buffer.alloc(STORAGE_ERROR_BYTES, " "), 0, STORAGE_ERROR_BYTES, 0);
    return fd;
  }

  readStorageError(): string | null {
    const text = readTextIfExists(this.storageError)?.trim();
    return text ? text : null;
  }

  // In place when the file already has its full size: one pwrite over blocks
  // it owns needs no new disk space, and costs a few µs where renaming a new
  // file over the old one costs ~220 µs on ext4 (it flushes the new file
  // first). The first write is atomic (write a sibling, rename over), so a
  // full disk leaves the previous cursor intact, never an empty file.
  // `fd`: a descriptor of the cursor file kept open by the caller (the
  // supervisor writes a reader's cursor on every read).
  writeCursor(reader: string, value: number, fd?: number): void {
    const text = formatCursor(value);
    if (fd !== undefined) {
      fs.writeSync(fd, text, 0);
      return;
    }
    const opened = this.openCursor(reader);
    if (opened === undefined) return writeFileAtomic(this.cursor(reader), text);
    try {
      fs.writeSync(opened, text, 0);
    } finally {
      fs.closeSync(opened);
    }
  }

  // The cursor file open for writing in place, or undefined when it is missing
  // or not of the current size (older versions, damage): write it whole then.
  openCursor(reader: string): number | undefined {
    let fd: number;
    try {
      fd = fs.openSync(this.cursor(reader), "r+");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    if (fs.fstatSync(fd).size === CURSOR_FILE_BYTES) return fd;
    fs.closeSync(fd);
    return undefined;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
