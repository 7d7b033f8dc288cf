// The session's output as the supervisor keeps it: the ring file of retained
// bytes, the end file (end offset, newline count and first valid offset,
// rewritten in place), the
// storage-error file, and the timing record for export. Every chunk goes
// through append(); listeners registered with onAppend() see each stored chunk
// (readers, subscribers, the screen feeder, and any scanner), and onChange()
// listeners also hear of a storage error or the final status.
import { log } from "./log.ts";
import fs from "node:fs";
import { eventsBudget, Recorder } from "../shared/events.ts";
import { floodCollector, inputCollector } from "../shared/memory.ts";
import { openPrivate, READ_WRITE_CREATE } from "../shared/private-fs.ts";
import { CHUNK_BYTES, formatEnd, type OutputRing } from "../shared/ring.ts";
import { countNewlines, type ExitStatus, recordStorageError, type SessionFiles } from "../shared/session-files.ts";

export type AppendListener = (chunk: Uint8Array, at: number) => void;

export class OutputLog {
  // Absolute offset one past the last stored byte.
  private endOffset = 0;
  // Newlines in the whole stream, so line numbers stay absolute after drops.
  private lineCount = 0;
  private lastOutput = 0;
  private storageFailure?: string;
  // The failure was a missing file or folder (the session folder was removed).
  private storageFailureMissing = false;
  // Set once the child's exit is final: no more output will come.
  private finalStatus?: ExitStatus;
  private endFd: number;
  private storageErrorFd: number;
  private readonly recorder: Recorder;
  private readonly collector = floodCollector();
  // Input frames leave their buffers behind as output chunks do.
  private readonly inputCollector = inputCollector();
  private readonly appendListeners: AppendListener[] = [];
  private beforeAppendListener?: AppendListener;
  private readonly changeListeners: (() => void)[] = [];

  constructor(
    readonly files: SessionFiles,
    readonly ring: OutputRing,
    startedAt: number,
  ) {
    this.endFd = openPrivate(files.end, READ_WRITE_CREATE);
    fs.writeSync(this.endFd, formatEnd(0, 0, 0), 0);
    this.storageErrorFd = files.reserveStorageError();
    // Bounded alongside the retention: marks for dropped output go too.
    this.recorder = new Recorder(files.events, startedAt, eventsBudget(ring.capacity), () =>
      this.ring.retainedStart(this.endOffset),
    );
  }

  get end(): number {
    return this.endOffset;
  }

  // performance.now() of the latest stored chunk (0 before any).
  get lastOutputAt(): number {
    return this.lastOutput;
  }

  get storageError(): string | undefined {
    return this.storageFailure;
  }

  get final(): ExitStatus | undefined {
    return this.finalStatus;
  }

  get running(): boolean {
    return this.finalStatus === undefined;
  }

  // Called after each stored chunk, in registration order.
  onAppend(listener: AppendListener): void {
    this.appendListeners.push(listener);
  }

  // Called before each chunk is stored (with the offset it will have): the
  // last chance to see what the ring is about to drop.
  onBeforeAppend(listener: AppendListener): void {
    this.beforeAppendListener = listener;
  }

  // Called after each stored chunk (after the append listeners), after a
  // storage error, and once the status is final.
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  // Stores one chunk of PTY output at the end of the stream.
  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const at = this.endOffset;
    try {
      this.beforeAppendListener?.(chunk, at);
      // Ordered so that a kill at any instant never leaves wrong bytes readable.
      const lines = this.lineCount + countNewlines(chunk);
      this.ring.append(chunk, at, lines, this.lineCount, this.endFd);
      this.endOffset += chunk.length;
      this.lineCount = lines;
    } catch (error) {
      // A full disk must not kill the child: keep it running, and tell clients
      // (info, and every read) that output is being lost.
      this.noteStorageError(error);
      return;
    }
    this.lastOutput = performance.now();
    this.collector.add(chunk.length);
    for (const listener of this.appendListeners) listener(chunk, at);
    this.changed();
    // The timing record after the waiting readers are served (best effort, off their path).
    this.recorder.output(this.endOffset);
  }

  // The bytes [from, to) in pieces, each read as it is taken, for a consumer
  // that awaits between pieces. Output that falls out of retention meanwhile
  // (a flood while the client reads slowly) is skipped, and `gap.skipped` says so.
  *retainedChunks(
    from: number,
    to: number,
    gap = { skipped: false, bytes: 0 },
  ): Generator<{ at: number; bytes: Buffer }> {
    for (let at = from; at < to; ) {
      const retainedStart = this.ring.retainedStart(this.endOffset);
      if (at < retainedStart) {
        gap.skipped = true;
        gap.bytes += Math.min(retainedStart, to) - at;
        at = Math.min(retainedStart, to);
        continue;
      }
      const next = Math.min(to, at + CHUNK_BYTES);
      yield { at, bytes: this.ring.read(at, next) };
      at = next;
    }
  }

  // Input sent through bgterm, for the timing record.
  // continued: a later chunk of the same send (only counted, not stored).
  recordInput(bytes: Uint8Array, continued = false): void {
    if (bytes.length > 0) this.recorder.input(bytes, continued);
    this.inputCollector.add(bytes.length);
  }

  // A point in the session's history (restarts), for the timing record.
  recordMarker(label: string): void {
    this.recorder.marker(label);
  }

  noteStorageError(error: unknown): void {
    const message = `could not store output: ${(error as Error).message}`;
    if (this.storageFailure === message) return;
    this.storageFailure = message;
    this.storageFailureMissing = (error as NodeJS.ErrnoException).code === "ENOENT";
    log(message);
    try {
      recordStorageError(this.storageErrorFd, `${new Date().toISOString()} ${message}`);
    } catch {
      // Even the reserved block failed; clients still hear it on every read.
    }
    this.changed();
  }

  // The child's exit is final: written to status.json, and no more output comes.
  finish(status: ExitStatus): void {
    if (this.finalStatus) return;
    this.finalStatus = status;
    try {
      this.files.writeStatus(status);
    } catch (error) {
      // On a full disk the exit status cannot be recorded; the session will
      // read as lost once the supervisor is gone, but clients waiting now hear it.
      this.noteStorageError(error);
    }
    this.changed();
  }

  // The session folder was recreated (see state-guard.ts): the retained output
  // is copied from the open ring file, end and status written again, the
  // storage-error block reserved again, the timing record copied.
  relocate(): void {
    this.ring.relocate(this.files.output);
    fs.closeSync(this.endFd);
    this.endFd = openPrivate(this.files.end, READ_WRITE_CREATE);
    fs.writeSync(this.endFd, formatEnd(this.endOffset, this.lineCount, this.ring.retainedStart(this.endOffset)), 0);
    if (this.finalStatus) this.files.writeStatus(this.finalStatus);
    // A write that failed only because the folder was gone (a cursor, meta)
    // is written again by the supervisor: that is not lost output.
    if (this.storageFailureMissing) this.storageFailure = undefined;
    fs.closeSync(this.storageErrorFd);
    this.storageErrorFd = this.files.reserveStorageError();
    if (this.storageFailure) recordStorageError(this.storageErrorFd, this.storageFailure);
    this.recorder.relocate(this.files.events);
  }

  close(): void {
    fs.closeSync(this.endFd);
    this.recorder.close();
    this.ring.close();
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }
}
