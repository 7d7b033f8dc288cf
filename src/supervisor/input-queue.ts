// Input for the terminal, written in arrival order. When the backend had to
// buffer part of a write, the next one (and this one's acknowledgement, which
// paces the client) waits for its drain event, so a huge paste never piles up here.

interface QueuedInput {
  data: Uint8Array;
  // Acknowledges the input to its client.
  done: () => void;
}

export class InputQueue {
  private readonly queue: QueuedInput[] = [];
  private awaitingDrain = false;

  // write: hands bytes to the PTY, false when part of them is still buffered;
  // accepting: false once the child has exited (queued input is acknowledged, not written).
  constructor(
    private readonly write: (data: Uint8Array) => boolean,
    private readonly accepting: () => boolean,
  ) {}

  // Nothing is waiting to be written.
  get idle(): boolean {
    return this.queue.length === 0;
  }

  // Something is queued (waiting for the terminal to drain).
  get pending(): boolean {
    return this.queue.length > 0;
  }

  push(data: Uint8Array, done: () => void): void {
    this.queue.push({ data, done });
    if (this.queue.length === 1) this.pump();
  }

  // Writes what is queued; also the backend's drain handler.
  pump(): void {
    if (this.awaitingDrain) {
      this.awaitingDrain = false;
      this.queue.shift()?.done();
    }
    for (let head = this.queue[0]; head; head = this.queue[0]) {
      if (this.accepting() && head.data.length > 0 && !this.write(head.data)) {
        this.awaitingDrain = true;
        return;
      }
      this.queue.shift();
      head.done();
    }
  }
}
