// The MCP server's one door to sessions: a thin adapter over src/client (the
// same requests, launch, readiness, exec markers and close the CLI uses), so
// that moving to the client API of the architecture work is a change here only.
import fs from "node:fs";
import { BgtermError, EXIT, sessionLost, sessionNeverStarted, sessionNotRunning, usageError } from "../errors.ts";
import { closeSession } from "../client/close.ts";
import { checkWorkingDir, commandArgv, resolveProgram } from "../client/command-line.ts";
import { checkShell, execMarkers, findStatus } from "../client/exec.ts";
import { launchSupervisor } from "../client/launch.ts";
import { type ReadyCheck, waitUntilReady } from "../client/readiness.ts";
import { readOffline } from "../client/offline.ts";
import { buildRecord, listRecords, type SessionRecord } from "../client/record.ts";
import { allocateSession, resolveSession, sessionState } from "../client/registry.ts";
import {
  connect,
  type OutputSink,
  type PollOptions,
  peekLive,
  pipelineInput,
  pollLive,
  type ReadResult,
  requestOk,
  sendInput,
  terminalModes,
  waitForExit,
  watchLive,
  withSession,
} from "../client/requests.ts";
import { checkBackendName } from "../pty/backend.ts";
import { OutputRing } from "../shared/ring.ts";
import { checkName } from "../shared/refs.ts";
import type { ScreenOptions, ScreenSnapshot } from "../shared/screen-model.ts";
import { ScreenModel } from "../shared/screen-model.ts";
import type { SessionFiles } from "../shared/session-files.ts";

export type { OutputSink, ReadResult, ReadyCheck, SessionFiles, SessionRecord, ScreenSnapshot };
export { buildRecord, listRecords, resolveSession, sessionState };

const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;
type Channel = NonNullable<Awaited<ReturnType<typeof connect>>>;

export interface StartRequest {
  command: string[];
  name: string | null;
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  ifExists: "error" | "reuse" | "replace";
  labels: Record<string, string>;
}

// Starts a session as `bgterm start` does; `reused` when if_exists returned a live one.
export async function startSession(request: StartRequest): Promise<{ files: SessionFiles; reused: boolean }> {
  const cwd = checkWorkingDir(request.cwd);
  const argv = commandArgv(request.command, request.env);
  resolveProgram(argv[0]!, cwd, request.env);
  const name = request.name === null ? null : checkName(request.name);
  if (request.ifExists !== "error" && name === null) throw usageError("if_exists reuse or replace needs a name");
  const spec = {
    name,
    command: argv,
    cwd,
    env: request.env,
    cols: request.cols,
    rows: request.rows,
    max_buffer: DEFAULT_MAX_BUFFER,
    backend: checkBackendName(process.env.BGTERM_BACKEND ?? "bun"),
    // Kept in spec.json until session labels land (lifecycle work); readLabels reads them back.
    labels: request.labels,
  };
  let allocation = allocateSession(spec, request.ifExists === "error" ? "error" : "return");
  if (allocation.kind === "taken" && request.ifExists === "replace") {
    await closeSession(allocation.files, "SIGHUP", 1000);
    allocation = allocateSession(spec);
  }
  if (allocation.kind === "taken") return { files: allocation.files, reused: true };
  try {
    await launchSupervisor(allocation.files, spec.env, spec.backend);
  } catch (error) {
    allocation.discard();
    throw error;
  }
  return { files: allocation.files, reused: false };
}

// The labels a session was started with ({} for sessions started without any).
export function readLabels(files: SessionFiles): Record<string, string> {
  try {
    const spec = files.readSpec() as { labels?: unknown };
    const labels = spec.labels;
    if (typeof labels !== "object" || labels === null) return {};
    return Object.fromEntries(Object.entries(labels).filter(([, value]) => typeof value === "string"));
  } catch {
    return {};
  }
}

export async function waitReady(files: SessionFiles, check: ReadyCheck, timeoutMs: number): Promise<void> {
  await waitUntilReady(files, check, timeoutMs);
}

// One idle connection per session, kept between calls: a call saves the
// connect and the supervisor's accept. A call that finds it busy (another
// call on the same session) opens its own; a connection that failed is dropped.
const idle = new Map<number, Channel>();

export interface Lease {
  channel: Channel;
  // ok: the exchange finished cleanly, so the connection may serve the next call.
  release(ok: boolean): void;
}

export async function leaseChannel(files: SessionFiles): Promise<Lease> {
  const cached = idle.get(files.id);
  idle.delete(files.id);
  const channel = cached && !cached.closed ? cached : await connectRunning(files);
  return {
    channel,
    release(ok) {
      if (ok && !channel.closed && !idle.has(files.id)) idle.set(files.id, channel);
      else channel.end();
    },
  };
}

// Drops the idle connections (the server is exiting).
export function dropConnections(): void {
  for (const channel of idle.values()) channel.end();
  idle.clear();
}

// A cursor-moving wait-and-read on a leased connection; if the supervisor went
// away meanwhile, the read is answered from the session's files instead.
export async function pollLeased(
  files: SessionFiles,
  lease: Lease,
  options: PollOptions,
  sink: OutputSink,
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
    if (!lease.channel.closed || delivered) throw error;
    return pollSession(files, options, sink);
  }
}

