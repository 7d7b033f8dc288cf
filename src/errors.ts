// The exit-code table and the one error type every command throws.
// main.ts is the only place that turns a BgtermError into stderr + exit status.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  noSession: 3,
  notRunning: 4,
  cannotExecute: 126,
  notFound: 127,
  timeout: 124,
} as const;

// Carries the exit status with the message, so commands never call process.exit.
export class BgtermError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BgtermError";
    this.exitCode = exitCode;
  }
}

// Shorthands that read like the sentence they produce.
export const usageError = (message: string) => new BgtermError(EXIT.usage, message);
export const noSessionError = (message: string) => new BgtermError(EXIT.noSession, message);
export const notRunningError = (message: string) => new BgtermError(EXIT.notRunning, message);
export const timeoutError = (message: string) => new BgtermError(EXIT.timeout, message);

// A node/bun system error code (ENOENT, EACCES, ...) or undefined.
export function errnoCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error
    ? String((error as { code: unknown }).code)
    : undefined;
}
