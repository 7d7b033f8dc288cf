// Following a session: its output as it arrives until the program has ended
// for good (restarts included), then its exit code. From a reader's cursor the
// reads are leased, so a follower stopped by Ctrl-C or a closed pipe loses
// nothing it had not printed; from an offset (--from, --tail) no cursor moves.
import { notRunningError } from "../errors.ts";
import type { SessionFiles } from "../shared/session-files.ts";
import { sessionState } from "./registry.ts";
import { withLock } from "../shared/flock.ts";
import { readOffline, withRetainedOutput } from "./offline.ts";
import { type ClientChannel, connect, type OutputSink, pollLive, type ReadResult, watchLive } from "./requests.ts";

// One wait's bound; the follower simply asks again (every request has a deadline).
const FOLLOW_YIELD_MS = 60_000;
// How far back --tail looks for line starts.
const TAIL_SCAN_BYTES = 1 << 20;

export interface FollowOptions {
  // Leased reads from this reader's cursor...
  reader: string;
  // ...or, when set, cursor-free reads from this absolute offset.
  from?: number;
  // Connects instead of `connect` (a deadline's scope ends these connections).
  connect?: (files: SessionFiles) => Promise<ClientChannel | undefined>;
}

// The offset where the last `lines` lines of the retained output begin.
export function tailOffset(files: SessionFiles, lines: number): number {
  const meta = files.readMeta();
  const end = files.readEnd();
  if (!meta || end === 0) return 0;
  return withRetainedOutput(files, (ring) => {
    const start = Math.max(ring.retainedStart(end), end - TAIL_SCAN_BYTES);
    const bytes = ring.read(start, end);
    // A final newline ends the last line; it does not start an empty one.
    let at = bytes.length - (bytes[bytes.length - 1] === 10 ? 1 : 0);
    for (let seen = 0; seen < lines; seen++) {
      const newline = bytes.lastIndexOf(10, at - 1);
      if (newline < 0) return start;
      at = newline;
    }
    return lines === 0 ? end : start + at + 1;
  });
}

// Streams the session's output into `sink` until it has ended; returns its exit code.
export async function followSession(files: SessionFiles, options: FollowOptions, sink: OutputSink): Promise<number> {
  let position = options.from;
  for (;;) {
    const channel = await (options.connect ?? connect)(files);
    if (!channel) break;
    try {
      for (;;) {
        let result: ReadResult;
        if (position === undefined) {
          result = await pollLive(
            files,
            channel,
            { reader: options.reader, yield_ms: FOLLOW_YIELD_MS, idle_ms: 0 },
            sink,
          );
        } else {
          result = await watchLive(files, channel, { since: position, yield_ms: FOLLOW_YIELD_MS, idle_ms: 0 }, sink);
          position = result.to;
        }
        if (!result.running && result.to >= result.end) return result.exit_code ?? 0;
      }
    } catch (error) {
      // The supervisor left (it exits once the end is recorded): finish from the files.
      if (sessionState(files) === "running") throw error;
    } finally {
      channel.end();
    }
    if (sessionState(files) !== "running") break;
  }
  // The supervisor is gone or going: its lock says when its files are final.
  const result = await withLock(files.lock, () =>
    readOffline(
      files,
      position === undefined ? { reader: options.reader, advance: true } : { from: position, advance: false },
      sink,
    ),
  );
  if (result.exit_code === null) {
    throw notRunningError(`session ${files.id} is lost: its supervisor died without recording an exit status`);
  }
  return result.exit_code;
}
