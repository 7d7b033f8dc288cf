// bgterm follow: stream sessions' output live until their programs end. One
// session: its bytes exactly (or --plain), then its exit code. Several: each
// line prefixed with the session's name, like `docker compose logs -f`.
import { usageError } from "../errors.ts";
import { parseInteger } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { readerName } from "../cli/shared.ts";
import { followOutput } from "../cli/json-output.ts";
import { outputMode, printJson, writeBytes } from "../cli/output.ts";
import * as api from "../client/api.ts";
import { currentName, resolveSession } from "../client/registry.ts";
import type { OutputSink } from "../client/requests.ts";
import type { SessionFiles } from "../shared/session-files.ts";
import { PlainFilter } from "../text/plain.ts";

// What one session's output turns into: raw bytes, prefixed lines, or JSON lines.
function sessionSink(files: SessionFiles, prefix: string | undefined): OutputSink & { flush(): Promise<void> } {
  const plain = outputMode.plain ? new PlainFilter() : undefined;
  const decoder = new TextDecoder("utf-8");
  const name = currentName(files.stateDir, files.id, files.readMeta()?.name ?? null);
  let partial: Buffer = Buffer.alloc(0);
  const emit = async (bytes: Uint8Array, last: boolean) => {
    if (outputMode.json) {
      const text = decoder.decode(bytes, { stream: !last });
      if (text) await printJson({ id: files.id, name, text });
      return;
    }
    if (prefix === undefined) return writeBytes(bytes);
    // Whole lines only, so sessions never interleave inside a line.
    partial = Buffer.concat([partial, bytes]);
    const cut = last ? partial.length : partial.lastIndexOf(10) + 1;
    if (cut <= 0) return;
    const lines = partial.subarray(0, cut).toString("utf8").split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    partial = Buffer.from(partial.subarray(cut));
    await writeBytes(Buffer.from(lines.map((line) => `${prefix}${line}\n`).join("")));
  };
  return {
    write: (chunk) => emit(plain ? plain.push(chunk) : chunk, false),
    flush: () => emit(plain?.flush() ?? new Uint8Array(0), true),
  };
}

export default command({
  name: "follow",
  summary: "Stream output live until the program ends; exit with its code (several sessions: prefixed lines)",
  args: [{ name: "sessions", kind: "session", many: true, help: "Session ids or names (several: lines prefixed)" }],
  options: {
    from: { kind: "integer", min: 0, help: "Start at this absolute offset (moves no cursor)" },
    tail: {
      kind: "integer",
      min: 0,
      max: 1_000_000,
      help: "Start with the last N lines of retained output (moves no cursor)",
    },
    reader: { help: "Follow from this reader's unread cursor (default: default)" },
  },
  output: followOutput,
  outputNote: "one JSON object per line: {id, name, text} for output as it arrives, then {id, exit_code}",
  async run(args) {
    const refs = args.sessions as string[];
    if (refs.length === 0) throw usageError("missing argument SESSIONS (see --help)");
    if (args.from !== undefined && args.tail !== undefined) throw usageError("give --from or --tail, not both");
    if (refs.length > 1 && args.from !== undefined) throw usageError("--from takes one session");
    const reader = readerName(args);
    const from = parseInteger(args.from as string | undefined, "--from", 0, Number.MAX_SAFE_INTEGER);
    const tail = parseInteger(args.tail as string | undefined, "--tail", 0, 1_000_000);
    const targets = refs.map(resolveSession);
    const labels = targets.map(
      (files) => currentName(files.stateDir, files.id, files.readMeta()?.name ?? null) ?? String(files.id),
    );
    const width = Math.max(...labels.map((label) => label.length));
    // A reader that goes away (`follow | head`) ends it with main's quiet 141.
    // What was not written was not acknowledged: the cursor still points at it.
    const codes = await Promise.all(
      targets.map(async (files, i) => {
        const sink = sessionSink(files, targets.length > 1 ? `${labels[i]!.padEnd(width)} | ` : undefined);
        const { exit_code: code } = await api.follow(files.id, { reader, from, tail }, sink);
        await sink.flush();
        if (outputMode.json) await printJson({ id: files.id, exit_code: code });
        return code;
      }),
    );
    // One session: its exit code; several: the first non-zero, in argument order.
    return codes.find((code) => code !== 0) ?? 0;
  },
});
