// Input: send types text and keys, then waits like poll.
import { usageError } from "../../errors.ts";
import { bracketPaste, encodeKey, isCursorKey } from "../../text/keys.ts";
import { pipelineInput, terminalModes } from "../requests.ts";
import { DEFAULT_YIELD_MS, noAnswer, REQUEST_TIMEOUT_MS, resolve, type SessionRef, withDeadline } from "./common.ts";
import { pollFiles, type PollOptions, type ReadOutput, waitSpec } from "./reading.ts";

export interface SendOptions extends PollOptions {
  // Text to type (UTF-8), followed by Enter unless enter is false.
  text?: string;
  // Named keys sent after the text: Enter, Tab, Up, C-c, M-x, F1...
  keys?: string[];
  enter?: boolean;
  // In-process only: raw bytes to send instead of text (no Enter added).
  data?: Uint8Array;
  // Wrap multi-line data in bracketed paste (default: when the program enabled it).
  paste?: boolean;
}

// Types text and keys, then waits like poll, matching only output that came
// after the input. With neither text nor keys, sends Enter.
export async function send(session: SessionRef, options: SendOptions = {}): Promise<ReadOutput> {
  const files = resolve(session);
  const keyNames = options.keys ?? [];
  for (const name of keyNames) encodeKey(name); // unknown keys fail before anything is sent
  if (options.data !== undefined && options.text !== undefined) throw usageError("give text or data, not both");
  const enter = options.enter ?? true;
  const timeout = options.timeout_ms ?? (options.yield_ms ?? DEFAULT_YIELD_MS) + REQUEST_TIMEOUT_MS;
  return withDeadline(timeout, noAnswer(files, timeout), async (scope) => {
    const spec = waitSpec(options); // a bad pattern fails before anything is sent
    const channel = await scope.connectRunning(files);
    const data = options.data;
    // Cursor keys and pastes are encoded the way the program asked for them.
    const needModes =
      keyNames.some(isCursorKey) || (data !== undefined && options.paste === undefined && data.includes(10));
    const modes = needModes ? await terminalModes(files, channel) : { applicationCursor: false, bracketedPaste: false };
    const keys = keyNames.map((name) => encodeKey(name, modes)).join("");
    const parts: Uint8Array[] = [];
    if (data !== undefined) {
      const paste = options.paste ?? (modes.bracketedPaste && data.includes(10));
      parts.push(paste ? bracketPaste(data) : data);
    } else if (options.text !== undefined) parts.push(Buffer.from(enter ? `${options.text}\r` : options.text));
    else if (keys === "" && enter) parts.push(Buffer.from("\r"));
    parts.push(Buffer.from(keys));
    await pipelineInput(files, channel, Buffer.concat(parts));
    return pollFiles(files, channel, { ...options, ...spec, until: options.until }, { since_input: true });
  });
}
