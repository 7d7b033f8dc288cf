// The per-session supervisor process, top level: takes the session lock,
// reads the spec, starts the child on a PTY, answers the launcher's handshake,
// wires the parts together, follows the child's life, and exits once the final
// state is on disk and clients have had a moment to collect it. Everything
// waits on events (PTY data, socket traffic, child exit, timers armed for a
// deadline); nothing polls. The parts:
//   output-log.ts    ring + end file + newline count + storage error + recorder
//   server.ts        the control socket and request dispatch (connection.ts per client)
//   readers.ts       cursors, waiting polls, leased deliveries (wait-condition.ts decides)
//   input-queue.ts   input to the terminal, paced by the backend's drain
//   subscribers.ts   attached clients
//   screen-feeder.ts the terminal emulator behind `screen`
//   lifecycle.ts     runs, --max-runtime, --ttl, restarts, health (health.ts), one timer (deadlines.ts)
//   state-guard.ts   recreates the session folder if it vanishes (logout)
//   shell-integration.ts  shell hooks, their marks (removed from the output), command records, exec
import { describe, log } from "./log.ts";
import fs from "node:fs";
import { BgtermError, cannotExecute, commandNotFound, EXIT, errnoCode, sessionNotRunning } from "../errors.ts";
import { type BackendName, loadBackend, type PtyBackend, type PtyProcess } from "../pty/backend.ts";
import { parseSignal } from "../pty/signals.ts";
import { type HeldLock, tryLockExclusive } from "../shared/flock.ts";
import { foregroundGroup } from "../shared/procfs.ts";
import { PROTOCOL_VERSION } from "../shared/protocol.ts";
import { OutputRing } from "../shared/ring.ts";
import { type ExitStatus, type SessionMeta, SessionFiles, type SessionSpec } from "../shared/session-files.ts";
import { terminateSession } from "../shared/terminate.ts";
import type { Connection } from "./connection.ts";
import { InputQueue } from "./input-queue.ts";
import { OutputLog } from "./output-log.ts";
import { ReaderDesk } from "./readers.ts";
import { ScreenFeeder } from "./screen-feeder.ts";
import { ShellIntegration } from "./shell-integration.ts";
import { SupervisorServer } from "./server.ts";
import { Subscribers } from "./subscribers.ts";
import type { HealthCheck } from "./health.ts";
import { Lifecycle } from "./lifecycle.ts";
import { recreateFolders, recreateIndex, removeSessionState, StateGuard } from "./state-guard.ts";

// After the child exits, how long to wait for the PTY's EOF (a background job
// may hold the terminal open) before recording the final state anyway.
const EOF_GRACE_MS = 200;
// After the final state is recorded, how long clients may take to collect it.
const LINGER_MS = 5000;
// After the session was signalled to close, how long the PTY may take to
// report the child's exit before it is recorded as killed anyway.
const EXIT_REPORT_MS = 2000;
// A SIGTERM or SIGINT to the supervisor closes the session with this grace.
const SIGNAL_CLOSE_GRACE_MS = 2000;

// A failed start as the launcher reports it; exec's failures as shells do:
// 127 not found, 126 found but not runnable.
function describeStartFailure(error: unknown, program: string): { code: number; message: string } {
  if (error instanceof BgtermError) return { code: error.exitCode, message: error.message };
  const errno = errnoCode(error);
  const known =
    errno === "ENOENT"
      ? commandNotFound(program)
      : errno === "EACCES" || errno === "ENOEXEC" || errno === "EISDIR" || errno === "EPERM"
        ? cannotExecute(program, errno === "ENOEXEC" ? "not a program the system can run" : "permission denied")
        : undefined;
  if (known) return { code: known.exitCode, message: known.message };
  return { code: EXIT.internal, message: error instanceof Error ? error.message : String(error) };
}

// The handshake line: the launcher reads one JSON line, then EOF.
// A launcher that is gone (killed, timed out) cannot be answered: EPIPE is
// not fatal, the session that started keeps running.
function answerLauncher(fd: number, answer: object): void {
  try {
    fs.writeSync(fd, `${JSON.stringify(answer)}\n`);
  } catch (error) {
    console.error(`bgterm supervisor: the launcher is gone (${(error as Error).message}); the session runs on`);
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // Already closed.
    }
  }
}

