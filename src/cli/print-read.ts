// Printing what a read delivered: the session's bytes exactly as received (or
// --plain), or with --json one object whose `text` is the decoded output.
// Used by poll, send and read alike, so their output is the same shape.
import { EXIT, BgtermError } from "../errors.ts";
import { outputMode, printJson, writeBytes } from "./output.ts";
import type { OutputSink, ReadResult } from "../client/requests.ts";
import type { SessionFiles } from "../shared/session-files.ts";
import { currentName } from "../client/registry.ts";
import { PlainFilter } from "../text/plain.ts";

export interface ReadPrinter {
  sink: OutputSink;
  // Prints the summary (JSON) and returns the exit code the read implies.
  finish(files: SessionFiles, result: ReadResult): Promise<number>;
}

export function createReadPrinter(): ReadPrinter {
  const plain = outputMode.plain ? new PlainFilter() : undefined;
  const decoder = new TextDecoder("utf-8");
  let text = "";
  const sink: OutputSink = {
    async write(chunk) {
      const bytes = plain ? plain.push(chunk) : chunk;
      if (outputMode.json) text += decoder.decode(bytes, { stream: true });
      else await writeBytes(bytes);
    },
  };
  return {
    sink,
    async finish(files, result) {
      const tail = plain?.flush() ?? new Uint8Array(0);
      if (outputMode.json) {
        text += decoder.decode(tail);
        const meta = files.readMeta();
        await printJson({
          id: files.id,
          name: currentName(files.stateDir, files.id, meta?.name ?? null),
          text,
          running: result.running,
          exit_code: result.exit_code,
          start_offset: result.from,
          end_offset: result.to,
          remaining_bytes: Math.max(0, result.end - result.to),
          dropped_bytes: result.dropped_bytes,
          truncated: result.truncated,
          ...(result.matched === undefined ? {} : { matched: result.matched }),
        });
      } else {
        await writeBytes(tail);
      }
      return exitCodeFor(files, result);
    },
  };
}

// Lost output outranks everything; then an --until that never matched: 4 if
// the program ended, 124 if time ran out.
function exitCodeFor(files: SessionFiles, result: ReadResult): number {
  if (result.storage_error) {
    throw new BgtermError(EXIT.internal, `session ${files.id} ${result.storage_error}; some output was lost`);
  }
  if (result.matched !== false) return EXIT.ok;
  if (!result.running) {
    throw new BgtermError(
      EXIT.notRunning,
      `session ${files.id} ended (exit code ${result.exit_code ?? "unknown"}) before --until matched`,
    );
  }
  throw new BgtermError(EXIT.timeout, `--until did not match in session ${files.id} before the yield ended`);
}
