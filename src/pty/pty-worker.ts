// The thread that owns the session's PTY for the default backend (see
// bun-terminal.ts). Bun's PTY reader keeps reading for as long as the program
// keeps the PTY non-empty and only then returns to the event loop: a program
// that floods output (`yes`) held the supervisor's thread for 100+ ms at a
// time, with its control socket unread. Here it holds this thread only; the
// output goes to the supervisor's thread as messages, with a bound on how much
// may be in flight (past it this thread waits, and the program blocks on its
// writes as it would behind a slow terminal).
import { inputCollector } from "../shared/memory.ts";
import { CONTROL, type FromPty, MAX_IN_FLIGHT, type ToPty } from "./pty-messages.ts";

declare const self: Worker;

const READ_BUFFER_HALF = 128 * 1024;

// Each run's terminal until its EOF (after a restart the previous run's
// terminal lives on until the supervisor closes it).
const terminals = new Map<number, Bun.Terminal>();
// Runs whose terminal has reached EOF (kept in `terminals` until closed).
const ended = new Set<number>();
let streamEndPending = false;
// Input moved here is garbage once written: this thread's heap is collected
// as the supervisor's is, so a paste of any size stays flat here too.
const written = inputCollector();

// Bun's reader hands over a chunk each time it has read more than half its
// 256 KiB buffer while the PTY still has data, and the rest once the PTY is
// empty (then it returns to the event loop). A chunk past half the buffer
// therefore means the program is still writing: more output follows. Set
// before the chunk is posted, cleared with the last chunk of the read (or, as
// a safety net, at this thread's next turn), so the supervisor never sees it
// set after output has stopped.
function markStreaming(ctl: Int32Array, chunk: Uint8Array): void {
  const more = chunk.length > READ_BUFFER_HALF;
  Atomics.store(ctl, CONTROL.streaming, more ? 1 : 0);
  if (!more || streamEndPending) return;
  streamEndPending = true;
  setImmediate(() => {
    streamEndPending = false;
    Atomics.store(ctl, CONTROL.streaming, 0);
  });
}

const post = (message: FromPty, transfer: ArrayBuffer[] = []) => self.postMessage(message, transfer);

// Waits (this thread only) while the supervisor has not yet taken
// MAX_IN_FLIGHT bytes, except while it waits for a spawn here (a restart
// during a flood): then it could not take them.
function waitForRoom(ctl: Int32Array): void {
  for (;;) {
    const inFlight = Atomics.load(ctl, CONTROL.inFlight);
    if (inFlight <= MAX_IN_FLIGHT || Atomics.load(ctl, CONTROL.state) === 0) return;
    Atomics.wait(ctl, CONTROL.inFlight, inFlight, 100);
  }
}

function spawn(message: Extract<ToPty, { op: "spawn" }>): void {
  const ctl = new Int32Array(message.control);
  const errorBytes = new Uint8Array(message.error);
  const id = message.run;
  try {
    const child = Bun.spawn(message.options.argv, {
      cwd: message.options.cwd,
      env: message.options.env,
      terminal: {
        cols: message.options.cols,
        rows: message.options.rows,
        name: message.options.env.TERM,
        data: (_terminal, chunk) => {
          markStreaming(ctl, chunk);
          // Bun gives each chunk its own buffer: moved, not copied (a view
          // into a larger buffer would be copied).
          const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
          Atomics.add(ctl, CONTROL.inFlight, chunk.length);
          try {
            post({ op: "data", run: id, chunk }, whole ? [chunk.buffer] : []);
          } catch (error) {
            Atomics.sub(ctl, CONTROL.inFlight, chunk.length);
            throw error;
          }
          waitForRoom(ctl);
        },
        drain: () => post({ op: "drain", run: id }),
        // EOF: input and resizes stop; the terminal stays until the
        // supervisor closes it (closing it is what releases the PTY).
        exit: () => {
          ended.add(id);
          post({ op: "end", run: id });
        },
      },
    });
    terminals.set(id, child.terminal!);
    void child.exited.then(() =>
      post({
        op: "exit",
        run: id,
        exitCode: child.exitCode,
        signal: child.signalCode === null ? null : String(child.signalCode),
      }),
    );
    Atomics.store(ctl, CONTROL.pid, child.pid);
    Atomics.store(ctl, CONTROL.state, 1);
  } catch (error) {
    // The supervisor's thread is blocked waiting: the error goes in shared memory.
    const { code, message: text } = error as { code?: unknown; message?: unknown };
    const encoded = new TextEncoder().encode(
      JSON.stringify({ code: typeof code === "string" ? code : undefined, message: String(text ?? error) }),
    );
    const length = Math.min(encoded.length, errorBytes.length);
    errorBytes.set(encoded.subarray(0, length));
    Atomics.store(ctl, CONTROL.errorLength, length);
    Atomics.store(ctl, CONTROL.state, 2);
  }
  Atomics.notify(ctl, CONTROL.state);
}

self.onmessage = (event: MessageEvent<ToPty>) => {
  const message = event.data;
  if (message.op === "spawn") return spawn(message);
  const terminal = terminals.get(message.run);
  if (!terminal) return;
  try {
    if (message.op === "close") {
      terminals.delete(message.run);
      ended.delete(message.run);
      if (!terminal.closed) terminal.close();
      return;
    }
    // Input and resizes for a terminal past its EOF (or closed) are dropped.
    if (terminal.closed || ended.has(message.run)) return;
    if (message.op === "write") {
      terminal.write(message.data);
      written.add(message.data.length);
    } else terminal.resize(message.cols, message.rows);
  } catch (error) {
    // The terminal went away meanwhile (the program exited): nothing to do.
    console.error(`bgterm supervisor: PTY ${message.op} failed: ${(error as Error).message}`);
  }
};