export class Supervisor {
  private readonly log: OutputLog;
  private readonly desk: ReaderDesk;
  private readonly input: InputQueue;
  private readonly subscribers: Subscribers;
  private readonly screen: ScreenFeeder;
  // The current run's terminal (a restart replaces it).
  private pty: PtyProcess;
  private readonly shell: ShellIntegration;
  private readonly server: SupervisorServer;
  // Runs, time limits, restarts, health (lifecycle.ts).
  private readonly lifecycle: Lifecycle;
  private readonly guard: StateGuard;
  // Restarts off: the next exit is final whatever the restart policy says.
  private finishing = false;
  private runGeneration = 0;
  private readonly exitWatchers = new Set<Connection>();
  private meta: SessionMeta;
  private eof = false;
  private childExit?: ExitStatus;
  private closing = false;
  // Answers owed to close requests, sent once the program has ended; after
  // that, a late close is answered at once.
  private closeAnswers: (() => void)[] = [];
  private closeFinished = false;
  // The launcher has been told the session started.
  private announced = false;
  // Set while lingering: called when a connection closes.
  private afterConnectionClosed?: () => void;
  // Resolves once the final status is recorded.
  private readonly finalized: Promise<void>;
  private resolveFinalized = () => {};

  // Starts the child and the socket; throws if the child cannot be started.
  private constructor(
    private readonly files: SessionFiles,
    private lock: HeldLock,
    private readonly spec: SessionSpec,
    private readonly backend: PtyBackend,
    Health?: typeof HealthCheck,
  ) {
    const startedAt = Date.now();
    this.finalized = new Promise((resolve) => {
      this.resolveFinalized = resolve;
    });
    this.log = new OutputLog(files, OutputRing.open(files.output, spec.max_buffer, true), startedAt);
    this.desk = new ReaderDesk(this.log, (since, afterInput) => this.shell.settled(since, afterInput));
    this.subscribers = new Subscribers(this.log);
    this.input = new InputQueue(
      (data) => this.pty.write(data),
      () => !this.childExit,
    );
    // The emulator's answers to terminal queries go to the program as terminal
    // input: not recorded as input events, not echoed.
    this.screen = new ScreenFeeder(
      this.log,
      spec.cols,
      spec.rows,
      (answer) => this.input.push(Buffer.from(answer), () => {}),
      () => this.pty.streaming?.() ?? false,
    );
    this.log.onBeforeAppend((chunk, at) => this.screen.beforeAppend(chunk, at));
    this.log.onAppend((chunk) => this.screen.outputArrived(chunk));
    this.log.onChange(() => {
      this.desk.reevaluate();
      this.subscribers.changed();
    });
    this.shell = new ShellIntegration({
      id: files.id,
      sessionDir: files.dir,
      ring: this.log.ring,
      sid: () => this.meta.pid,
      end: () => this.log.end,
      lastOutputAt: () => this.log.lastOutputAt,
      running: () => this.log.running && !this.childExit,
      exitCode: () => this.childExit?.exit_code ?? null,
      inputIdle: () => this.input.idle,
      write: (bytes) => this.input.push(bytes, () => {}),
      store: (bytes) => this.log.append(bytes),
      changed: () => this.desk.reevaluate(),
      send: (conn, reply) => void conn.send(reply),
    });
    this.pty = this.spawnRun(spec.cols, spec.rows);
    this.meta = {
      id: files.id,
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
      labels: spec.labels ?? {},
    };
    files.writeMeta(this.meta);
    this.lifecycle = new Lifecycle(spec, this.lifecycleHost(), startedAt, Health);
    this.lifecycle.runStarted(this.pty.pid);
    this.server = new SupervisorServer(
      files.socket,
      {
        input: (conn, request, payload) => this.onInput(conn, payload, request.quiet === true),
        poll: (conn, request) => this.desk.poll(conn, request),
        peek: (conn, request) =>
          this.desk.deliver(conn, { reader: request.reader, lease: false, from: request.from, limit: request.limit }),
        ack: (conn, request) => this.desk.releaseLease(conn, true, request.to),
        wait_exit: (conn) => this.onWaitExit(conn),
        resize: (conn, request) => this.onResize(conn, request.cols, request.rows),
        signal: (conn, request) => this.onSignal(conn, request.signal),
        screen: async (conn, request) => {
          const { screen, offset } = await this.screen.snapshot(request);
          void conn.send({ op: "screen", screen, offset });
        },
        modes: async (conn) => {
          const modes = await this.screen.modes();
          void conn.send({
            op: "modes",
            application_cursor: modes.applicationCursor,
            bracketed_paste: modes.bracketedPaste,
          });
        },
        subscribe: (conn, request) => this.subscribers.add(conn, request.from),
        exec: (conn, request) => this.shell.submit(conn, request),
        close: (conn, request) =>
          this.beginClose(parseSignal(request.signal), request.grace_ms, () => void conn.send({ op: "ok" })),
      },
      () => this.input.pending,
    );
    this.server.onConnectionClosed((conn) => {
      this.exitWatchers.delete(conn);
      this.subscribers.remove(conn);
      this.desk.connectionClosed(conn);
      this.shell.connectionClosed(conn);
      this.afterConnectionClosed?.();
    });
    // Nothing of the caller's stays: no cwd to pin a mount, no terminal signals.
    process.chdir("/");
    process.on("SIGHUP", () => {});
    // Past a file-size limit, writes must fail with EFBIG, not kill the supervisor.
    process.on("SIGXFSZ", () => {});
    process.on("SIGTERM", () => this.beginClose("SIGHUP", SIGNAL_CLOSE_GRACE_MS));
    process.on("SIGINT", () => this.beginClose("SIGHUP", SIGNAL_CLOSE_GRACE_MS));
    this.guard = new StateGuard(files, () => this.recreateState());
  }

