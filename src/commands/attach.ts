// bgterm attach: take over a session from your terminal. The session's screen
// is drawn first (on the terminal's alternate screen, so leaving restores what
// was there), then output flows live, keystrokes are forwarded, the window size
// is followed, and the detach key leaves the session running.
import { EXIT, usageError } from "../errors.ts";
import { command, sessionArg } from "../cli/command.ts";
import { isTerminal, writeTerminalSync } from "../cli/output.ts";
import { writeStderr } from "../cli/messages.ts";
import * as api from "../client/api.ts";
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
    const stdin = process.stdin as import("node:tty").ReadStream;
    const stdout = process.stdout as import("node:tty").WriteStream;
    const write = writeTerminalSync;

    // Take the terminal's size, then draw the session's screen as it is now;
    // the output after it follows as it arrives.
    const session = await api.subscribe(args.session as string, { cols: stdout.columns, rows: stdout.rows });
    const { screen, id } = session;
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
        session.close();
        resolve(code);
      };
      stdin.on("data", (chunk: Buffer) => {
        const at = chunk.indexOf(detachByte);
        const keys = at === -1 ? chunk : chunk.subarray(0, at);
        if (keys.length > 0) void session.input(keys);
        if (at !== -1) finish(EXIT.ok, `[detached from session ${id}]`);
      });
      stdout.on("resize", () => {
        void session.resize(stdout.columns, stdout.rows);
      });
      void session
        .follow(write)
        .then((code) =>
          code === null
            ? finish(EXIT.ok, `[session ${id} is gone]`)
            : finish(code, `[session ${id} exited with code ${code}]`),
        );
    });
  },
});
