// bgterm send: type text and keys into a session, then wait and print like poll.
import { usageError } from "../errors.ts";
import { command } from "../cli/command.ts";
import { connectRunning, pollAndPrint } from "../cli/read-session.ts";
import { outputArgs, pollOptions, readerArgs, sessionArg, waitArgs } from "../cli/shared.ts";
import { sendInput } from "../session/client.ts";
import { resolveSession } from "../session/registry.ts";
import { encodeKey } from "../text/keys.ts";

export default command({
  meta: { name: "send", description: "Send text (then Enter) and keys, then wait and print output like poll" },
  args: {
    ...sessionArg,
    text: { type: "positional", required: false, description: "Text to type (UTF-8), followed by Enter" },
    key: { type: "string", alias: "k", description: "Send a named key after TEXT: Enter, Tab, Up, C-c, M-x, F1... (repeatable)" },
    enter: { type: "boolean", default: true, description: "Use --no-enter to send TEXT without Enter" },
    stdin: { type: "boolean", description: "Send standard input's raw bytes (no Enter added)" },
    ...waitArgs,
    ...readerArgs,
    ...outputArgs,
  },
  parsing: { repeatable: ["key"] },
  async run(args) {
    const files = resolveSession(args.session as string);
    const text = args.text as string | undefined;
    const keys = (args.key as string[]).map(encodeKey).join("");
    if (args.stdin && text !== undefined) throw usageError("give TEXT or --stdin, not both");
    const options = pollOptions(args);
    const parts: Uint8Array[] = [];
    if (args.stdin) parts.push(await Bun.stdin.bytes());
    else if (text !== undefined) parts.push(Buffer.from(args.enter ? `${text}\r` : text));
    else if (keys === "" && args.enter) parts.push(Buffer.from("\r"));
    parts.push(Buffer.from(keys));
    const channel = await connectRunning(files);
    const since = await sendInput(files, channel, Buffer.concat(parts));
    return pollAndPrint(files, channel, { ...options, since });
  },
});
