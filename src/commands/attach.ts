// bgterm attach: take over a session from your terminal. The session's screen
// is drawn first (on the terminal's alternate screen, so leaving restores what
// was there), then output flows live, keystrokes are forwarded, the window size
// is followed, and the detach key leaves the session running.
import fs from "node:fs";
import { BgtermError, EXIT, sessionNotRunning, usageError } from "../errors.ts";
import { command, sessionArg } from "../cli/command.ts";
import { isTerminal } from "../cli/output.ts";
import { writeStderr } from "../cli/messages.ts";
import { connect, requestOk, sendInput } from "../client/requests.ts";
import { resolveSession } from "../client/registry.ts";
import { encodeKey } from "../text/keys.ts";

// Leave the alternate screen and undo modes a program may have switched on.
const RESTORE = "\x1b[0m\x1b[?25h\x1b[?1l\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1049l";

export default command({
  name: "attach",
  summary: "Connect your terminal to a session; the detach key (default C-]) leaves it running",
  args: [sessionArg],
  options: {
    "detach-key": { kind: "key", help: "Key that detaches, in send -k notation (default C-])" },
  },
  outputNote: "prints no JSON document: the session is shown on your terminal until you detach",
  async run(args) {
    if (!isTerminal(0) || !isTerminal(1)) {
      throw usageError(
        "attach needs a terminal on stdin and stdout (it forwards your keystrokes); use send and poll from scripts",
      );
    }
    const detachKey = encodeKey((args["detach-key"] as string | undefined) ?? "C-]");
    if (detachKey.length !== 1) throw usageError("the detach key must be a single byte, such as C-] or C-q");
    const detachByte = detachKey.charCodeAt(0);
    const files = resolveSession(args.session as string);
    const stream = await connect(files);
    const control = await connect(files);
    if (!stream || !control) throw sessionNotRunning(files.id);
    const stdin = process.stdin as import("node:tty").ReadStream;
    const stdout = process.stdout as import("node:tty").WriteStream;
    const write = (text: string | Uint8Array) => fs.writeSync(1, typeof text === "string" ? Buffer.from(text) : text);

    // Take the terminal's size, then draw the session's screen as it is now.
    await requestOk(files, control, { op: "resize", cols: stdout.columns, rows: stdout.rows }).catch(() => {});
    await stream.send({ op: "screen", ansi: true });
    const frame = await stream.next();
    if (frame?.header.op !== "screen") throw new BgtermError(EXIT.internal, "could not read the session's screen");
    const { screen, offset } = frame.header;
    let restored = false;
    const restore = () => {
      if (restored) return;
      restored = true;
      if (stdin.isTTY) stdin.setRawMode(false);
      write(RESTORE);
    };
    for (const signal of ["SIGTERM", "SIGHUP", "SIGQUIT"] as const) {
      process.on(signal, () => {
        restore();
        process.exit(128 + (signal === "SIGTERM" ? 15 : signal === "SIGHUP" ? 1 : 3));
      });
    }
    process.on("exit", restore);
    stdin.setRawMode(true);
    write(`\x1b[?1049h\x1b[H\x1b[2J${screen.lines.join("\r\n")}\x1b[${screen.cursor_y + 1};${screen.cursor_x + 1}H`);

    return new Promise<number>((resolve) => {
      let finished = false;
      const finish = (code: number, message?: string) => {
        if (finished) return;
        finished = true;
        restore();
        if (message) writeStderr(message);
        stream.end();
        control.end();
        resolve(code);
      };
      stdin.on("data", (chunk: Buffer) => {
        const at = chunk.indexOf(detachByte);
        const keys = at === -1 ? chunk : chunk.subarray(0, at);
        if (keys.length > 0) void sendInput(files, control, keys).catch(() => {});
        if (at !== -1) finish(EXIT.ok, `[detached from session ${files.id}]`);
      });
      stdout.on("resize", () => {
        void requestOk(files, control, { op: "resize", cols: stdout.columns, rows: stdout.rows }).catch(() => {});
      });
      void (async () => {
        await stream.send({ op: "subscribe", from: offset });
        for (;;) {
          const next = await stream.next();
          if (!next) return finish(EXIT.ok, `[session ${files.id} is gone]`);
          if (next.header.op === "data") write(next.payload);
          else if (next.header.op === "exited") {
            return finish(next.header.exit_code, `[session ${files.id} exited with code ${next.header.exit_code}]`);
          }
        }
      })();
    });
  },
});
