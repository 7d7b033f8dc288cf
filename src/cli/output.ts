// The only module that writes to stdout: session bytes (exact, or --plain),
// JSON documents, and tables (aligned on a TTY, tab-separated when piped).
// Startup matters here (every CLI call pays it): node:tty and picocolors cost
// ~9 ms to load, so the TTY check reads /proc and colours load only for a TTY.
import fs from "node:fs";
import { BgtermError, EXIT, errnoCode } from "../errors.ts";
import type { AsyncLocalStorage } from "node:async_hooks";

// Where one command's output goes when it runs inside `bgterm rpc` (several may
// run at once): its own flags and buffers instead of the process's.
export interface OutputScope {
  mode: { json: boolean; plain: boolean };
  stdout: Uint8Array[];
  stderr: string[];
  stdin?: Uint8Array;
  // Set to stream stdout as it is written instead of collecting it.
  onStdout?: (bytes: Uint8Array) => Promise<void>;
}

// Created by the first scope (once, however many start together): a plain
// CLI call never loads node:async_hooks.
let scopes: AsyncLocalStorage<OutputScope> | undefined;
let scopesCreated: Promise<AsyncLocalStorage<OutputScope>> | undefined;

// Runs fn with stdout, stderr and stdin redirected into scope.
export async function withOutputScope<T>(scope: OutputScope, fn: () => Promise<T>): Promise<T> {
  scopesCreated ??= import("node:async_hooks").then(({ AsyncLocalStorage }) => {
    scopes = new AsyncLocalStorage<OutputScope>();
    return scopes;
  });
  return (await scopesCreated).run(scope, fn);
}

// The scope of the command running now, if it runs inside `bgterm rpc`.
export function currentScope(): OutputScope | undefined {
  return scopes?.getStore();
}

const processMode = { json: false, plain: false };

// Set once by main.ts from the global flags (or per call by the rpc scope).
export const outputMode = {
  get json(): boolean {
    return (scopes?.getStore()?.mode ?? processMode).json;
  },
  set json(value: boolean) {
    (scopes?.getStore()?.mode ?? processMode).json = value;
  },
  get plain(): boolean {
    return (scopes?.getStore()?.mode ?? processMode).plain;
  },
  set plain(value: boolean) {
    (scopes?.getStore()?.mode ?? processMode).plain = value;
  },
};

// Standard input's bytes (the request's stdin inside an rpc call).
export async function readStdin(): Promise<Uint8Array> {
  const scope = scopes?.getStore();
  if (scope) return scope.stdin ?? new Uint8Array();
  return Bun.stdin.bytes();
}

// Standard input as a stream of pieces, never held whole: only up to
// `lookahead` bytes are read ahead, to tell whether it starts with a newline
// in them (a multi-line paste). Inside an rpc call, the request's stdin.
export async function readStdinAhead(
  lookahead: number,
): Promise<{ multiLine: boolean; pieces: AsyncIterable<Uint8Array> }> {
  const scope = scopes?.getStore();
  if (scope) {
    const bytes = scope.stdin ?? new Uint8Array();
    return {
      multiLine: bytes.includes(10),
      pieces: (async function* () {
        yield bytes;
      })(),
    };
  }
  const reader = Bun.stdin.stream().getReader();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let multiLine = false;
  let ended = false;
  while (!multiLine && headBytes < lookahead) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    head.push(value);
    headBytes += value.length;
    multiLine = value.includes(10);
  }
  async function* pieces(): AsyncGenerator<Uint8Array> {
    yield* head;
    head.length = 0;
    if (ended) return;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  }
  return { multiLine, pieces: pieces() };
}

// True if fd is a terminal (Linux: its /proc link names a tty device).
export function isTerminal(fd: number): boolean {
  try {
    return /^\/dev\/(pts\/\d+|tty\w*|console)$/.test(fs.readlinkSync(`/proc/self/fd/${fd}`));
  } catch {
    return false;
  }
}

const stdoutIsTty = isTerminal(1);

type Paint = (text: string) => string;
const plainPaint: Paint = (text) => text;

