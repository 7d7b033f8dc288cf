// The default backend: Bun's built-in PTY (Bun.spawn with `terminal`). Event
// driven, byte exact, and cheap when idle.
import type { PtyBackend, PtyEvents, PtyProcess, PtySpawnOptions } from "./backend.ts";
import { signalExitCode } from "./signals.ts";

function spawnBunTerminal(options: PtySpawnOptions, events: PtyEvents): PtyProcess {
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
      drain: () => queueMicrotask(() => events.drain()),
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
    // Bun.Terminal accepts all bytes and buffers what the PTY cannot take yet;
    // the count it returns is what went out at once (never re-send the rest).
    write: (data) => terminal.write(data) >= data.length,
    resize: (cols, rows) => terminal.resize(cols, rows),
    close: () => {
      if (!terminal.closed) terminal.close();
    },
  };
}

export const bunTerminalBackend: PtyBackend = { name: "bun", spawn: spawnBunTerminal };
