// bgterm close: end every process of a session and remove its state.
import { usageError } from "../errors.ts";
import { parseMs } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { closeOutput } from "../cli/json-output.ts";
import { notice } from "../cli/messages.ts";
import { outputMode, printJson } from "../cli/output.ts";
import * as api from "../client/api.ts";
import { parseSignal } from "../pty/signals.ts";
import { parseLabels } from "../shared/labels.ts";

export default command({
  name: "close",
  summary: "End a session's processes (SIGHUP, then SIGKILL after --grace) and remove it",
  args: [{ name: "sessions", kind: "session", many: true, optional: true, help: "Session ids or names" }],
  options: {
    all: { kind: "boolean", help: "Close every session" },
    label: {
      kind: "pair",
      short: "l",
      repeat: true,
      help: "Close every session with this label KEY=VALUE (repeatable; all must match)",
    },
    signal: { kind: "signal", default: "HUP", help: "First signal to send" },
    grace: { kind: "duration", default: 1000, help: "How long to wait before SIGKILL" },
  },
  output: closeOutput,
  async run(args) {
    const refs = args.sessions as string[];
    const labels = parseLabels(args.label as string[], "--label");
    const byLabel = Object.keys(labels).length > 0;
    if ([args.all === true, refs.length > 0, byLabel].filter(Boolean).length > 1) {
      throw usageError("give session ids, --all or --label, only one of them");
    }
    if (!args.all && refs.length === 0 && !byLabel) throw usageError("missing session id (or --all, --label)");
    const signal = parseSignal((args.signal as string | undefined) ?? "HUP");
    const graceMs = parseMs(args.grace as string | undefined, "--grace") ?? 1000;
    const { closed } = await api.close(args.all ? "all" : byLabel ? { labels } : refs, {
      signal,
      grace_ms: graceMs,
    });
    if (outputMode.json) await printJson({ closed });
    else if (closed.length > 0) await notice(`closed session ${closed.join(", ")}`);
  },
});