  // One run of the program in a fresh PTY. A previous run's late exit or EOF
  // is ignored; its late output (a background job) is still kept.
  private spawnRun(cols: number, rows: number): PtyProcess {
    const generation = ++this.runGeneration;
    const current = () => generation === this.runGeneration;
    const spec = this.spec;
    // A known shell starts with bgterm's hooks loaded.
    const spawn = this.shell.spawnCommand(spec.command, spec.env);
    return this.backend.spawn(
      { argv: spawn.argv, cwd: spec.cwd, env: spawn.env, cols, rows },
      {
        // Output goes through the shell-mark filter into the log.
        data: (chunk) => this.shell.feed(chunk),
        end: () => current() && this.onEof(),
        exit: (code, signal) => current() && this.onChildExit(code, signal),
        drain: () => current() && this.input.pump(),
      },
    );
  }

  private lifecycleHost() {
    return {
      terminateProgram: (signal: NodeJS.Signals, graceMs: number) =>
        void terminateSession(this.meta.pid, signal, graceMs),
      respawn: () => this.respawn(),
      closeAndRemove: () => {
        this.guard.close();
        this.beginClose("SIGHUP", 1000, () => removeSessionState(this.files, this.meta.name));
      },
      finishNow: () => {
        this.finishing = true;
        this.finalize();
      },
      saveMeta: (fields: Pick<SessionMeta, "runs" | "ended_by" | "health">) => {
        this.meta = { ...this.meta, ...fields };
        try {
          this.files.writeMeta(this.meta);
        } catch (error) {
          this.log.noteStorageError(error);
        }
      },
      end: () => this.log.end,
      mark: (label: string) => this.log.recordMarker(label),
    };
  }

  // The next run after a restart: same session, same output stream.
  private respawn(): void {
    if (this.closing || this.log.final) return;
    this.pty.close();
    this.eof = false;
    this.childExit = undefined;
    try {
      this.pty = this.spawnRun(this.meta.cols, this.meta.rows);
    } catch (error) {
      log(`restart failed: ${describe(error)}`);
      this.childExit = { exit_code: EXIT.notFound, signal: null, ended_at: new Date().toISOString() };
      this.finishing = true;
      this.finalize();
      return;
    }
    this.meta = { ...this.meta, pid: this.pty.pid };
    this.lifecycle.runStarted(this.pty.pid);
    this.input.pump();
  }

  // The session folder vanished (the state dir is removed at logout): write it
  // all back from what this process holds, take the lock again, and listen on
  // a new socket (open connections carry on).
  private recreateState(): void {
    recreateFolders(this.files);
    const lock = tryLockExclusive(this.files.lock);
    if (!lock) throw new BgtermError(EXIT.internal, "another process holds the new session lock");
    this.lock.release();
    this.lock = lock;
    this.files.writeSpec(this.spec);
    this.log.relocate();
    this.desk.persistCursors();
    this.files.writeMeta(this.meta);
    recreateIndex(this.files, this.meta.name);
    this.server.relisten();
  }

