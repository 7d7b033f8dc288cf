// bgterm kill: deliver a signal to the session's foreground process group.
import { command, sessionArg } from "../cli/command.ts";
import { killOutput } from "../cli/json-output.ts";
import { outputMode, printJson } from "../cli/output.ts";
import { connectRunning } from "../cli/read-session.ts";
import { parseSignal } from "../pty/signals.ts";
import { requestOk } from "../client/requests.ts";
import { resolveSession } from "../client/registry.ts";

export default command({
  name: "kill",
  summary: "Send a signal (default INT) to the foreground process group; the session stays",
  args: [sessionArg, { name: "signal", kind: "signal", optional: true, help: "Signal name or number (default INT)" }],
  output: killOutput,
  async run(args) {
    const signal = parseSignal((args.signal as string | undefined) ?? "INT");
    const files = resolveSession(args.session as string);
    const channel = await connectRunning(files);
    await requestOk(files, channel, { op: "signal", signal });
    channel.end();
    if (outputMode.json) await printJson({ id: files.id, signal });
  },
});
