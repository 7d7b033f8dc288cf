// The MCP server's one door to sessions. Start, screen, wait, close and kill
// are the client API's (src/client/api.ts) as they are; reads and exec use the
// same src/client pieces the API is built from, for what the API does not
// offer yet: a connection kept between calls, where a send's input began
// (input_end), and exec output with its stream offsets.
import { BgtermError, EXIT, sessionNeverStarted } from "../errors.ts";
import { runInShell, type ShellRun } from "../client/exec.ts";
import type { ReadyCheck } from "../client/readiness.ts";
import { outputTail, readOffline } from "../client/offline.ts";
import { buildRecord, listRecords, type SessionRecord } from "../client/record.ts";
import { resolveSession, sessionLabels, sessionState } from "../client/registry.ts";
import {
  connect,
  connectRunning,
  type OutputSink,
  type PollOptions,
  peekLive,
  pipelineInput,
  pollLive,
  type ReadResult,
  terminalModes,
  waitForExit,
  watchLive,
  withSession,
} from "../client/requests.ts";
import * as api from "../client/api.ts";
import { foregroundProcess } from "../shared/procfs.ts";
import type { ScreenOptions, ScreenSnapshot } from "../shared/screen-model.ts";
import type { SessionFiles } from "../shared/session-files.ts";

export type { OutputSink, ReadResult, ReadyCheck, SessionFiles, SessionRecord, ScreenSnapshot };
export { buildRecord, listRecords, resolveSession, sessionState };

type Channel = NonNullable<Awaited<ReturnType<typeof connect>>>;

// Starts a session (labels, readiness, time limits, restart, health: all the API's).
export const startSession = api.startSession;
export const waitReady = api.waitReady;
export const pruneSessions = api.prune;
export const projectUp = api.up;
export const projectDown = api.down;
export type StartOptions = api.StartOptions;

// The labels a session was started with ({} for none, or a spec that cannot be read).
export const readLabels = (files: SessionFiles): Record<string, string> => sessionLabels(files);

// One idle connection per session, kept between calls for a short while: a
// burst of calls saves the connect, the version hello and the supervisor's
// accept. A call that finds it busy (another call on the same session) opens
// its own; a connection that failed is dropped; an idle one is ended after
// IDLE_MS, and at once before a close or after an exit, because a supervisor
// whose program ended waits for its clients to go before it exits.
const IDLE_MS = 1000;
const idle = new Map<number, { channel: Channel; timer: ReturnType<typeof setTimeout> }>();

export interface Lease {
  channel: Channel;
  // ok: the exchange finished cleanly, so the connection may serve the next call.
  release(ok: boolean): void;
}

function takeIdle(id: number): Channel | undefined {
  const entry = idle.get(id);
  if (!entry) return undefined;
  idle.delete(id);
  clearTimeout(entry.timer);
  return entry.channel;
}

export async function leaseChannel(files: SessionFiles): Promise<Lease> {
  const cached = takeIdle(files.id);
  const channel = cached && !cached.closed ? cached : await connectRunning(files);
  return {
    channel,
    release(ok) {
      if (!ok || channel.closed || idle.has(files.id)) return channel.end();
      const timer = setTimeout(() => takeIdle(files.id)?.end(), IDLE_MS);
      timer.unref();
      idle.set(files.id, { channel, timer });
    },
  };
}

// Ends the idle connection to a session (before closing it, or once it exited).
export function forgetConnection(id: number): void {
  takeIdle(id)?.end();
}

// Drops every idle connection (the server is exiting).
export function dropConnections(): void {
  for (const id of [...idle.keys()]) forgetConnection(id);
}

// A cursor-moving wait-and-read on a leased connection; if the supervisor went
// away meanwhile, the read is answered from the session's files instead.
export async function pollLeased(
  files: SessionFiles,
  lease: Lease,
  options: PollOptions,
  sink: OutputSink,
  // True once the caller gave up (it ended the connection): no second try then.
  cancelled: () => boolean = () => false,
): Promise<ReadResult> {
  let delivered = false;
  const counting = {
    write: (chunk: Uint8Array, offset: number) => {
      delivered = true;
      return sink.write(chunk, offset);
    },
  };
  try {
    const result = await pollLive(files, lease.channel, options, counting);
    lease.release(true);
    return result;
  } catch (error) {
    lease.release(false);
    if (cancelled()) throw new BgtermError(EXIT.internal, `the read of session ${files.id} was cancelled`);
    if (!lease.channel.closed || delivered) throw error;
    return pollSession(files, options, sink);
  }
}

