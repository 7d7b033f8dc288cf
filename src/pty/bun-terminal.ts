// The default backend: Bun's built-in PTY (Bun.spawn with `terminal`). Event
// driven, byte exact, and cheap when idle. The PTY lives on its own thread
// (pty-worker.ts): Bun's reader does not return to the event loop while a
// program keeps the PTY full, and on the supervisor's thread that left its
// socket unserved for 100+ ms at a time during a flood.
import type { PtyBackend, PtyEvents, PtyProcess, PtySpawnOptions } from "./backend.ts";
import { CONTROL, CONTROL_SLOTS, ERROR_BYTES, type FromPty, type ToPty } from "./pty-messages.ts";
import { signalExitCode } from "./signals.ts";

// Writes at least this large wait for the drain before the next is taken:
// Bun.Terminal accepts every byte and buffers what the PTY cannot take yet
// (its write() always returns the full length), so without this a paste into
// a program that reads slowly would pile up in the supervisor's memory.
const PACED_WRITE_BYTES = 16 * 1024;
// A drain that never comes does not stall input. Bun skips one every few
// dozen paced writes (measured: 2-4 of 160 writes of 256 KiB on cat), so the
// wait starts short and doubles each time it runs out, back to short at the
// next real drain: a program that reads slowly still gets its drains, and at
// most one more write per wait piles up in Bun's buffer.
const DRAIN_FALLBACK_MIN_MS = 25;
const DRAIN_FALLBACK_MAX_MS = 1000;
// How long a spawn may take on the PTY thread (its start included).
const SPAWN_WAIT_MS = 10_000;

// The compiled binary holds the thread's code as a second entry point (see the
// Makefile), named relative to src/; from source it is the file beside this one.
const WORKER_ENTRY = import.meta.url.includes("/$bunfs/")
  ? "./pty/pty-worker.ts"
  : new URL("./pty-worker.ts", import.meta.url).href;

// One PTY thread per supervisor, started as this module loads (it is loaded
// only to start a session), so it starts while the supervisor sets up.
const thread = new Worker(WORKER_ENTRY);
const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
const errorBuffer = new SharedArrayBuffer(ERROR_BYTES);
// Each run's events until both its EOF and its exit have been reported
// (output written after the program's exit, by a background job, still counts).
const runs = new Map<number, { events: PtyEvents; ended: boolean; exited: boolean }>();
let lastRun = 0;

thread.onmessage = (event: MessageEvent<FromPty>) => {
  const message = event.data;
  if (message.op === "data") {
    // Taken: the PTY thread may read on.
    Atomics.sub(control, CONTROL.inFlight, message.chunk.length);
    Atomics.notify(control, CONTROL.inFlight);
  }
  const run = runs.get(message.run);
  if (!run) return;
  const events = run.events;
  if (message.op === "data") events.data(message.chunk);
  else if (message.op === "drain") events.drain();
  else if (message.op === "end") {
    run.ended = true;
    events.end();
  } else {
    run.exited = true;
    events.exit(message.signal ? signalExitCode(message.signal) : (message.exitCode ?? 0), message.signal);
  }
  if (run.ended && run.exited) runs.delete(message.run);
};

// An uncaught error on the PTY thread (a bug) goes to supervisor.log, as one
// on this thread does.
thread.addEventListener("error", (event) => console.error(`bgterm supervisor: PTY thread: ${event.message}`));

const send = (message: ToPty, transfer: ArrayBuffer[] = []) => thread.postMessage(message, transfer);

// Starts the program on the PTY thread and waits (blocking, bounded) for its
// pid, so spawning stays synchronous as the backend interface wants.
function startRun(run: number, options: PtySpawnOptions): number {
  Atomics.store(control, CONTROL.state, 0);
  // A PTY thread waiting for us to take output stops waiting (see waitForRoom).
  Atomics.notify(control, CONTROL.inFlight);
  send({ op: "spawn", run, options, control: control.buffer as SharedArrayBuffer, error: errorBuffer });
  if (Atomics.wait(control, CONTROL.state, 0, SPAWN_WAIT_MS) === "timed-out") {
    throw new Error(`the PTY thread did not start the program within ${SPAWN_WAIT_MS} ms`);
  }
  if (Atomics.load(control, CONTROL.state) === 1) return Atomics.load(control, CONTROL.pid);
  const length = Atomics.load(control, CONTROL.errorLength);
  const text = new TextDecoder().decode(new Uint8Array(errorBuffer).slice(0, length));
  let failure: { code?: string; message?: string } = {};
  try {
    failure = JSON.parse(text);
  } catch {
    failure = { message: text };
  }
  // Rebuilt as Bun.spawn threw it: the errno code says why (ENOENT, EACCES, ...).
  throw Object.assign(new Error(failure.message ?? "the program could not be started"), { code: failure.code });
}

function spawnBunTerminal(options: PtySpawnOptions, events: PtyEvents): PtyProcess {
  const run = ++lastRun;
  let fallback: Timer | undefined;
  let fallbackMs = DRAIN_FALLBACK_MIN_MS;
  const drained = () => {
    clearTimeout(fallback);
    fallback = undefined;
    events.drain();
  };
  const realDrain = () => {
    fallbackMs = DRAIN_FALLBACK_MIN_MS;
    drained();
  };
  const noDrain = () => {
    fallbackMs = Math.min(fallbackMs * 2, DRAIN_FALLBACK_MAX_MS);
    drained();
  };
  runs.set(run, { events: { ...events, drain: realDrain }, ended: false, exited: false });
  let pid: number;
  try {
    pid = startRun(run, options);
  } catch (error) {
    runs.delete(run);
    throw error;
  }
  let closed = false;
  return {
    pid,
    // false: wait for the drain event before writing more (never re-send).
    write: (data) => {
      if (closed) return true;
      // Exactly these bytes, moved to the thread: a view is cloned with its
      // whole underlying buffer (often Node's shared 8 KiB pool), which cost
      // more than the rest of the write.
      const bytes = new Uint8Array(data);
      send({ op: "write", run, data: bytes }, [bytes.buffer]);
      if (data.length < PACED_WRITE_BYTES) return true;
      clearTimeout(fallback);
      fallback = setTimeout(noDrain, fallbackMs);
      return false;
    },
    resize: (cols, rows) => send({ op: "resize", run, cols, rows }),
    streaming: () => !closed && Atomics.load(control, CONTROL.streaming) === 1,
    close: () => {
      closed = true;
      send({ op: "close", run });
    },
  };
}

export const bunTerminalBackend: PtyBackend = { name: "bun", spawn: spawnBunTerminal };
