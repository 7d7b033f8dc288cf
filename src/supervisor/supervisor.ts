// The per-session event loop: owns the PTY and the child, appends every output
// byte to the session's ring file as it arrives, serves clients on the control
// socket, reaps the child, records its exit status, and exits once that final
// state is on disk. Everything waits on events (PTY data, socket traffic, child
// exit, timers armed for a deadline); nothing polls.
import fs from "node:fs";
import type { Socket } from "bun";
import { BgtermError, EXIT, errnoCode, notRunningError } from "../errors.ts";
import { type BackendName, loadBackend, type PtyProcess } from "../pty/backend.ts";
import { parseSignal } from "../pty/signals.ts";
import { Channel } from "../shared/channel.ts";
import type { Conn } from "./connection.ts";
import { DELIVERY_CHUNK } from "../shared/delivery.ts";
import { openPrivate, READ_WRITE_CREATE } from "../shared/private-fs.ts";
import { type HeldLock, tryLockExclusive } from "../shared/flock.ts";
import { readProcStat, sessionMembers, signalSession } from "../shared/procfs.ts";
import type { Reply, Request } from "../shared/protocol.ts";
import { ReaderDesk } from "./readers.ts";
import { Recorder } from "../shared/events.ts";
import { ScreenModel } from "../shared/screen-model.ts";
import { OutputRing } from "../shared/ring.ts";
import {
  type ExitStatus,
  formatOffset,
  recordStorageError,
  type SessionMeta,
  SessionFiles,
  type SessionSpec,
} from "../shared/session-files.ts";

// After the child exits, how long to wait for the PTY's EOF (a background job
// may hold the terminal open) before recording the final state anyway.
const EOF_GRACE_MS = 200;
// After the final state is recorded, how long clients may take to collect it.
const LINGER_MS = 5000;
// Output volume between full garbage collections during a flood.
const FLOOD_COLLECT_BYTES = 64 * 1024 * 1024;
// Output after which a session's emulator is created (when quiet) unasked.
const SCREEN_EAGER_BYTES = 2 * 1024 * 1024;
// Quiet time after which the screen emulator (if any) catches up.
const SCREEN_IDLE_FEED_MS = 50;
// While closing: how often to look for session members that outlived the signal.
const CLOSE_CHECK_MS = 20;

// A failed start as the launcher reports it; exec's failures as shells do:
// 127 not found, 126 found but not runnable.
function describeStartFailure(error: unknown, program: string): { code: number; message: string } {
  if (error instanceof BgtermError) return { code: error.exitCode, message: error.message };
  const errno = errnoCode(error);
  if (errno === "ENOENT") return { code: EXIT.notFound, message: `command not found: ${program}` };
  if (errno === "EACCES" || errno === "ENOEXEC" || errno === "EISDIR" || errno === "EPERM") {
    const why = errno === "ENOEXEC" ? "not a program the system can run" : "permission denied";
    return { code: EXIT.cannotExecute, message: `cannot execute ${program}: ${why}` };
  }
  return { code: EXIT.internal, message: error instanceof Error ? error.message : String(error) };
}

function countNewlines(chunk: Uint8Array): number {
  const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let count = 0;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) count++;
  return count;
}

export class Supervisor {
  private end = 0;
  // Newlines in the whole stream, so line numbers stay absolute after drops.
  private lineCount = 0;
  private lastOutputAt = 0;
  private eof = false;
  private childExit?: ExitStatus;
  private finalStatus?: ExitStatus;
  private closing = false;
  // The launcher has been told the session started.
  private announced = false;
  // Cursors, waiting polls and leased deliveries.
  private readonly desk: ReaderDesk;
  private readonly exitWatchers = new Set<Conn>();
  private readonly subscribers = new Set<Conn>();
  private readonly connections = new Set<Conn>();
  private readonly inputQueue: { data: Uint8Array; done: () => void }[] = [];
  private pty!: PtyProcess;
  private recorder!: Recorder;
  private screen!: ScreenModel;
  private idleFeed?: Timer;
  private meta!: SessionMeta;
  private server?: ReturnType<typeof Bun.listen>;
  private readonly endFd: number;
  private readonly storageErrorFd: number;

