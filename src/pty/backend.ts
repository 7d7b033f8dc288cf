// The one small interface every PTY backend implements, so the supervisor never
// sees which one runs. Backends are loaded lazily: bun-pty's native library is
// only touched when that backend is chosen.
import { usageError } from "../errors.ts";

export interface PtySpawnOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
}

// What a backend reports back to the supervisor.
export interface PtyEvents {
  // Output bytes exactly as read from the PTY master.
  data(chunk: Uint8Array): void;
  // The master reached EOF (every slave descriptor is closed) or failed.
  end(): void;
  // The child was reaped: its exit code, or 128+n for signal n.
  exit(exitCode: number, signal: string | null): void;
  // Input the backend had buffered has reached the PTY.
  drain(): void;
}

export interface PtyProcess {
  readonly pid: number;
  // Takes every byte. Returns false when part of it is still buffered by the
  // backend: the caller should wait for drain() before writing more (flow
  // control), and must never write any of it again.
  write(data: Uint8Array): boolean;
  resize(cols: number, rows: number): void;
  // True while the program is writing without a pause (more output is already
  // on its way), when the backend can tell.
  streaming?(): boolean;
  // Closes the master side (the kernel hangs up the session's processes).
  close(): void;
}

export interface PtyBackend {
  readonly name: string;
  spawn(options: PtySpawnOptions, events: PtyEvents): PtyProcess;
}

export const BACKEND_NAMES = ["bun", "bun-pty"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

// Validates a backend name given by --backend or BGTERM_BACKEND.
export function checkBackendName(name: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw usageError(`unknown backend '${name}' (choose ${BACKEND_NAMES.join(" or ")})`);
}

export async function loadBackend(name: BackendName): Promise<PtyBackend> {
  if (name === "bun-pty") return (await import("./bun-pty.ts")).bunPtyBackend;
  return (await import("./bun-terminal.ts")).bunTerminalBackend;
}
