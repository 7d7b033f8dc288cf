// The default backend: Bun's built-in PTY (Bun.spawn with `terminal`). Event
// driven, byte exact, and cheap when idle.
import type { PtyBackend, PtyEvents, PtyProcess, PtySpawnOptions } from "./backend.ts";
import { signalExitCode } from "./signals.ts";

// Writes at least this large wait for the drain before the next is taken:
// Bun.Terminal accepts every byte and buffers what the PTY cannot take yet
// (its write() always returns the full length), so without this a paste into
// a program that reads slowly would pile up in the supervisor's memory.
const PACED_WRITE_BYTES = 16 * 1024;
// A drain that never comes (Bun skips one now and then) does not stall input.
const DRAIN_FALLBACK_MS = 1000;

function spawnBunTerminal(options: PtySpawnOptions, events: PtyEvents): PtyProcess {
  let fallback: Timer | undefined;
  const drained = () => {
    clearTimeout(fallback);
    fallback = undefined;
    events.drain();
  };
  const child = Bun.spawn(options.argv, {
    cwd: options.cwd,
    env: options.env,
    terminal: {
      cols: options.cols,
      rows: options.rows,
      name: options.env.TERM,
      data: (_terminal, chunk) => events.data(chunk),
      // Bun may call drain from inside write(); deliver it after write returns,
      // or the supervisor would see a drain for a write it has not finished.
      drain: () => queueMicrotask(drained),
      exit: () => events.end(),
    },
  });
  const terminal = child.terminal!;
  void child.exited.then(() => {
    const signal = child.signalCode === null ? null : String(child.signalCode);
    events.exit(signal ? signalExitCode(signal) : (child.exitCode ?? 0), signal ?? null);
  });
  return {
    pid: child.pid,
    // false: wait for the drain event before writing more (never re-send).
    write: (data) => {
      terminal.write(data);
      if (data.length < PACED_WRITE_BYTES) return true;
      clearTimeout(fallback);
      fallback = setTimeout(drained, DRAIN_FALLBACK_MS);
      return false;
    },
    resize: (cols, rows) => terminal.resize(cols, rows),
    close: () => {
      if (!terminal.closed) terminal.close();
    },
  };
}

export const bunTerminalBackend: PtyBackend = { name: "bun", spawn: spawnBunTerminal };
