// How poll, send and read print what a read delivered: the session's bytes
// exactly as they arrive (or --plain) as they arrive, or with --json one
// object once the read is done. A read that failed after delivering (an
// --until that never matched) prints first, then fails.
import { ResultError } from "../client/api/common.ts";
import type { ReadOutput } from "../client/api/reading.ts";
import type { OutputSink } from "../client/requests.ts";
import { outputMode, printJson, writeBytes } from "./output.ts";

// The read options that say where output goes.
export function readDestination(): { plain: boolean; sink?: OutputSink } {
  return { plain: outputMode.plain, sink: outputMode.json ? undefined : { write: (chunk) => writeBytes(chunk) } };
}

async function printOutput(output: ReadOutput): Promise<void> {
  if (!outputMode.json) return;
  // The storage error is reported as the command's error, not in its output
  // (input_end is for in-process callers).
  const { storage_error: _error, input_end: _inputEnd, ...shown } = output;
  await printJson(shown);
}

// Runs a read and prints its result; returns the exit code.
export async function printRead(read: Promise<ReadOutput>): Promise<number> {
  try {
    await printOutput(await read);
    return 0;
  } catch (error) {
    if (error instanceof ResultError) await printOutput(error.result as ReadOutput);
    throw error;
  }
}
