// The read path shared by poll, send and read: ask the live supervisor, or read
// the files of an ended session, and print through one printer.
import { sessionLost, sessionNeverStarted, sessionNotRunning } from "../errors.ts";
import { connect, type PollOptions, peekLive, pollLive, readOffline, withSession } from "../client/requests.ts";
import { sessionState } from "../client/registry.ts";
import type { SessionFiles } from "../shared/session-files.ts";
import { createReadPrinter } from "./print-read.ts";

// Waits per options and prints what arrived; returns the exit code.
export async function pollAndPrint(
  files: SessionFiles,
  channel: Awaited<ReturnType<typeof connect>>,
  options: PollOptions,
): Promise<number> {
  const printer = createReadPrinter();
  let matchText = "";
  const offline = () =>
    readOffline(
      files,
      { reader: options.reader, limit: options.limit, advance: true },
      {
        async write(chunk, offset) {
          if (options.until) matchText += new TextDecoder().decode(chunk);
          await printer.sink.write(chunk, offset);
        },
      },
    );
  const result = await withSession(files, (live) => pollLive(files, live, options, printer.sink), offline, channel);
  if (options.until && result.matched === undefined) {
    result.matched = new RegExp(options.until.source, options.until.flags).test(matchText);
  }
  return printer.finish(files, result);
}

// A non-waiting read; `peek` leaves the cursor where it is.
export async function readAndPrint(
  files: SessionFiles,
  options: { reader: string; from?: number; limit?: number; peek: boolean },
): Promise<number> {
  const printer = createReadPrinter();
  const result = await withSession(
    files,
    (channel) =>
      options.peek
        ? peekLive(files, channel, options, printer.sink)
        : pollLive(
            files,
            channel,
            { reader: options.reader, limit: options.limit, yield_ms: 0, idle_ms: 0 },
            printer.sink,
          ),
    () => readOffline(files, { ...options, advance: !options.peek }, printer.sink),
  );
  return printer.finish(files, result);
}

// For input: a connection to a running session, or exit 4 saying why not.
export async function connectRunning(files: SessionFiles) {
  const channel = await connect(files);
  if (channel) return channel;
  const state = sessionState(files);
  throw state === "lost"
    ? sessionLost(files.id)
    : state === "starting"
      ? sessionNeverStarted(files.id)
      : sessionNotRunning(files.id);
}
