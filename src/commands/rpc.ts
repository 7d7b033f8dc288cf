// bgterm rpc --stdio: the JSON-lines endpoint that remote hosts (and programs)
// talk to; see src/rpc/stdio.ts and the README's "Remote hosts".
import { command } from "../cli/command.ts";
import { usageError } from "../errors.ts";

export default command({
  name: "rpc",
  summary: "Serve the client API as JSON lines on stdin/stdout (what --host talks to over SSH)",
  local: true,
  options: {
    stdio: { kind: "boolean", help: "Speak JSON lines on stdin and stdout (the only transport)" },
  },
  outputNote: "JSON lines: a hello, then one answer per request (see README, Remote hosts)",
  async run(args) {
    if (!args.stdio) throw usageError("rpc needs --stdio");
    const { serveStdio } = await import("../rpc/stdio.ts");
    return serveStdio();
  },
});