  private constructor(
    private readonly files: SessionFiles,
    private readonly ring: OutputRing,
    private readonly lock: HeldLock,
  ) {
    this.endFd = openPrivate(files.end, READ_WRITE_CREATE);
    fs.writeSync(this.endFd, formatOffset(0) + formatOffset(0), 0);
    this.storageErrorFd = files.reserveStorageError();
    this.desk = new ReaderDesk({
      ring,
      files,
      end: () => this.end,
      lastOutputAt: () => this.lastOutputAt,
      running: () => this.finalStatus === undefined,
      exitCode: () => this.finalStatus?.exit_code ?? null,
      storageError: () => this.storageError,
      noteStorageError: (error) => this.noteStorageError(error),
    });
  }

  // Starts the child and the socket; reports success or failure on the handshake fd.
  static async run(stateDir: string, id: number, handshakeFd: number): Promise<void> {
    const files = new SessionFiles(stateDir, id);
    const lock = tryLockExclusive(files.lock);
    if (!lock) throw new BgtermError(EXIT.internal, `session ${id} already has a supervisor`);
    const spec = files.readSpec();
    const ring = OutputRing.open(files.output, spec.max_buffer, true);
    const supervisor = new Supervisor(files, ring, lock);
    try {
      await supervisor.start(spec);
    } catch (error) {
      const { code, message } = describeStartFailure(error, spec.command[0] ?? "");
      fs.writeSync(handshakeFd, `${JSON.stringify({ ok: false, code, message })}\n`);
      fs.closeSync(handshakeFd);
      process.exit(code);
    }
    fs.writeSync(handshakeFd, `${JSON.stringify({ ok: true })}\n`);
    fs.closeSync(handshakeFd);
    supervisor.announced = true;
    // A child that exited during start-up could not shut us down before the
    // launcher heard "ok"; do it now.
    if (supervisor.finalStatus && !supervisor.closing) supervisor.shutdownWhenIdle();
  }

  private async start(spec: SessionSpec): Promise<void> {
    const backend = await loadBackend(spec.backend as BackendName);
    const startedAt = Date.now();
    this.recorder = new Recorder(this.files.events, startedAt);
    this.screen = new ScreenModel(this.ring, spec.cols, spec.rows);
    this.pty = backend.spawn(
      { argv: spec.command, cwd: spec.cwd, env: spec.env, cols: spec.cols, rows: spec.rows },
      {
        data: (chunk) => this.onOutput(chunk),
        end: () => this.onEof(),
        exit: (code, signal) => this.onChildExit(code, signal),
        drain: () => this.pumpInput(),
      },
    );
    this.meta = {
      id: this.files.id,
      name: spec.name,
      command: spec.command,
      cwd: spec.cwd,
      cols: spec.cols,
      rows: spec.rows,
      backend: backend.name,
      max_buffer: spec.max_buffer,
      started_at: new Date(startedAt).toISOString(),
      pid: this.pty.pid,
      supervisor_pid: process.pid,
    };
    this.files.writeMeta(this.meta);
    this.server = Bun.listen<Conn>({
      unix: this.files.socket,
      socket: {
        open: (socket) => this.onConnect(socket),
        data: (socket, chunk) => socket.data.received(chunk),
        drain: (socket) => socket.data.flush(),
        close: (socket) => socket.data.closedByPeer(),
        error: (socket) => socket.data.closedByPeer(),
      },
    });
    fs.chmodSync(this.files.socket, 0o600);
    // Nothing of the caller's stays: no cwd to pin a mount, no terminal signals.
    process.chdir("/");
    process.on("SIGHUP", () => {});
    // Past a file-size limit, writes must fail with EFBIG, not kill the supervisor.
    process.on("SIGXFSZ", () => {});
    process.on("SIGTERM", () => this.beginClose("SIGHUP", 2000));
    process.on("SIGINT", () => this.beginClose("SIGHUP", 2000));
  }