// Colour only on a terminal and only if NO_COLOR is unset.
async function palette(): Promise<{ dim: Paint; green: Paint; red: Paint; yellow: Paint }> {
  if (!stdoutIsTty || process.env.NO_COLOR || process.env.TERM === "dumb") {
    return { dim: plainPaint, green: plainPaint, red: plainPaint, yellow: plainPaint };
  }
  const pc = (await import("picocolors")).default;
  return pc.createColors(true);
}

// stdout was closed by its reader (`bgterm ls | head -1`): like other Unix
// tools, bgterm stops quietly (exit 141, as if killed by SIGPIPE). Thrown
// before a read's cursor moves, so unwritten output stays unread.
export class OutputClosedError extends BgtermError {
  // The errno stays readable (follow ends quietly on EPIPE).
  readonly code = "EPIPE";
  constructor() {
    super(128 + 13, "standard output was closed");
  }
}

// A stdout the caller closed (`>&-`): the runtime puts /dev/null there, opened
// close-on-exec, which no inherited descriptor can be (it would not have
// survived the exec). Writing into it would count output as delivered.
let stdoutClosed: boolean | undefined;
function stdoutWasClosed(): boolean {
  if (stdoutClosed === undefined) {
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync("/proc/self/fdinfo/1", "utf8"))?.[1];
      stdoutClosed = flags !== undefined && (Number.parseInt(flags, 8) & 0o2000000) !== 0;
    } catch {
      stdoutClosed = true;
    }
  }
  return stdoutClosed;
}

// Plain write(2)s, in order, all of them before returning: a failure (closed
// stdout, EPIPE, full disk) throws, so a read whose output did not get out is
// never acknowledged. (Bun.write pre-extends a regular file with fallocate
// before writing, which leaves NUL bytes behind when the client is killed.)
export async function writeBytes(bytes: Uint8Array): Promise<void> {
  if (bytes.length === 0) return;
  const scope = scopes?.getStore();
  if (scope?.onStdout) return scope.onStdout(Uint8Array.from(bytes));
  if (scope) {
    scope.stdout.push(Uint8Array.from(bytes));
    return;
  }
  if (stdoutWasClosed()) throw new BgtermError(EXIT.internal, "cannot write the output: standard output is closed");
  for (let done = 0, delay = 1; done < bytes.length; ) {
    try {
      done += fs.writeSync(1, bytes, done, bytes.length - done);
    } catch (error) {
      // A non-blocking stdout that is full: wait for the reader (bounded backoff).
      const code = errnoCode(error);
      if (code === "EPIPE") throw new OutputClosedError();
      if (code !== "EAGAIN")
        throw new BgtermError(EXIT.internal, `cannot write the output: ${(error as Error).message}`);
      await Bun.sleep(delay);
      delay = Math.min(delay * 2, 20);
    }
  }
}

// attach's terminal passthrough: synchronous, so its drawing and the terminal
// restore on detach reach the terminal in order, before the process moves on.
export function writeTerminalSync(data: string | Uint8Array): void {
  fs.writeSync(1, typeof data === "string" ? Buffer.from(data) : data);
}

export async function printLine(text: string): Promise<void> {
  await writeBytes(Buffer.from(`${text}\n`));
}

// One JSON document per command, on one line, so `jq` and line readers both work.
export async function printJson(value: unknown): Promise<void> {
  await printLine(JSON.stringify(value));
}

export type CellStyle = "dim" | "green" | "red" | "yellow" | undefined;

// A TTY gets aligned, coloured columns with a dim header; a pipe gets plain
// TSV without one. styles[i][j] colours row i, column j.
export async function printTable(headers: string[], rows: string[][], styles: CellStyle[][] = []): Promise<void> {
  if (!stdoutIsTty || scopes?.getStore()) {
    for (const row of rows) await printLine(row.map((cell) => cell.replace(/[\t\n]/g, " ")).join("\t"));
    return;
  }
  const paint = await palette();
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: string[], style: (j: number) => CellStyle) =>
    cells
      .map((cell, j) => {
        const padded = j === cells.length - 1 ? cell : cell.padEnd(widths[j]!);
        const s = style(j);
        return s ? paint[s](padded) : padded;
      })
      .join("  ");
  await printLine(paint.dim(format(headers, () => undefined)));
  for (const [i, row] of rows.entries()) await printLine(format(row, (j) => styles[i]?.[j]));
}
