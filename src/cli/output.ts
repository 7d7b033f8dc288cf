// The only module that writes to stdout: session bytes (exact, or --plain),
// JSON documents, and tables (aligned on a TTY, tab-separated when piped).
// Startup matters here (every CLI call pays it): node:tty and picocolors cost
// ~9 ms to load, so the TTY check reads /proc and colours load only for a TTY.
import fs from "node:fs";
import { BgtermError, errnoCode } from "../errors.ts";
import { AsyncLocalStorage } from "node:async_hooks";

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

const scopes = new AsyncLocalStorage<OutputScope>();

// Runs fn with stdout, stderr and stdin redirected into scope.
export function withOutputScope<T>(scope: OutputScope, fn: () => Promise<T>): Promise<T> {
  return scopes.run(scope, fn);
}

// The scope of the command running now, if it runs inside `bgterm rpc`.
export function currentScope(): OutputScope | undefined {
  return scopes.getStore();
}

const processMode = { json: false, plain: false };

// Set once by main.ts from the global flags (or per call by the rpc scope).
export const outputMode = {
  get json(): boolean {
    return (scopes.getStore()?.mode ?? processMode).json;
  },
  set json(value: boolean) {
    (scopes.getStore()?.mode ?? processMode).json = value;
  },
  get plain(): boolean {
    return (scopes.getStore()?.mode ?? processMode).plain;
  },
  set plain(value: boolean) {
    (scopes.getStore()?.mode ?? processMode).plain = value;
  },
};

// Standard input's bytes (the request's stdin inside an rpc call).
export async function readStdin(): Promise<Uint8Array> {
  const scope = scopes.getStore();
  if (scope) return scope.stdin ?? new Uint8Array();
  return Bun.stdin.bytes();
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
  constructor() {
    super(128 + 13, "standard output was closed");
  }
}

export async function writeBytes(bytes: Uint8Array): Promise<void> {
  if (bytes.length === 0) return;
  const scope = scopes.getStore();
  if (scope?.onStdout) return scope.onStdout(Uint8Array.from(bytes));
  if (scope) {
    scope.stdout.push(Uint8Array.from(bytes));
    return;
  }
  try {
    await Bun.write(Bun.stdout, bytes);
  } catch (error) {
    if (errnoCode(error) === "EPIPE") throw new OutputClosedError();
    throw error;
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
  if (!stdoutIsTty || scopes.getStore()) {
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
