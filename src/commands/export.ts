// bgterm export: the session as an asciicast v2 recording or a plain transcript
// (the encoders are in src/export/).
import { command, sessionArg } from "../cli/command.ts";
import { writeBytes } from "../cli/output.ts";
import { withRetainedOutput } from "../client/offline.ts";
import { resolveSession } from "../client/registry.ts";
import { scanTranscript } from "../client/transcript.ts";
import { ENCODERS, EXPORT_FORMATS, type ExportFormat } from "../export/encoders.ts";
import { readEvents } from "../shared/events.ts";

export default command({
  name: "export",
  summary: "Write the retained output as asciicast v2 (--format cast) or plain text (txt)",
  args: [sessionArg],
  options: {
    format: {
      kind: "enum",
      values: EXPORT_FORMATS,
      default: "cast",
      help: "cast (asciicast v2, for asciinema play) or txt",
    },
  },
  outputNote: "prints the recording itself (asciicast v2 lines or text), not a JSON document",
  async run(args) {
    const encode = ENCODERS[(args.format as ExportFormat | undefined) ?? "cast"];
    const files = resolveSession(args.session as string);
    const spec = files.readSpec();
    const end = files.readEnd();
    const lines = async (visit: (text: string) => Promise<void>) => {
      await scanTranscript(
        files,
        ({ endLine }) => ({ from: 0, to: endLine }),
        (_line, text) => visit(text),
      );
    };
    // A session that never started has no output to export (exit 4).
    await withRetainedOutput(files, (ring, meta) =>
      encode(
        { meta, env: spec.env, ring, start: ring.retainedStart(end), end, events: readEvents(files.events), lines },
        writeBytes,
      ),
    );
  },
});
