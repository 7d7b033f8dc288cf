// The exit-code table, the one error type every command throws, and the
// sentences for conditions met in more than one place (so the same condition
// reads the same and exits the same everywhere). main.ts is the only place
// that turns a BgtermError into stderr + exit status.

export const EXIT = {
  ok: 0,
  internal: 1,
  noMatch: 1, // grep found nothing
  usage: 2,
  noSession: 3,
  notRunning: 4,
  timeout: 124,
  cannotExecute: 126,
  notFound: 127,
} as const;

// Carries the exit status with the message, so commands never call process.exit.
// `detail` is shown above the message (e.g. the program's last output when it
// was not ready); with --json it is the error's `detail` field.
export class BgtermError extends Error {
  readonly exitCode: number;
  detail?: string;
  constructor(exitCode: number, message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options);
    this.name = "BgtermError";
    this.exitCode = exitCode;
    this.detail = options?.detail;
  }
}

// Shorthands that read like the sentence they produce.
export const usageError = (message: string) => new BgtermError(EXIT.usage, message);
export const noSessionError = (message: string) => new BgtermError(EXIT.noSession, message);
export const notRunningError = (message: string) => new BgtermError(EXIT.notRunning, message);
export const timeoutError = (message: string) => new BgtermError(EXIT.timeout, message);

// ---- sentences -------------------------------------------------------------

// A session whose supervisor never got as far as recording its start: 4.
export const sessionNeverStarted = (id: number) => notRunningError(`session ${id} never started`);
// Input or a live request to a session whose program has exited: 4.
export const sessionNotRunning = (id: number) =>
  notRunningError(`session ${id} is not running (its program has exited)`);
// The supervisor died without recording an exit: 4. `consequence` says what
// that means for the request ("input cannot be delivered").
export const sessionLost = (id: number, consequence = "input cannot be delivered") =>
  notRunningError(`session ${id} is lost (its supervisor died); ${consequence}`);
export const unknownCommand = (name: string) => usageError(`unknown command '${name}' (see bgterm --help)`);
export const unknownOption = (token: string) => usageError(`unknown option '${token}' (see --help)`);
// A program that cannot start, as shells report it: 127 not found, 126 not runnable.
export const commandNotFound = (program: string) => new BgtermError(EXIT.notFound, `command not found: ${program}`);
export const cannotExecute = (program: string, why: string) =>
  new BgtermError(EXIT.cannotExecute, `cannot execute ${program}: ${why}`);
// grep: nothing matched (1, like grep(1)).
export const noLineMatched = () => new BgtermError(EXIT.noMatch, "no line matched");

// A node/bun system error code (ENOENT, EACCES, ...) or undefined.
export function errnoCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error
    ? String((error as { code: unknown }).code)
    : undefined;
}