export async function modesOf(files: SessionFiles, channel: Channel) {
  return terminalModes(files, channel);
}

// Writes input without waiting for its acknowledgement: a poll with
// since_input follows in the same round trip and reports input_end.
export async function writeInputPipelined(files: SessionFiles, channel: Channel, data: Uint8Array): Promise<void> {
  await pipelineInput(files, channel, data);
}

// A cursor-moving wait-and-read (live, or from the files of an ended session).
export async function pollSession(
  files: SessionFiles,
  options: PollOptions,
  sink: OutputSink,
  channel?: Channel,
): Promise<ReadResult> {
  return withSession(
    files,
    (live) => pollLive(files, live, options, sink),
    () => readOffline(files, { reader: options.reader, limit: options.limit, advance: true }, sink),
    channel,
  );
}

// Reads from an absolute offset, moving no cursor.
export async function peekSession(
  files: SessionFiles,
  options: { reader: string; from?: number; limit?: number },
  sink: OutputSink,
): Promise<ReadResult> {
  return withSession(
    files,
    (channel) => peekLive(files, channel, options, sink),
    () => readOffline(files, { ...options, advance: false }, sink),
  );
}

// Waits without consuming until the session has unread output (matching
// `until`, quiet for idle); true if it has. Ended sessions answer from files.
export async function watchForOutput(
  files: SessionFiles,
  options: PollOptions,
  cancel: { channels: Channel[] },
): Promise<boolean> {
  const channel = await connect(files);
  if (!channel) return files.readEnd() > files.readCursor(options.reader);
  cancel.channels.push(channel);
  const result = await watchLive(files, channel, options, { write() {} });
  return result.to > result.from && result.matched !== false;
}

export type ExecOutcome = ShellRun;

// Runs a command line in the session's shell (src/client/exec.ts, as `bgterm
// exec`); on timeout optionally sends C-c and waits for the shell's status.
export async function execInShell(
  files: SessionFiles,
  commandLine: string,
  timeoutMs: number,
  interrupt: boolean,
): Promise<ExecOutcome> {
  const meta = files.readMeta();
  if (!meta) throw sessionNeverStarted(files.id);
  const channel = await connectRunning(files);
  try {
    // A refusal (a program in front that waits for input, not a shell) is an error.
    const run = await runInShell(files, channel, commandLine, timeoutMs, interrupt);
    if (run.error) throw new BgtermError(run.error.code, run.error.message);
    return run;
  } finally {
    channel.end();
  }
}

// The rendered screen (live, or replayed from an ended session's output).
export async function screenOf(files: SessionFiles, options: ScreenOptions): Promise<ScreenSnapshot> {
  return api.screen(files.id, options);
}

// The exit code once the program exits (no limit: the server's exit watchers).
export function exitCodeOf(files: SessionFiles): Promise<number> {
  return waitForExit(files);
}

// The first of several sessions to exit, or undefined when timeoutMs passed first.
export async function firstExit(
  targets: SessionFiles[],
  timeoutMs: number,
): Promise<{ id: number; exit_code: number } | undefined> {
  try {
    return await api.wait(
      targets.map((files) => files.id),
      { timeout_ms: timeoutMs },
    );
  } catch (error) {
    if (error instanceof BgtermError && error.exitCode === EXIT.timeout) return undefined;
    throw error;
  }
}

export async function closeOne(files: SessionFiles, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  forgetConnection(files.id);
  await api.close([files.id], { signal, grace_ms: graceMs });
}

// Delivers a signal to the terminal's foreground process group; the session stays.
export async function signalForeground(files: SessionFiles, signal: NodeJS.Signals): Promise<void> {
  await api.kill(files.id, { signal });
}

// The last bytes of retained output (for a list's last line), without any cursor.
export function tailBytes(files: SessionFiles, count: number): Buffer {
  return outputTail(files, count);
}

// The foreground process of the session's terminal: the shell (or program)
// itself, or a program the shell started.
export function foregroundOf(pid: number | null): { pid: number; name: string } | null {
  return pid === null ? null : (foregroundProcess(pid) ?? null);
}
