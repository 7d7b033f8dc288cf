// The terminal: its screen, signals, size, and attaching to it.
import { parseSignal } from "../../pty/signals.ts";
import type { ScreenSnapshot } from "../../shared/screen-model.ts";
import { screenOffline } from "../offline.ts";
import { requestOk, screenLive, sendInput, subscribeLive, withSession } from "../requests.ts";
import {
  checkInteger,
  type Deadline,
  noAnswer,
  REQUEST_TIMEOUT_MS,
  resolve,
  Scope,
  type SessionRef,
  withDeadline,
} from "./common.ts";

export interface ScreenOptions extends Deadline {
  // Also up to this many lines above the screen (normal screen only).
  scrollback?: number;
  // Keep colours and attributes as ANSI sequences.
  ansi?: boolean;
}

// The session's screen as a terminal shows it (an ended session's is replayed
// from its retained output).
export async function screen(session: SessionRef, options: ScreenOptions = {}): Promise<ScreenSnapshot> {
  const files = resolve(session);
  const request = {
    scrollback: checkInteger(options.scrollback, "scrollback", 0, 100_000) ?? 0,
    ansi: options.ansi === true,
  };
  const timeout = options.timeout_ms ?? REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), () =>
    withSession(
      files,
      async (channel) => (await screenLive(files, channel, request)).screen,
      () => screenOffline(files, request),
    ),
  );
}

// Sends a signal (default INT) to the terminal's foreground process group.
export async function kill(
  session: SessionRef,
  options: Deadline & { signal?: string } = {},
): Promise<{ id: number; signal: string }> {
  const signal = parseSignal(options.signal ?? "INT");
  const files = resolve(session);
  const timeout = options.timeout_ms ?? REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), async (scope) => {
    const channel = await scope.connectRunning(files);
    await requestOk(files, channel, { op: "signal", signal });
    channel.end();
    return { id: files.id, signal };
  });
}

// Sets the terminal size; the program receives SIGWINCH.
export async function resize(
  session: SessionRef,
  options: Deadline & { cols: number; rows: number },
): Promise<{ id: number; cols: number; rows: number }> {
  const files = resolve(session);
  const cols = checkInteger(options.cols, "cols", 1, 1000)!;
  const rows = checkInteger(options.rows, "rows", 1, 1000)!;
  const timeout = options.timeout_ms ?? REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), async (scope) => {
    const channel = await scope.connectRunning(files);
    await requestOk(files, channel, { op: "resize", cols, rows });
    channel.end();
    return { id: files.id, cols, rows };
  });
}

// A live view of a session for `attach`: its screen now (with ANSI
// attributes), then every byte of output after it, and input and resizes.
export interface Attachment {
  id: number;
  screen: ScreenSnapshot;
  // Streams the output that follows the screen to onData; resolves with the
  // program's exit code, or null if the supervisor went away.
  follow(onData: (bytes: Uint8Array) => void): Promise<number | null>;
  input(bytes: Uint8Array): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  close(): void;
}

export async function subscribe(
  session: SessionRef,
  options: Deadline & { cols?: number; rows?: number } = {},
): Promise<Attachment> {
  const files = resolve(session);
  const timeout = options.timeout_ms ?? REQUEST_TIMEOUT_MS;
  const scope = new Scope();
  const [stream, control] = await withDeadline(timeout, noAnswer(files, timeout), async () => [
    await scope.connectRunning(files),
    await scope.connectRunning(files),
  ]);
  const resizeTo = (cols: number, rows: number) =>
    requestOk(files, control, { op: "resize", cols, rows }).catch(() => {});
  // Take the caller's size first, so the screen is drawn at it.
  if (options.cols !== undefined && options.rows !== undefined) await resizeTo(options.cols, options.rows);
  const { screen: snapshot, offset } = await withDeadline(timeout, noAnswer(files, timeout), () =>
    screenLive(files, stream, { ansi: true }),
  );
  return {
    id: files.id,
    screen: snapshot,
    follow: (onData) => subscribeLive(stream, offset, onData),
    input: async (bytes) => {
      await sendInput(files, control, bytes).catch(() => {});
    },
    resize: resizeTo,
    close: () => scope.expire(),
  };
}