  // Starts the session; reports success or failure on the handshake fd.
  static async run(stateDir: string, id: number, handshakeFd: number): Promise<void> {
    const files = new SessionFiles(stateDir, id);
    const lock = tryLockExclusive(files.lock);
    if (!lock) throw new BgtermError(EXIT.internal, `session ${id} already has a supervisor`);
    const spec = files.readSpec();
    let supervisor: Supervisor;
    try {
      // Health checks (and their probes) load only for a session that has one.
      const Health = spec.health ? (await import("./health.ts")).HealthCheck : undefined;
      supervisor = new Supervisor(files, lock, spec, await loadBackend(spec.backend as BackendName), Health);
    } catch (error) {
      const { code, message } = describeStartFailure(error, spec.command[0] ?? "");
      answerLauncher(handshakeFd, { ok: false, code, message, protocol: PROTOCOL_VERSION });
      process.exit(code);
    }
    answerLauncher(handshakeFd, { ok: true, protocol: PROTOCOL_VERSION });
    supervisor.announced = true;
    // A child that exited during start-up could not shut us down before the
    // launcher heard "ok"; do it now.
    if (supervisor.log.final && !supervisor.closing && !supervisor.lifecycle.keepsAlive()) {
      supervisor.shutdownWhenIdle();
    }
  }

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
    if (this.log.final || !this.childExit) return;
    // With a restart policy, a new run may follow instead (the stream goes on).
    if (!this.finishing && this.lifecycle.runEnded(this.childExit) === "restart") return;
    this.lifecycle.stop();
    this.log.finish(this.childExit);
    for (const conn of this.exitWatchers) void conn.send({ op: "exited", exit_code: this.childExit.exit_code });
    this.exitWatchers.clear();
    this.resolveFinalized();
    this.shell.pump();
    if (!this.closing && this.announced && !this.lifecycle.keepsAlive()) this.shutdownWhenIdle();
  }

  // Exits once every client is done, or after LINGER_MS regardless.
  private shutdownWhenIdle(): void {
    const deadline = setTimeout(() => this.shutdown(), LINGER_MS);
    const check = () => {
      if (this.server.connectionCount === 0) {
        clearTimeout(deadline);
        this.shutdown();
      }
    };
    this.afterConnectionClosed = check;
    check();
  }

  private shutdown(): void {
    this.guard.close();
    this.server.stop();
    this.screen.close();
    this.pty.close();
    this.log.close();
    this.lock.release();
    process.exit(0);
  }

  // The signal to every process group of the terminal's session, SIGKILL to
  // whatever is left after the grace period; then the final state, then exit.
  private beginClose(signal: NodeJS.Signals, graceMs: number, done?: () => void): void {
    // A second close (two clients at once) is answered with the first: left
    // unanswered, its client would hold the supervisor (and both closers) until
    // the linger bound.
    if (done && this.closeFinished) return done();
    if (done) this.closeAnswers.push(done);
    if (this.closing) return;
    this.closing = true;
    this.lifecycle.stop();
    // Between two runs there is nothing to signal: the last exit is final.
    if (this.childExit && !this.log.final) {
      this.finishing = true;
      this.finalize();
    }
    void (async () => {
      await terminateSession(this.meta.pid, signal, graceMs);
      // The child's exit event finalizes; force it if the PTY never reports.
      const forced = setTimeout(() => {
        this.childExit ??= { exit_code: 128 + 9, signal: "SIGKILL", ended_at: new Date().toISOString() };
        this.finalize();
      }, EXIT_REPORT_MS);
      await this.finalized;
      clearTimeout(forced);
      this.closeFinished = true;
      for (const answer of this.closeAnswers.splice(0)) answer();
      if (this.server.connectionCount === 0) this.shutdown();
      else this.shutdownWhenIdle();
    })();
  }

  // ---- requests -----------------------------------------------------------

  private requireRunning(): void {
    if (this.childExit || this.closing) {
      throw sessionNotRunning(this.files.id);
    }
  }

  // quiet: the client does not wait for this frame's "ok" (its poll follows):
  // one reply less, and the client is not woken while the program answers.
  private onInput(conn: Connection, data: Buffer, quiet: boolean): void {
    this.requireRunning();
    const endBefore = this.log.end;
    const continued = conn.lastInputEnd !== undefined;
    conn.lastInputEnd ??= endBefore; // a paste in several frames counts from its first
    this.input.push(data, quiet ? () => {} : () => void conn.send({ op: "ok", end: endBefore }));
    // Recorded once on its way to the program (the timing record is not on the input's path).
    this.log.recordInput(data, continued);
  }

  private onWaitExit(conn: Connection): void {
    const final = this.log.final;
    if (final) void conn.send({ op: "exited", exit_code: final.exit_code });
    else this.exitWatchers.add(conn);
  }

  private onResize(conn: Connection, cols: number, rows: number): void {
    this.requireRunning();
    this.pty.resize(cols, rows);
    this.screen.resize(cols, rows);
    this.meta = { ...this.meta, cols, rows };
    this.files.writeMeta(this.meta);
    void conn.send({ op: "ok" });
  }

  // The signal goes to the terminal's foreground process group, as a keypress would.
  private onSignal(conn: Connection, signalName: string): void {
    this.requireRunning();
    const signal = parseSignal(signalName);
    try {
      process.kill(-foregroundGroup(this.meta.pid), signal);
    } catch {
      process.kill(this.meta.pid, signal);
    }
    void conn.send({ op: "ok" });
  }
}
