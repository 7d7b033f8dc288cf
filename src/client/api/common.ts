// Plumbing shared by the client API's operations: session references, the
// deadline every request takes, argument checks, and the error that carries
// a result.
import { BgtermError, timeoutError, usageError } from "../../errors.ts";
import type { SessionFiles } from "../../shared/session-files.ts";
import { resolveSession } from "../registry.ts";
import { type ClientChannel, connect, connectRunning } from "../requests.ts";

// A session id (number or digits) or name.
export type SessionRef = string | number;

export interface Deadline {
  // Give up after this many milliseconds (exit 124). Requests that answer at
  // once default to REQUEST_TIMEOUT_MS; waits default to their own bound.
  timeout_ms?: number;
}

export const REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_YIELD_MS = 10_000;
export const DEFAULT_IDLE_MS = 150;
// A settled wait returns after this much uninterrupted output.
export const DEFAULT_MAX_STREAM_MS = 1000;
export const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;
export const DEFAULT_READY_TIMEOUT_MS = 30_000;
export const DEFAULT_CLOSE_GRACE_MS = 1000;
export const FOREVER_MS = 2_147_483_647;

// A failure that still produced a result (printed by the CLI before the error).
export class ResultError<T> extends BgtermError {
  constructor(
    error: BgtermError,
    readonly result: T,
  ) {
    super(error.exitCode, error.message);
  }
}

export function resolve(session: SessionRef): SessionFiles {
  return resolveSession(String(session));
}

// The connections one operation opened, ended together when its deadline passes.
export class Scope {
  private readonly channels = new Set<ClientChannel>();
  private expired = false;

  async connect(files: SessionFiles): Promise<ClientChannel | undefined> {
    const channel = await connect(files);
    if (channel && this.expired) channel.end();
    else if (channel) this.channels.add(channel);
    return channel;
  }

  // For input: a connection to a running session, or exit 4 saying why not.
  async connectRunning(files: SessionFiles): Promise<ClientChannel> {
    const channel = await connectRunning(files);
    if (this.expired) channel.end();
    else this.channels.add(channel);
    return channel;
  }

  expire(): void {
    this.expired = true;
    for (const channel of this.channels) channel.end();
  }
}

// Runs body, or fails with 124 and `message` once timeoutMs has passed; the
// connections body opened through its scope are ended either way.
export async function withDeadline<T>(
  timeoutMs: number | undefined,
  message: () => string,
  body: (scope: Scope) => Promise<T>,
): Promise<T> {
  const scope = new Scope();
  let timer: Timer | undefined;
  const expired = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined) timer = setTimeout(() => reject(timeoutError(message())), timeoutMs);
  });
  try {
    return await Promise.race([body(scope), expired]);
  } finally {
    clearTimeout(timer);
    // Whatever the outcome, the operation's connections end with it.
    scope.expire();
  }
}

export const noAnswer = (files: SessionFiles, ms: number) => () => `session ${files.id} did not answer within ${ms} ms`;

export function checkInteger(value: number | undefined, label: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw usageError(`${label} takes a whole number from ${min} to ${max}, not ${value}`);
  }
  return value;
}

// An --until pattern: matched per line (m flag) against the text a user sees.
export function checkPattern(source: string | undefined, label: string): { source: string; flags: string } | undefined {
  if (source === undefined) return undefined;
  try {
    new RegExp(source, "m");
  } catch (error) {
    throw usageError(`${label}: invalid regular expression: ${(error as Error).message}`);
  }
  return { source, flags: "m" };
}
