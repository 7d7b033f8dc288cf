// The second backend: bun-pty's native library (Rust portable-pty behind FFI).
// We call its C symbols directly rather than its Terminal class, because the
// class decodes output as UTF-8 (invalid bytes become U+FFFD) and writes only
// strings; the symbols move raw bytes both ways.
//
// Known costs of this library, documented in the README: it has no readiness
// events, so output is polled (backing off to 8 ms when idle), and it reaps the
// child itself and reports a signal death as exit code 1, not 128+n.
import { dlopen, FFIType, ptr } from "bun:ffi";
import { BgtermError, EXIT } from "../errors.ts";
import type { PtyBackend, PtyEvents, PtyProcess, PtySpawnOptions } from "./backend.ts";
// Embedded into the compiled binary, so the copied binary works on its own.
import libraryPath from "../../node_modules/bun-pty/rust-pty/target/release/librust_pty.so" with { type: "file" };

const CHILD_EXITED = -2;
const IDLE_BACKOFF_MS = [0, 1, 1, 2, 4, 8];
const EXIT_CODE_WAIT_MS = 2000;

let library: ReturnType<typeof openLibrary> | undefined;
function openLibrary() {
  return dlopen(libraryPath, {
    bun_pty_spawn: {
      args: [FFIType.cstring, FFIType.cstring, FFIType.cstring, FFIType.i32, FFIType.i32],
      returns: FFIType.i32,
    },
    bun_pty_write: { args: [FFIType.i32, FFIType.pointer, FFIType.i32], returns: FFIType.i32 },
    bun_pty_read: { args: [FFIType.i32, FFIType.pointer, FFIType.i32], returns: FFIType.i32 },
    bun_pty_resize: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bun_pty_get_pid: { args: [FFIType.i32], returns: FFIType.i32 },
    bun_pty_get_exit_code: { args: [FFIType.i32], returns: FFIType.i32 },
    bun_pty_close: { args: [FFIType.i32], returns: FFIType.void },
  });
}

function loadSymbols() {
  try {
    library ??= openLibrary();
  } catch (error) {
    throw new BgtermError(
      EXIT.internal,
      `the bun-pty backend cannot load its native library: ${(error as Error).message}`,
    );
  }
  return library.symbols;
}

// The library splits its command line with shell-words rules; quote each word.
function quoteWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const cString = (text: string) => Buffer.from(`${text}\0`);

function spawnBunPty(options: PtySpawnOptions, events: PtyEvents): PtyProcess {
  const lib = loadSymbols();
  const env = Object.entries(options.env)
    .map(([key, value]) => `${key}=${value}\0`)
    .join("");
  const handle = lib.bun_pty_spawn(
    cString(options.argv.map(quoteWord).join(" ")),
    cString(options.cwd),
    cString(env),
    options.cols,
    options.rows,
  );
  if (handle < 0) throw new BgtermError(EXIT.internal, "bun-pty could not spawn the command");
  const pid = lib.bun_pty_get_pid(handle);
  const buffer = Buffer.allocUnsafe(65536);
  let closed = false;
  let idleRounds = 0;

  const pump = () => {
    if (closed) return;
    for (;;) {
      const n = lib.bun_pty_read(handle, ptr(buffer), buffer.length);
      if (n > 0) {
        events.data(Buffer.from(buffer.subarray(0, n)));
        idleRounds = 0;
        continue;
      }
      if (n === CHILD_EXITED || n < 0) {
        closed = true;
        events.end();
        void reportExit();
        return;
      }
      break;
    }
    const delay = IDLE_BACKOFF_MS[Math.min(idleRounds++, IDLE_BACKOFF_MS.length - 1)]!;
    setTimeout(pump, delay);
  };
  // The library signals the end when either its PTY reader or its wait thread
  // finishes; the exit code is stored by the latter, possibly a moment later.
  const reportExit = async () => {
    let code = lib.bun_pty_get_exit_code(handle);
    for (let waited = 0; code < 0 && waited < EXIT_CODE_WAIT_MS; waited++) {
      await Bun.sleep(1);
      code = lib.bun_pty_get_exit_code(handle);
    }
    lib.bun_pty_close(handle);
    events.exit(code < 0 ? 1 : code, null);
  };
  queueMicrotask(pump);

  return {
    pid,
    write(data) {
      if (closed || data.length === 0) return true;
      lib.bun_pty_write(handle, ptr(data), data.length);
      return true; // the library copies and queues every byte; it has no short writes
    },
    resize(cols, rows) {
      if (!closed) lib.bun_pty_resize(handle, cols, rows);
    },
    close() {
      if (closed) return;
      closed = true;
      lib.bun_pty_close(handle);
    },
  };
}

export const bunPtyBackend: PtyBackend = { name: "bun-pty", spawn: spawnBunPty };