  // ---- output -------------------------------------------------------------

  private onOutput(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    try {
      this.ring.write(chunk, this.end);
      this.end += chunk.length;
      this.lineCount += countNewlines(chunk);
      fs.writeSync(this.endFd, formatOffset(this.end) + formatOffset(this.lineCount), 0);
      this.recorder.output(this.end);
    } catch (error) {
      // A full disk must not kill the child: keep it running, and tell clients
      // (info, and every read) that output is being lost.
      this.noteStorageError(error);
      return;
    }
    this.lastOutputAt = performance.now();
    // Every chunk arrives in a fresh buffer; under a flood, a full collection
    // every FLOOD_COLLECT_BYTES keeps the heap flat (a few ms each, ~1/s at most).
    this.sinceCollect += chunk.length;
    if (this.sinceCollect >= FLOOD_COLLECT_BYTES) {
      this.sinceCollect = 0;
      Bun.gc(true);
    }
    this.feedScreen();
    this.desk.reevaluate();
    for (const conn of this.subscribers) void this.pumpSubscriber(conn);
  }

  // Streams new output to an attached client at the pace it reads; a client
  // that falls behind retention skips to the oldest retained byte.
  private async pumpSubscriber(conn: Conn): Promise<void> {
    const sub = conn.subscription!;
    if (sub.pumping) return;
    sub.pumping = true;
    try {
      while (!conn.closed && sub.position < this.end) {
        sub.position = Math.max(sub.position, this.ring.retainedStart(this.end));
        const to = Math.min(this.end, sub.position + DELIVERY_CHUNK);
        const bytes = this.ring.read(sub.position, to);
        const at = sub.position;
        sub.position = to;
        await conn.send({ op: "data", offset: at }, bytes);
      }
      if (this.finalStatus && !conn.closed) {
        await conn.send({ op: "exited", exit_code: this.finalStatus.exit_code });
        this.subscribers.delete(conn);
      }
    } finally {
      sub.pumping = false;
    }
  }

  // Once someone has looked at the screen, keeps the emulator from falling
  // behind retention and catches it up when output goes quiet, so a screen
  // request rarely has much left to parse. Sessions never looked at pay nothing.
  private feedScreen(): void {
    const end = () => this.end;
    if (!this.screen.created) {
      // A session with a lot of output gets its emulator once it goes quiet,
      // so a first `screen` does not have to replay megabytes on demand.
      if (this.end < SCREEN_EAGER_BYTES) return;
      clearTimeout(this.idleFeed);
      this.idleFeed = setTimeout(() => void this.screen.catchUp(end), SCREEN_IDLE_FEED_MS);
      return;
    }
    if (this.screen.needsFeed(this.end)) void this.screen.catchUp(end);
    else {
      clearTimeout(this.idleFeed);
      this.idleFeed = setTimeout(() => void this.screen.catchUp(end), SCREEN_IDLE_FEED_MS);
    }
  }

  private noteStorageError(error: unknown): void {
    const message = `could not store output: ${(error as Error).message}`;
    if (this.storageError === message) return;
    this.storageError = message;
    console.error(`bgterm supervisor: ${message}`);
    try {
      recordStorageError(this.storageErrorFd, `${new Date().toISOString()} ${message}`);
    } catch {
      // Even the reserved block failed; clients still hear it on every read.
    }
    this.desk.reevaluate();
  }

  private storageError?: string;

  // ---- child lifecycle ----------------------------------------------------

  private onEof(): void {
    this.eof = true;
    if (this.childExit) this.finalize();
  }

  private onChildExit(exitCode: number, signal: string | null): void {
    this.childExit = { exit_code: exitCode, signal, ended_at: new Date().toISOString() };
    if (this.eof) this.finalize();
    else setTimeout(() => this.finalize(), EOF_GRACE_MS);
  }

