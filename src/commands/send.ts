// bgterm send: type text and keys into a session, then wait and print like poll.
import { usageError } from "../errors.ts";
import { command, sessionArg } from "../cli/command.ts";
import { readStdinAhead } from "../cli/output.ts";
import { readOutput } from "../cli/json-output-read.ts";
import { printRead, readDestination } from "../cli/print-read.ts";
import { pollOptions, readerOptions, waitOptions } from "../cli/shared.ts";
// The API file this command needs, not the barrel: every module imported is loaded per call.
import * as api from "../client/api/input.ts";
import { encodeKey } from "../text/keys.ts";

const STDIN_LOOKAHEAD = 1024 * 1024;

export default command({
  name: "send",
  summary: "Send text (then Enter) and keys, then wait and print output like poll",
  args: [sessionArg, { name: "text", optional: true, help: "Text to type (UTF-8), followed by Enter" }],
  options: {
    key: {
      kind: "key",
      short: "k",
      repeat: true,
      help: "Send a named key after TEXT: Enter, Tab, Up, C-c, M-x, F1, q...",
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
    const text = args.text as string | undefined;
    const keys = args.key as string[];
    for (const name of keys) encodeKey(name); // unknown keys fail before anything is sent
    if (args.stdin && text !== undefined) throw usageError("give TEXT or --stdin, not both");
    const options = pollOptions(args);
    const session = args.session as string;
    // An unknown session fails before stdin is read.
    if (args.stdin) await (await import("../client/api/records.ts")).info(session);
    // stdin is streamed, never held whole: only enough is read ahead to tell
    // a multi-line paste (a newline within the first STDIN_LOOKAHEAD bytes).
    const data = args.stdin ? await readStdinAhead(STDIN_LOOKAHEAD) : undefined;
    return printRead(
      api.send(session, {
        ...options,
        ...readDestination(),
        text,
        keys,
        enter: args.enter as boolean,
        data,
        paste: args.paste as boolean | undefined,
      }),
    );
  },
});
