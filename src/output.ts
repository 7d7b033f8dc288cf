// The only module that writes to stdout: session bytes (exact, or --plain),
// JSON documents, and tables (aligned on a TTY, tab-separated when piped).
import pc from "picocolors";

// Set once by main.ts from the global flags.
export const outputMode = { json: false, plain: false };

const stdoutIsTty = process.stdout.isTTY === true;

// Colour only on a terminal and only if NO_COLOR is unset.
export const colors = pc.createColors(stdoutIsTty && !process.env.NO_COLOR && process.env.TERM !== "dumb");

export async function writeBytes(bytes: Uint8Array): Promise<void> {
  if (bytes.length > 0) await Bun.write(Bun.stdout, bytes);
}

export async function printLine(text: string): Promise<void> {
  await writeBytes(Buffer.from(`${text}\n`));
}

// One JSON document per command, on one line, so `jq` and line readers both work.
export async function printJson(value: unknown): Promise<void> {
  await printLine(JSON.stringify(value));
}

// A TTY gets aligned columns with a dim header; a pipe gets plain TSV without one.
export async function printTable(headers: string[], rows: string[][]): Promise<void> {
  if (!stdoutIsTty) {
    for (const row of rows) await printLine(row.map((cell) => cell.replace(/[\t\n]/g, " ")).join("\t"));
    return;
  }
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ");
  await printLine(colors.dim(format(headers)));
  for (const row of rows) await printLine(format(row));
}
