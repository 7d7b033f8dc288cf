// bgterm close: end every process of a session and remove its state.
import { usageError } from "../errors.ts";
import { parseMs } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { outputArgs } from "../cli/shared.ts";
import { outputMode, printJson } from "../cli/output.ts";
import { parseSignal } from "../pty/signals.ts";
import { closeSession } from "../client/close.ts";
import { listSessions, resolveSession } from "../client/registry.ts";

export default command({
  meta: { name: "close", description: "End a session's processes (SIGHUP, then SIGKILL after --grace) and remove it" },
  args: {
    sessions: { type: "positional", required: false, description: "Session ids or names" },
    all: { type: "boolean", description: "Close every session" },
    signal: { type: "string", description: "First signal to send (default HUP)" },
    grace: { type: "string", description: "Milliseconds before SIGKILL (default 1000)" },
    ...outputArgs,
  },
  parsing: { variadic: "sessions" },
  async run(args) {
    const refs = args.sessions as string[];
    if (args.all && refs.length > 0) throw usageError("give session ids or --all, not both");
    if (!args.all && refs.length === 0) throw usageError("missing session id (or --all)");
    const signal = parseSignal((args.signal as string | undefined) ?? "HUP");
    const graceMs = parseMs(args.grace as string | undefined, "--grace") ?? 1000;
    // Resolve every argument first: a bad one closes nothing.
    const targets = args.all ? listSessions() : refs.map(resolveSession);
    await Promise.all(targets.map((files) => closeSession(files, signal, graceMs)));
    if (outputMode.json) await printJson({ closed: targets.map((files) => files.id) });
  },
});
