// bgterm send: type text and keys into a session, then wait and print like poll.
import { usageError } from "../errors.ts";
import { command, sessionArg } from "../cli/command.ts";
import { readOutput } from "../cli/json-output.ts";
import { connectRunning, pollAndPrint } from "../cli/read-session.ts";
import { pollOptions, readerOptions, waitOptions } from "../cli/shared.ts";
import { pipelineInput, terminalModes } from "../client/requests.ts";
import { resolveSession } from "../client/registry.ts";
import { bracketPaste, encodeKey, isCursorKey } from "../text/keys.ts";

export default command({
  name: "send",
  summary: "Send text (then Enter) and keys, then wait and print output like poll",
  args: [sessionArg, { name: "text", optional: true, help: "Text to type (UTF-8), followed by Enter" }],
  options: {
    key: {
      kind: "key",
      short: "k",
      repeat: true,
      help: "Send a named key after TEXT: Enter, Tab, Up, C-c, M-x, F1...",
    },
    enter: { kind: "boolean", default: true, help: "Use --no-enter to send TEXT without Enter" },
    stdin: { kind: "boolean", help: "Send standard input's raw bytes (no Enter added)" },
    paste: {
      kind: "boolean",
      negatable: true,
      help: "Wrap multi-line --stdin in bracketed paste (default: when the program enabled it; --no-paste never)",
    },
    ...waitOptions,
    ...readerOptions,
  },
  output: readOutput,
  async run(args) {
    const files = resolveSession(args.session as string);
    const text = args.text as string | undefined;
    const keyNames = args.key as string[];
    for (const name of keyNames) encodeKey(name); // unknown keys fail before anything is sent
    if (args.stdin && text !== undefined) throw usageError("give TEXT or --stdin, not both");
    const options = pollOptions(args);
    const channel = await connectRunning(files);
    const stdin = args.stdin ? await Bun.stdin.bytes() : undefined;
    // Cursor keys and pastes are encoded the way the program asked for them.
    const needModes =
      keyNames.some(isCursorKey) || (stdin !== undefined && args.paste === undefined && stdin.includes(10));
    const modes = needModes ? await terminalModes(files, channel) : { applicationCursor: false, bracketedPaste: false };
    const keys = keyNames.map((name) => encodeKey(name, modes)).join("");
    const parts: Uint8Array[] = [];
    if (stdin !== undefined) {
      const paste = args.paste ?? (modes.bracketedPaste && stdin.includes(10));
      parts.push(paste ? bracketPaste(stdin) : stdin);
    } else if (text !== undefined) parts.push(Buffer.from(args.enter ? `${text}\r` : text));
    else if (keys === "" && args.enter) parts.push(Buffer.from("\r"));
    parts.push(Buffer.from(keys));
    await pipelineInput(files, channel, Buffer.concat(parts));
    return pollAndPrint(files, channel, { ...options, since_input: true });
  },
});