// A connection for input, or exit 4 saying why there is none (the CLI's sentences).
export async function connectRunning(files: SessionFiles): Promise<Channel> {
  const channel = await connect(files);
  if (channel) return channel;
  const state = sessionState(files);
  throw state === "lost"
    ? sessionLost(files.id)
    : state === "starting"
      ? sessionNeverStarted(files.id)
      : sessionNotRunning(files.id);
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

export interface ExecOutcome {
  exit_code: number | null;
  raw: Buffer;
  raw_offset: number;
  timed_out: boolean;
  running: boolean;
  shell_exit_code: number | null;
  duration_ms: number;
}

// Runs a command line in the session's shell (the markers of src/client/exec.ts);
// on timeout optionally sends C-c and waits for the shell's status.
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
    checkShell(meta);
    const markers = execMarkers(commandLine);
    const started = performance.now();
    const since = await sendInput(files, channel, Buffer.from(markers.line));
    let chunks: Buffer[] = [];
    const collect = { write: (chunk: Uint8Array) => void chunks.push(Buffer.from(chunk)) };
    const watch = (until: { source: string; flags: string }, yieldMs: number) =>
      watchLive(files, channel, { since, until, yield_ms: yieldMs, idle_ms: 0 }, collect);
    let result = await watch(markers.endPattern, timeoutMs);
    const bytes = Buffer.concat(chunks);
    let status = findStatus(bytes, markers.endPattern);
    let stopAt = status?.at ?? bytes.length;
    let timedOut = false;
    if (!status && result.running) {
      timedOut = true;
      if (interrupt) {
        stopAt = (await sendInput(files, channel, Buffer.from("\x03"))) - since;
        await sendInput(files, channel, Buffer.from(markers.probeLine));
        chunks = [];
        result = await watch(markers.probePattern, 10_000);
        status = findStatus(Buffer.concat(chunks), markers.probePattern);
      }
    }
    const begin = bytes.indexOf(markers.start);
    const bodyStart = begin === -1 ? bytes.length : begin + markers.start.length;
    const raw = bytes.subarray(bodyStart, Math.max(bodyStart, Math.min(stopAt, bytes.length)));
    return {
      exit_code: status?.status ?? null,
      raw,
      raw_offset: since + bodyStart,
      timed_out: timedOut,
      running: result.running,
      shell_exit_code: result.exit_code,
      duration_ms: Math.round(performance.now() - started),
    };
  } finally {
    channel.end();
  }
}

// The rendered screen (live from the supervisor's emulator, or rebuilt from
// the retained output of an ended session).
export async function screenOf(files: SessionFiles, options: ScreenOptions): Promise<ScreenSnapshot> {
  return withSession<ScreenSnapshot>(
    files,
    async (channel) => {
      await channel.send({ op: "screen", ...options });
      const frame = await channel.next();
      if (frame?.header.op === "error") throw new BgtermError(frame.header.code, frame.header.message);
      if (frame?.header.op !== "screen") throw new BgtermError(EXIT.internal, "no screen from the supervisor");
      return frame.header.screen;
    },
    async () => {
      const meta = files.readMeta();
      if (!meta) throw sessionNeverStarted(files.id);
      const ring = OutputRing.open(files.output, meta.max_buffer, false);
      try {
        const model = new ScreenModel(ring, meta.cols, meta.rows);
        const end = files.readEnd();
        await model.catchUp(() => end);
        return model.snapshot(options);
      } finally {
        ring.close();
      }
    },
  );
}

// The exit code once the program exits (no limit: callers race it).
export function exitCodeOf(files: SessionFiles): Promise<number> {
  return waitForExit(files);
}

export async function closeOne(files: SessionFiles, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  await closeSession(files, signal, graceMs);
}

// Delivers a signal to the terminal's foreground process group; the session stays.
export async function signalForeground(files: SessionFiles, signal: NodeJS.Signals): Promise<void> {
  const channel = await connectRunning(files);
  try {
    await requestOk(files, channel, { op: "signal", signal });
  } finally {
    channel.end();
  }
}

// The last bytes of retained output (for a list's last line), without any cursor.
export function tailBytes(files: SessionFiles, count: number): Buffer {
  const meta = files.readMeta();
  const end = files.readEnd();
  if (!meta || end === 0) return Buffer.alloc(0);
  const ring = OutputRing.open(files.output, meta.max_buffer, false);
  try {
    return Buffer.from(ring.read(Math.max(ring.retainedStart(end), end - count), end));
  } finally {
    ring.close();
  }
}

// The foreground process of the session's terminal: the shell (or program)
// itself, or a program the shell started.
export function foregroundOf(files: SessionFiles, pid: number | null): { pid: number; name: string } | null {
  if (pid === null) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const tpgid = Number(fields[5]);
    const leader = tpgid > 0 ? tpgid : pid;
    const name = fs.readFileSync(`/proc/${leader}/comm`, "utf8").trim();
    return { pid: leader, name };
  } catch {
    void files;
    return null;
  }
}
