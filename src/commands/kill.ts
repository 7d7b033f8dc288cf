// bgterm kill: deliver a signal to the session's foreground process group.
import { command } from "../cli/command.ts";
import { connectRunning } from "../cli/read-session.ts";
import { outputArgs, sessionArg } from "../cli/shared.ts";
import { parseSignal } from "../pty/signals.ts";
import { requestOk } from "../client/requests.ts";
import { resolveSession } from "../client/registry.ts";

export default command({
  meta: { name: "kill", description: "Send a signal (default INT) to the foreground process group; the session stays" },
  args: {
    ...sessionArg,
    signal: { type: "positional", required: false, description: "Signal name or number (default INT)" },
    ...outputArgs,
  },
  async run(args) {
    const signal = parseSignal((args.signal as string | undefined) ?? "INT");
    const files = resolveSession(args.session as string);
    const channel = await connectRunning(files);
    await requestOk(files, channel, { op: "signal", signal });
    channel.end();
  },
});
