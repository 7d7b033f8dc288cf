// bgterm kill: deliver a signal to the session's foreground process group.
import { command, sessionArg } from "../cli/command.ts";
import { killOutput } from "../cli/json-output.ts";
import { outputMode, printJson } from "../cli/output.ts";
import * as api from "../client/api.ts";

export default command({
  name: "kill",
  summary: "Send a signal (default INT) to the foreground process group; the session stays",
  args: [sessionArg, { name: "signal", kind: "signal", optional: true, help: "Signal name or number (default INT)" }],
  output: killOutput,
  async run(args) {
    const result = await api.kill(args.session as string, { signal: args.signal as string | undefined });
    if (outputMode.json) await printJson(result);
  },
});
