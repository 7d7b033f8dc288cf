// The one stderr writer of the CLI process. Errors read exactly
// `bgterm: <message>` (or one JSON object with --json); notices for a person
// (start/close confirmations) go through consola, only when stderr is a
// terminal and never with --json: stdout carries the data, always.
import { writeSync } from "node:fs";
import { currentScope, isTerminal, outputMode } from "./output.ts";

// One line (or block) on stderr, as is (inside an rpc call: into its answer).
export function writeStderr(text: string): void {
  const line = text.endsWith("\n") ? text : `${text}\n`;
  const scope = currentScope();
  if (scope) scope.stderr.push(line);
  else writeSync(2, line);
}

export function reportError(code: number, message: string, options: { json: boolean; detail?: string }): void {
  if (options.json) {
    const detail = options.detail ? { detail: options.detail } : {};
    writeStderr(JSON.stringify({ error: { code, message, ...detail } }));
    return;
  }
  if (options.detail) writeStderr(options.detail);
  writeStderr(`bgterm: ${message}`);
}

// Something the user should know that is not a failure; with --json one
// object {"warning": {"message": ...}} so stderr stays machine-readable.
export async function warn(message: string): Promise<void> {
  if (outputMode.json) writeStderr(JSON.stringify({ warning: { message } }));
  else if (isTerminal(2) && !currentScope()) (await terminalConsola()).warn(message);
  else writeStderr(`bgterm: warning: ${message}`);
}

async function terminalConsola() {
  const { createConsola } = await import("consola");
  return createConsola({ stderr: process.stderr, stdout: process.stderr });
}

// A confirmation for a person at a terminal ("closed session 3"); silent when
// stderr is not a terminal or with --json.
export async function notice(message: string): Promise<void> {
  if (outputMode.json || !isTerminal(2) || currentScope()) return;
  (await terminalConsola()).success(message);
}