  private finalize(): void {
    if (this.finalStatus || !this.childExit) return;
    this.finalStatus = this.childExit;
    try {
      this.files.writeStatus(this.finalStatus);
    } catch (error) {
      // On a full disk the exit status cannot be recorded; the session will
      // read as lost once the supervisor is gone, but clients waiting now hear it.
      this.noteStorageError(error);
    }
    this.desk.reevaluate();
    for (const conn of this.exitWatchers) {
      void conn.send({ op: "exited", exit_code: this.finalStatus.exit_code });
    }
    this.exitWatchers.clear();
    for (const conn of this.subscribers) void this.pumpSubscriber(conn);
    if (!this.closing && this.announced) this.shutdownWhenIdle();
  }

  // Exits once every client is done, or after LINGER_MS regardless.
  private shutdownWhenIdle(): void {
    const deadline = setTimeout(() => this.shutdown(), LINGER_MS);
    const check = () => {
      if (this.connections.size === 0) {
        clearTimeout(deadline);
        this.shutdown();
      }
    };
    this.afterConnectionClosed = check;
    check();
  }

  private afterConnectionClosed?: () => void;

  private shutdown(): void {
    this.server?.stop(true);
    fs.rmSync(this.files.socket, { force: true });
    this.pty.close();
    fs.closeSync(this.endFd);
    this.recorder.close();
    this.ring.close();
    this.lock.release();
    process.exit(0);
  }

  // SIGHUP (or the given signal) to every process group in the terminal's
  // session, SIGKILL to whatever is left after the grace period.
  private beginClose(signal: NodeJS.Signals, graceMs: number, done?: () => void): void {
    const sid = this.meta.pid;
    const finish = () => {
      done?.();
      if (this.connections.size === 0) this.shutdown();
      else this.shutdownWhenIdle();
    };
    if (this.closing) return;
    this.closing = true;
    signalSession(sid, signal);
    const started = performance.now();
    const check = () => {
      const alive = sessionMembers(sid).length > 0;
      if (alive && performance.now() - started < graceMs) return setTimeout(check, CLOSE_CHECK_MS);
      if (alive) signalSession(sid, "SIGKILL");
      const settle = () => (this.finalStatus ? finish() : setTimeout(settle, CLOSE_CHECK_MS));
      // The child's exit event finalizes; force it if the PTY never reports.
      setTimeout(() => {
        if (!this.finalStatus) {
          this.childExit ??= { exit_code: 128 + 9, signal: "SIGKILL", ended_at: new Date().toISOString() };
          this.finalize();
        }
      }, 2000);
      settle();
    };
    check();
  }

  // ---- clients ------------------------------------------------------------

  private onConnect(socket: Socket<Conn>): void {
    const conn = new Channel<Request, Reply>(socket) as Conn;
    socket.data = conn;
    this.connections.add(conn);
    conn.onFrame = ({ header, payload }) => this.onRequest(conn, header, payload);
    conn.onClose = () => {
      this.connections.delete(conn);
      this.exitWatchers.delete(conn);
      this.subscribers.delete(conn);
      this.desk.connectionClosed(conn);
      this.afterConnectionClosed?.();
    };
  }

  private reply(conn: Conn, reply: Reply): void {
    void conn.send(reply);
  }

  private fail(conn: Conn, error: unknown): void {
    const code = error instanceof BgtermError ? error.exitCode : EXIT.internal;
    this.reply(conn, { op: "error", code, message: (error as Error).message });
  }

