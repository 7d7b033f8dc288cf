// A framed, back-pressured message channel over one Bun socket, used by both
// the supervisor (per client) and the client. Writes queue while the kernel
// buffer is full and resume on drain, so a large delivery never piles up in memory.
import type { Socket } from "bun";
import { encodeFrameHead, type Frame, FrameError, FrameReader } from "./protocol.ts";

const HIGH_WATER = 1 << 20;
// A payload up to this size is copied behind its header and written with it
// (and a frame up to it may be held for the next one: see hold).
export const COALESCE_BYTES = 16 * 1024;

export class Channel<In, Out extends object> {
  private readonly reader: FrameReader<In>;
  // The peer sent something that is not a frame: nothing more is read.
  private broken = false;
  private readonly unsent: Uint8Array[] = [];
  private unsentBytes = 0;
  private drained: (() => void)[] = [];
  private inbox: Frame<In>[] = [];
  private receivers: ((frame: Frame<In> | undefined) => void)[] = [];
  closed = false;
  private endRequested = false;
  // Called for each frame when no one is awaiting next(); set by the owner.
  onFrame?: (frame: Frame<In>) => void;
  onClose?: () => void;
  // Called once when the peer's bytes are not frames (or exceed the limits);
  // by default the connection is closed.
  onBroken?: (why: string) => void;

  constructor(
    readonly socket: Socket<any>,
    limits?: { header: number; payload: number },
  ) {
    this.reader = new FrameReader<In>(limits);
  }

  // Feed bytes from the socket's data handler.
  received(chunk: Uint8Array): void {
    if (this.broken) return;
    let frames: Frame<In>[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.broken = true;
      if (this.onBroken) this.onBroken(error.message);
      else this.end();
      return;
    }
    for (const frame of frames) {
      const receiver = this.receivers.shift();
      if (receiver) receiver(frame);
      else if (this.onFrame) this.onFrame(frame);
      else this.inbox.push(frame);
    }
  }

  // The next frame, or undefined once the peer has gone.
  next(): Promise<Frame<In> | undefined> {
    const frame = this.inbox.shift();
    if (frame) return Promise.resolve(frame);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.receivers.push(resolve));
  }

  // The next frame, undefined once the peer has gone, or null if none came
  // within ms (a stopped or hung peer).
  nextWithin(ms: number): Promise<Frame<In> | undefined | null> {
    const frame = this.inbox.shift();
    if (frame) return Promise.resolve(frame);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const receiver = (frame: Frame<In> | undefined) => {
        clearTimeout(timer);
        resolve(frame);
      };
      const timer = setTimeout(() => {
        this.receivers.splice(this.receivers.indexOf(receiver), 1);
        resolve(null);
      }, ms);
      this.receivers.push(receiver);
    });
  }

  // A small frame kept back to go out in one write with the next one sent:
  // the peer wakes once for a request and the request that follows it (a
  // send's input and its wait).
  private held?: Uint8Array;

  // Keeps a frame (payload up to COALESCE_BYTES) for the next send. The
  // caller sends next, or calls flushHeld() on the way out of a failure.
  hold(header: Out, payload: Uint8Array = new Uint8Array(0)): void {
    if (this.held || payload.length > COALESCE_BYTES) throw new Error("hold takes one small frame");
    const head = encodeFrameHead(header as never, payload.length);
    const frame = new Uint8Array(head.length + payload.length);
    frame.set(head);
    frame.set(payload, head.length);
    this.held = frame;
  }

  // Writes a held frame now (the frame meant to follow it will not come).
  flushHeld(): void {
    const held = this.held;
    this.held = undefined;
    if (held && !this.closed) this.write(held);
  }

  // Sends one frame; resolves once the queue is below the high-water mark.
  // The payload must not change afterwards (the socket may still hold it).
  send(header: Out, payload?: Uint8Array): Promise<void> {
    if (this.closed) return Promise.resolve();
    const head = this.withHeld(encodeFrameHead(header as never, payload?.length ?? 0));
    if (!payload || payload.length === 0) this.write(head);
    else if (payload.length <= COALESCE_BYTES) {
      // One write: one syscall here, and the peer never wakes for a header alone.
      const frame = new Uint8Array(head.length + payload.length);
      frame.set(head);
      frame.set(payload, head.length);
      this.write(frame);
    } else {
      this.write(head);
      this.write(payload);
    }
    if (this.unsentBytes < HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  // The held frame, if any, then `head`, as one buffer.
  private withHeld(head: Uint8Array): Uint8Array {
    const held = this.held;
    if (!held) return head;
    this.held = undefined;
    const joined = new Uint8Array(held.length + head.length);
    joined.set(held);
    joined.set(head, held.length);
    return joined;
  }

  // socket.write takes what the kernel accepts now and no more; the rest waits
  // in our queue, in order, until the drain event.
  private write(bytes: Uint8Array): void {
    const written = this.unsentBytes === 0 ? Math.max(this.socket.write(bytes), 0) : 0;
    if (written < bytes.length) this.queue(bytes.subarray(written));
  }

  private queue(bytes: Uint8Array): void {
    this.unsent.push(bytes);
    this.unsentBytes += bytes.length;
  }

  // Call from the socket's drain handler.
  flush(): void {
    while (this.unsent.length > 0) {
      const head = this.unsent[0]!;
      const written = this.socket.write(head);
      if (written <= 0) return;
      this.unsentBytes -= written;
      if (written < head.length) {
        this.unsent[0] = head.subarray(written);
        return;
      }
      this.unsent.shift();
    }
    if (this.endRequested) this.socket.end();
    if (this.unsentBytes < HIGH_WATER) {
      const waiting = this.drained;
      this.drained = [];
      for (const resolve of waiting) resolve();
    }
  }

  // Call from the socket's close handler.
  closedByPeer(): void {
    if (this.closed) return;
    this.closed = true;
    for (const receiver of this.receivers.splice(0)) receiver(undefined);
    for (const resolve of this.drained.splice(0)) resolve();
    this.onClose?.();
  }

  // Closes once everything queued has been written.
  end(): void {
    this.endRequested = true;
    if (this.unsentBytes === 0) this.socket.end();
  }
}
