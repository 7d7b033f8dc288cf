// bgterm prune: remove the sessions whose programs have ended (exited) or
// whose supervisor died (lost), optionally only old ones or labelled ones.
import { command } from "../cli/command.ts";
import { pruneOutput } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import { warn } from "../cli/messages.ts";
import * as api from "../client/api.ts";
import { parseLabels } from "../shared/labels.ts";

export default command({
  name: "prune",
  summary: "Remove exited and lost sessions, printing what was removed",
  options: {
    "older-than": { kind: "duration", help: "Only sessions that ended (or started, if lost) at least this long ago" },
    label: {
      kind: "pair",
      short: "l",
      repeat: true,
      help: "Only sessions with this label KEY=VALUE (repeatable; AND)",
    },
  },
  output: pruneOutput,
  async run(args) {
    const warnings: string[] = [];
    const result = await api.prune(
      {
        older_than_ms: args["older-than"] as number | undefined,
        labels: parseLabels(args.label as string[], "--label"),
      },
      (message) => warnings.push(message),
    );
    for (const message of warnings) await warn(message);
    if (outputMode.json) return printJson(result);
    for (const r of result.removed) await printLine(`${r.id}\t${r.name ?? "-"}\t${r.state}\t${r.exit_code ?? "-"}`);
  },
});
