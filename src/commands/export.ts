// bgterm export: the session as an asciicast v2 recording or a plain transcript.
import { usageError } from "../errors.ts";
import { command, sessionArg } from "../cli/command.ts";
import { printLine, writeBytes } from "../cli/output.ts";
import { readEvents } from "../shared/events.ts";
import { withRetainedOutput } from "../client/offline.ts";
import { resolveSession } from "../client/registry.ts";
import { scanTranscript } from "../client/transcript.ts";

export default command({
  name: "export",
  summary: "Write the retained output as asciicast v2 (--format cast) or plain text (txt)",
  args: [sessionArg],
  options: {
    format: {
      kind: "enum",
      values: ["cast", "txt"],
      default: "cast",
      help: "cast (asciicast v2, for asciinema play) or txt",
    },
  },
  outputNote: "prints the recording itself (asciicast v2 lines or text), not a JSON document",
  async run(args) {
    const format = (args.format as string | undefined) ?? "cast";
    if (format !== "cast" && format !== "txt") throw usageError(`unknown format '${format}' (choose cast or txt)`);
    const files = resolveSession(args.session as string);
    const spec = files.readSpec();
    const end = files.readEnd();
    // A session that never started has no output to export (exit 4).
    await withRetainedOutput(files, async (ring, meta) => {
      const start = ring.retainedStart(end);
      if (format === "txt") {
        // The same lines as `lines`: as a terminal of the session's width shows them.
        let out: string[] = [];
        const flush = async () => {
          if (out.length > 0) await writeBytes(Buffer.from(`${out.join("\n")}\n`));
          out = [];
        };
        await scanTranscript(
          files,
          ({ endLine }) => ({ from: 0, to: endLine }),
          async (_line, text) => {
            out.push(text);
            if (out.length >= 4096) await flush();
          },
        );
        return void (await flush());
      }
      await printLine(
        JSON.stringify({
          version: 2,
          width: meta.cols,
          height: meta.rows,
          timestamp: Math.floor(Date.parse(meta.started_at) / 1000),
          command: meta.command.join(" "),
          env: { TERM: spec.env.TERM ?? "xterm-256color", SHELL: spec.env.SHELL ?? "/bin/sh" },
        }),
      );
      // Output between consecutive marks becomes one event at the later mark's
      // time; a streaming decoder keeps characters whole across events.
      const decoder = new TextDecoder("utf-8");
      let at = start;
      let lastTime = 0;
      const emit = async (time: number, kind: "o" | "i" | "m", text: string) => {
        lastTime = Math.max(lastTime, time);
        if (text) await printLine(JSON.stringify([Number((lastTime / 1000).toFixed(6)), kind, text]));
      };
      for (const event of readEvents(files.events)) {
        if ("i" in event) {
          await emit(event.t, "i", Buffer.from(event.i, "latin1").toString("utf8"));
          continue;
        }
        if ("m" in event) {
          if (typeof event.m === "string") await emit(event.t, "m", event.m);
          continue;
        }
        if (typeof event.o !== "number") continue;
        const to = Math.min(event.o, end);
        if (to <= at) continue;
        await emit(event.t, "o", decoder.decode(ring.read(at, to), { stream: true }));
        at = to;
      }
      // Output not yet marked (the session is still writing) gets the last time.
      await emit(
        lastTime,
        "o",
        (at < end ? decoder.decode(ring.read(at, end), { stream: true }) : "") + decoder.decode(),
      );
    });
  },
});