  private onRequest(conn: Conn, request: Request, payload: Buffer): void {
    try {
      switch (request.op) {
        case "input":
          return this.onInput(conn, payload);
        case "poll":
          return this.desk.poll(conn, request);
        case "peek":
          return void this.desk.deliver(conn, {
            reader: request.reader,
            lease: false,
            from: request.from,
            limit: request.limit,
          });
        case "ack":
          return this.desk.releaseLease(conn, true, request.to);
        case "wait_exit":
          if (this.finalStatus) this.reply(conn, { op: "exited", exit_code: this.finalStatus.exit_code });
          else this.exitWatchers.add(conn);
          return;
        case "resize":
          return this.onResize(conn, request.cols, request.rows);
        case "signal":
          return this.onSignal(conn, request.signal);
        case "screen":
          return void this.onScreen(conn, request);
        case "modes":
          return void this.onModes(conn);
        case "subscribe":
          conn.subscription = { position: request.from, pumping: false };
          this.subscribers.add(conn);
          return void this.pumpSubscriber(conn);
        case "close":
          return this.beginClose(parseSignal(request.signal), request.grace_ms, () => this.reply(conn, { op: "ok" }));
      }
    } catch (error) {
      this.fail(conn, error);
    }
  }

  private requireRunning(): void {
    if (this.childExit || this.closing) {
      throw notRunningError(`session ${this.files.id} is not running (its program has exited)`);
    }
  }

  private onInput(conn: Conn, data: Buffer): void {
    this.requireRunning();
    const endBefore = this.end;
    conn.lastInputEnd ??= endBefore; // a paste in several frames counts from its first
    if (data.length > 0) this.recorder.input(data);
    this.inputQueue.push({ data, done: () => this.reply(conn, { op: "ok", end: endBefore }) });
    if (this.inputQueue.length === 1) this.pumpInput();
  }

  // Writes queued input in order. When the backend had to buffer part of a
  // write, the next one (and this one's acknowledgement, which paces the
  // client) waits for its drain event, so a huge paste never piles up here.
  private pumpInput(): void {
    if (this.awaitingDrain) {
      this.awaitingDrain = false;
      this.inputQueue.shift()?.done();
    }
    while (this.inputQueue.length > 0) {
      const head = this.inputQueue[0]!;
      if (!this.childExit && head.data.length > 0 && !this.pty.write(head.data)) {
        this.awaitingDrain = true;
        return;
      }
      this.inputQueue.shift();
      head.done();
    }
  }

  private awaitingDrain = false;
  private sinceCollect = 0;

  private async onScreen(conn: Conn, request: Extract<Request, { op: "screen" }>): Promise<void> {
    try {
      await this.screen.catchUp(() => this.end);
      this.reply(conn, { op: "screen", screen: this.screen.snapshot(request), offset: this.screen.fedTo });
    } catch (error) {
      this.fail(conn, error);
    }
  }

  private async onModes(conn: Conn): Promise<void> {
    try {
      await this.screen.catchUp(() => this.end);
      const modes = this.screen.modes();
      this.reply(conn, {
        op: "modes",
        application_cursor: modes.applicationCursor,
        bracketed_paste: modes.bracketedPaste,
      });
    } catch (error) {
      this.fail(conn, error);
    }
  }

  private onResize(conn: Conn, cols: number, rows: number): void {
    this.requireRunning();
    this.pty.resize(cols, rows);
    // Output written at the old size is parsed at the old size.
    if (this.screen.created) void this.screen.catchUp(() => this.end).then(() => this.screen.resize(cols, rows));
    else this.screen.resize(cols, rows);
    this.meta = { ...this.meta, cols, rows };
    this.files.writeMeta(this.meta);
    this.reply(conn, { op: "ok" });
  }

  // The signal goes to the terminal's foreground process group, as a keypress would.
  private onSignal(conn: Conn, signalName: string): void {
    this.requireRunning();
    const signal = parseSignal(signalName);
    const stat = readProcStat(this.meta.pid);
    const group = stat && stat.tpgid > 0 ? stat.tpgid : this.meta.pid;
    try {
      process.kill(-group, signal);
    } catch {
      process.kill(this.meta.pid, signal);
    }
    this.reply(conn, { op: "ok" });
  }
}
