// What the supervisor's thread and the PTY thread (pty-worker.ts) say to each
// other, and the shared memory between them.
import type { PtySpawnOptions } from "./backend.ts";

// Int32 slots of the shared control block.
export const CONTROL = {
  // 0 while a spawn is pending, 1 once started (pid set), 2 if it failed.
  state: 0,
  pid: 1,
  errorLength: 2,
  // Output bytes posted by the PTY thread and not yet taken by the supervisor.
  inFlight: 3,
  // 1 while the PTY thread is inside one unbroken read of the PTY: Bun's
  // reader returns to the event loop only once the PTY is empty, so the
  // program has been writing without a pause and more output is on its way.
  streaming: 4,
} as const;
export const CONTROL_SLOTS = 5;
// Room for a failed spawn's error (JSON: errno code and message).
export const ERROR_BYTES = 4096;
// Output in flight past which the PTY thread stops reading until the
// supervisor catches up (memory stays bounded whatever the program writes).
export const MAX_IN_FLIGHT = 1024 * 1024;

export type ToPty =
  | { op: "spawn"; run: number; options: PtySpawnOptions; control: SharedArrayBuffer; error: SharedArrayBuffer }
  | { op: "write"; run: number; data: Uint8Array }
  | { op: "resize"; run: number; cols: number; rows: number }
  | { op: "close"; run: number };

export type FromPty =
  | { op: "data"; run: number; chunk: Uint8Array }
  | { op: "drain"; run: number }
  | { op: "end"; run: number }
  | { op: "exit"; run: number; exitCode: number | null; signal: string | null };
