// Input: send types text and keys, then waits like poll.
import { usageError } from "../../errors.ts";
import { encodeKey, isCursorKey, PASTE_END, PASTE_START } from "../../text/keys.ts";
import { pipelineInput, terminalModes } from "../requests.ts";
import { DEFAULT_YIELD_MS, noAnswer, REQUEST_TIMEOUT_MS, resolve, type SessionRef, withDeadline } from "./common.ts";
import { pollFiles, type PollOptions, type ReadOutput, waitSpec } from "./reading.ts";

export interface SendOptions extends PollOptions {
  // Text to type (UTF-8), followed by Enter unless enter is false.
  text?: string;
  // Named keys sent after the text: Enter, Tab, Up, C-c, M-x, F1...
  keys?: string[];
  enter?: boolean;
  // In-process only: raw bytes to send instead of text (no Enter added), or a
  // stream of them (stdin) with whether its start holds a newline.
  data?: Uint8Array | StreamedInput;
  // Wrap multi-line data in bracketed paste (default: when the program enabled it).
  paste?: boolean;
}

export interface StreamedInput {
  multiLine: boolean;
  pieces: AsyncIterable<Uint8Array>;
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
    // A kept connection (options.connection) serves the input and the wait.
    const kept = options.connection;
    const channel = kept ? kept.channel : await scope.connectRunning(files);
    try {
      const data = options.data;
      const multiLine = data === undefined ? false : data instanceof Uint8Array ? data.includes(10) : data.multiLine;
      // Cursor keys and pastes are encoded the way the program asked for them.
      const needModes = keyNames.some(isCursorKey) || (data !== undefined && options.paste === undefined && multiLine);
      const modes = needModes
        ? await terminalModes(files, channel)
        : { applicationCursor: false, bracketedPaste: false };
      const keys = Buffer.from(keyNames.map((name) => encodeKey(name, modes)).join(""));
      let input: Uint8Array | AsyncIterable<Uint8Array>;
      if (data !== undefined) {
        const paste = options.paste ?? (modes.bracketedPaste && multiLine);
        const [start, end] = paste ? [PASTE_START, PASTE_END] : [Buffer.alloc(0), Buffer.alloc(0)];
        // A stream (stdin) is passed on as it comes, never joined whole.
        input =
          data instanceof Uint8Array
            ? Buffer.concat([start, data, end, keys])
            : (async function* () {
                yield start;
                yield* data.pieces;
                yield end;
                yield keys;
              })();
      } else if (options.text !== undefined)
        input = Buffer.concat([Buffer.from(enter ? `${options.text}\r` : options.text), keys]);
      else if (keys.length === 0 && enter) input = Buffer.from("\r");
      else input = keys;
      // The input's last frame goes out with the poll that follows (one wakeup of the supervisor).
      await pipelineInput(files, channel, input, true);
    } catch (error) {
      kept?.release(false);
      throw error;
    }
    try {
      return await pollFiles(files, channel, { ...options, ...spec, until: options.until }, { since_input: true });
    } finally {
      // Input still held (the poll failed before it was sent) goes now, as it would have alone.
      channel.flushHeld();
    }
  }).catch((error) => {
    // A kept connection still in use when time ran out ends with the call.
    options.connection?.cancel();
    throw error;
  });
}
