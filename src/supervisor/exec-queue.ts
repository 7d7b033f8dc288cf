// exec inside the supervisor: a first-come-first-served queue of commands for
// the session's shell. Before writing any byte of one, it checks — in the same
// tick as the write — that the terminal's foreground process group is the
// shell and that the shell waits at its prompt; otherwise the command waits
// (within its timeout) or, with no_wait, fails naming the program in front.
// An integrated shell (bash, zsh, fish with bgterm's hooks) gets the command
// typed as a person would; its marks say when it starts and ends and with
// which status. A hookable shell without hooks gets them first (one line,
// its echo hidden); sh/dash get a wrapper line whose echo is hidden the same way.
import fs from "node:fs";
import { EXIT } from "../errors.ts";
import type { Connection as Conn } from "./connection.ts";
import type { ExecRequest, Reply } from "../shared/protocol.ts";
import type { CommandLog } from "./command-log.ts";
import { inspectForeground } from "./foreground.ts";
import type { ShellHooks } from "./shell-hooks.ts";
import { shellKind } from "./shell-hooks.ts";
import type { ShellMark, ShellMarks } from "./shell-marks.ts";

// How long the hooks may take to show their first prompt after being typed.
const INSTALL_MS = 5000;
// After C-c, how long the shell has to come back before exec reports it.
const INTERRUPT_GRACE_MS = 2000;
// After typing, how long before a program waiting on the terminal counts as interactive.
const INTERACTIVE_AFTER_MS = 300;
// A hooked shell's pid waiting at its input this long without a prompt mark
// has lost its hooks (exec bash): they are typed again.
const REHOOK_AFTER_MS = 1000;
// How long a shell started with hooks may take to show its first prompt.
const STARTUP_MS = 10_000;
// Re-checks of the foreground while waiting: from MIN to MAX, doubling.
const CHECK_MIN_MS = 10;
const CHECK_MAX_MS = 200;
const RUNNING_CHECK_MAX_MS = 1000;

// What exec and shell integration both see of the session.
export interface SessionView {
  readonly id: number;
  // The session leader (the program bgterm started).
  sid(): number;
  end(): number;
  lastOutputAt(): number;
  running(): boolean;
  exitCode(): number | null;
  // No input queued ahead of us.
  inputIdle(): boolean;
  // Writes to the terminal through the session's input queue.
  write(bytes: Buffer): void;
}

export interface ExecHost extends SessionView {
  readonly log: CommandLog;
  readonly marks: ShellMarks;
  readonly hooks?: ShellHooks;
  pasteMode(): boolean;
  // The session's shell was started with the hooks: until its first prompt
  // mark (or STARTUP_MS), exec waits for it instead of typing them again.
  hookedAtStart(): boolean;
}

interface Job {
  conn: Conn;
  request: ExecRequest;
  deadline: number;
  state: "queued" | "installing" | "typed" | "running" | "interrupting";
  method?: "hooks" | "marker";
  typedAt: number;
  from: number;
  // Where the command's output ended, when the shell says so before its end mark.
  outputEnd?: number;
  installFailed: boolean;
  // Since when the hooked shell's pid has been waiting at its input without a prompt mark.
  hooklessSince?: number;
  timer?: Timer;
  delay: number;
}

// printf %b argument: octal escapes for everything a single-quoted word or a
// terminal line could mangle (quotes, backslashes, newlines, control bytes).
function encodeForPrintfB(bytes: Uint8Array): Buffer {
  let out = "";
  for (const byte of bytes) {
    if (byte < 0x20 || byte === 0x7f || byte === 0x27 || byte === 0x5c) {
      out += `\\0${byte.toString(8).padStart(3, "0")}`;
    } else {
      out += String.fromCharCode(byte);
    }
  }
  return Buffer.from(out, "latin1");
}

// The wrapper for sh/dash: they read in the terminal's line mode, which holds
// at most 4095 bytes a line, so a long command is first collected into a
// variable in lines of at most WRAPPER_PIECE encoded bytes.
const WRAPPER_PIECE = 600;
export function wrapperLines(command: string, nonce: string): Buffer {
  const bytes = Buffer.from(command, "utf8");
  const start = ` printf '\\033]133;C;bgterm=%s\\007' ${nonce}; eval "$(printf '%b' `;
  const end = `)"; printf '\\033]133;D;%d;bgterm=%s\\007' "$?" ${nonce}\r`;
  if (bytes.length <= WRAPPER_PIECE) {
    return Buffer.concat([Buffer.from(`${start}'`), encodeForPrintfB(bytes), Buffer.from(`'${end}`)]);
  }
  const lines: Buffer[] = [Buffer.from(" __bgterm_c=\r")];
  for (let at = 0; at < bytes.length; at += WRAPPER_PIECE) {
    const piece = encodeForPrintfB(bytes.subarray(at, at + WRAPPER_PIECE));
    lines.push(Buffer.from(' __bgterm_c="$__bgterm_c"\''), piece, Buffer.from("'\r"));
  }
  lines.push(Buffer.from(`${start}"$__bgterm_c"${end}`));
  return Buffer.concat(lines);
}

export class ExecQueue {
  private readonly jobs: Job[] = [];
  private altScreen = false;
  private readonly createdAt = performance.now();

  constructor(
    private readonly host: ExecHost,
    private readonly send: (conn: Conn, reply: Reply) => void,
  ) {}

  submit(conn: Conn, request: ExecRequest): void {
    const job: Job = {
      conn,
      request,
      deadline: request.timeout_ms === null ? Number.POSITIVE_INFINITY : performance.now() + request.timeout_ms,
      state: "queued",
      typedAt: 0,
      from: this.host.end(),
      installFailed: false,
      delay: CHECK_MIN_MS,
    };
    this.jobs.push(job);
    this.pump();
  }

  // Something changed (a mark, input drained, the child exited, a timer): look again.
  pump(): void {
    const job = this.jobs[0];
    if (!job) return;
    clearTimeout(job.timer);
    if (!this.host.running()) {
      const code = this.host.exitCode();
      return this.finish(
        job,
        null,
        {
          code: EXIT.notRunning,
          message: `session ${this.host.id}'s shell exited (code ${code ?? "unknown"}) before the command finished`,
        },
        undefined,
        code,
      );
    }
    const now = performance.now();
    if (job.state === "queued" || job.state === "installing") {
      if (job.state === "queued" && this.tryStart(job)) return;
      if (this.jobs[0] !== job) return;
      if (now >= job.deadline) {
        const front = inspectForeground(this.host.sid());
        return this.finish(job, null, {
          code: EXIT.timeout,
          message: `the shell in session ${this.host.id} did not come back to its prompt within ${job.request.timeout_ms} ms (${front?.comm ?? "a program"} is in the foreground)`,
        });
      }
      return this.recheck(job);
    }
    if (job.state === "typed" || job.state === "running") {
      if (now >= job.deadline) return this.timedOut(job);
      if (!job.request.allow_interactive && this.reportInteractive(job)) return;
      return this.recheck(job);
    }
    if (job.state === "interrupting") {
      // sh/dash abandon the whole line on C-c, the wrapper's end mark with it:
      // the shell back at its prompt is the end, with SIGINT's status.
      if (job.method === "marker") {
        const front = inspectForeground(this.host.sid());
        if (front && front.pgid === this.host.sid() && front.activity === "input") return this.finish(job, 130);
      }
      if (now >= job.deadline) {
        const front = inspectForeground(this.host.sid());
        return this.finish(job, null, {
          code: EXIT.timeout,
          message: `${front?.comm ?? "the command"} is still in the foreground of session ${this.host.id} after C-c`,
        });
      }
      return this.recheck(job);
    }
  }

  // A shell mark (already recorded by the command log) at output offset `at`.
  onMark(mark: ShellMark, at: number): void {
    const job = this.jobs[0];
    if (job) {
      if (job.state === "installing" && mark.kind === "A") job.state = "queued";
      else if (job.state === "typed" && mark.kind === "C") {
        job.state = "running";
        job.from = at;
      } else if ((job.state === "running" || job.state === "interrupting") && mark.kind === "E") {
        job.outputEnd ??= at;
      } else if ((job.state === "running" || job.state === "interrupting") && mark.kind === "D") {
        return this.finish(job, mark.status ?? null, undefined, job.outputEnd ?? at);
      } else if (job.state === "typed" && mark.kind === "A" && job.method === "hooks") {
        // The line ran nothing (a comment, or only whitespace).
        return this.finish(job, 0, undefined, at);
      }
    }
    this.pump();
  }

  onMode(mode: number, on: boolean): void {
    if (mode === 2004) return;
    this.altScreen = on;
    if (on) this.pump();
  }

  connectionClosed(conn: Conn): void {
    const index = this.jobs.findIndex((job) => job.conn === conn);
    if (index === -1) return;
    const [job] = this.jobs.splice(index, 1);
    clearTimeout(job!.timer);
    this.clearPagerFlag();
    if (index === 0) this.pump();
  }

  // The shell is at its prompt with nothing queued ahead: write the command
  // (or the hooks first). Returns true when it wrote something.
  private tryStart(job: Job): boolean {
    if (!this.host.inputIdle() || this.host.marks.hidingOutput) return false;
    const sid = this.host.sid();
    const front = inspectForeground(sid);
    if (!front) return false;
    const kind = shellKind(front.comm);
    if (kind === undefined && front.pgid === sid) {
      this.finish(job, null, {
        code: EXIT.usage,
        message: `exec needs a session running a shell (bash, zsh, fish, sh, dash); session ${this.host.id} runs ${front.comm}`,
      });
      return true;
    }
    if (kind === undefined) {
      if (front.activity === "input") {
        this.finish(job, null, {
          code: EXIT.notRunning,
          message: `${front.comm} is waiting for input on the terminal in session ${this.host.id} (exec types only into the shell)`,
        });
        return true;
      }
      if (job.request.no_wait) {
        this.finish(job, null, {
          code: EXIT.notRunning,
          message: `${front.comm} is running in the foreground of session ${this.host.id}, not the shell`,
        });
        return true;
      }
      return false;
    }
    // The shell must be blocked reading the terminal: drawing its prompt done.
    if (front.activity !== "input" && front.activity !== "unknown") {
      if (job.request.no_wait && this.host.log.state.atPrompt === false) {
        this.finish(job, null, {
          code: EXIT.notRunning,
          message: `the shell in session ${this.host.id} is busy (${front.comm} is running)`,
        });
        return true;
      }
      return false;
    }
    const state = this.host.log.state;
    const hooks = this.host.hooks;
    const integrated = kind !== "sh" && state.shellPid === front.pgid && state.atPrompt;
    const starting = this.host.hookedAtStart() && state.shellPid === undefined && front.pgid === sid;
    if (starting && performance.now() - this.createdAt < STARTUP_MS) return false;
    // An integrated shell between a command's end and its next prompt: wait
    // for the prompt. Only a shell that stays silent at its input long after a
    // command began has lost its hooks (exec bash) and needs them again.
    if (!integrated && state.shellPid === front.pgid) {
      job.hooklessSince ??= performance.now();
      if (performance.now() - job.hooklessSince < REHOOK_AFTER_MS) return false;
    } else job.hooklessSince = undefined;
    job.typedAt = performance.now();
    job.from = this.host.end();
    if (integrated && hooks) {
      job.method = "hooks";
      job.state = "typed";
      if (!job.request.pager) this.setPagerFlag();
      this.host.log.expectTyped(job.request.command);
      this.host.write(this.typedCommand(job.request.command));
      return true;
    }
    if (kind !== "sh" && hooks && !job.installFailed) {
      job.state = "installing";
      // The echo of the line is hidden; a carriage return and erase-line stand
      // in for it, so the fresh prompt replaces the old one on the screen.
      this.host.marks.hideUntil("A", "\r\x1b[K", INSTALL_MS);
      this.host.write(Buffer.from(hooks.installLine(kind)));
      job.timer = setTimeout(() => {
        if (job.state === "installing") {
          job.installFailed = true;
          job.state = "queued";
          this.pump();
        }
      }, INSTALL_MS);
      return true;
    }
    job.method = "marker";
    job.state = "typed";
    this.host.log.expectTyped(job.request.command);
    const nonce = hooks?.nonce ?? "";
    const line = wrapperLines(job.request.command, nonce);
    // What a person would have seen instead of the wrapper: the command.
    this.host.marks.hideUntil("C", `${job.request.command.replace(/\r?\n/g, "\r\n")}\r\n`, INSTALL_MS);
    this.host.write(line);
    return true;
  }

  // The command as a person types it: a leading space keeps it out of history
  // (the hooks make every shell honour that); several lines, or control
  // characters, go as one bracketed paste when the shell has it on.
  private typedCommand(command: string): Buffer {
    const plain = !/[\x00-\x1f\x7f]/.test(command);
    if (plain) return Buffer.from(` ${command}\r`);
    if (this.host.pasteMode()) return Buffer.from(`\x1b[200~ ${command.replace(/\x1b\[201~/g, "")}\x1b[201~\r`);
    return Buffer.from(` ${command.replace(/\r?\n/g, "\r")}\r`);
  }

  // While the command runs: a program that took over the screen or waits on
  // the terminal would wait forever for an answer the caller cannot see.
  private reportInteractive(job: Job): boolean {
    const now = performance.now();
    if (now - job.typedAt < INTERACTIVE_AFTER_MS) return false;
    // Output still flowing: the command is doing its work; /proc is not read.
    const quiet = now - this.host.lastOutputAt() >= INTERACTIVE_AFTER_MS;
    if (!quiet && !this.altScreen) return false;
    const sid = this.host.sid();
    const front = inspectForeground(sid);
    if (!front) return false;
    const state = this.host.log.state;
    const shellAtPrompt = front.pgid === state.shellPid && state.atPrompt;
    if (shellAtPrompt) return false;
    if (this.altScreen && front.pgid !== sid) {
      this.finish(job, null, {
        code: EXIT.notRunning,
        message: `${front.comm} switched to the alternate screen in session ${this.host.id}; exec does not wait on full-screen programs (--allow-interactive does)`,
      });
      return true;
    }
    if (quiet && front.activity === "input" && (job.state === "running" || job.method === "marker")) {
      this.finish(job, null, {
        code: EXIT.notRunning,
        message: `${front.comm} is waiting for input on the terminal in session ${this.host.id} (answer it with send, or use --allow-interactive)`,
      });
      return true;
    }
    return false;
  }

  private timedOut(job: Job): void {
    if (!job.request.interrupt) {
      return this.finish(job, null, {
        code: EXIT.timeout,
        message: `the command in session ${this.host.id} is still running after ${job.request.timeout_ms} ms`,
      });
    }
    // C-c is a key, not text: it goes to whatever is in front.
    job.state = "interrupting";
    job.deadline = performance.now() + INTERRUPT_GRACE_MS;
    this.host.write(Buffer.from("\x03"));
    this.recheck(job);
  }

  private recheck(job: Job): void {
    clearTimeout(job.timer);
    const wait = Math.min(job.delay, Math.max(0, job.deadline - performance.now()));
    // A queued exec looks often (the shell may come back any moment); a
    // running one only checks now and then for a program waiting on the terminal.
    job.delay = Math.min(job.delay * 2, job.state === "queued" ? CHECK_MAX_MS : RUNNING_CHECK_MAX_MS);
    job.timer = setTimeout(() => this.pump(), Math.ceil(wait));
  }

  private finish(
    job: Job,
    exitCode: number | null,
    error?: { code: number; message: string },
    to?: number,
    shellExitCode?: number | null,
  ): void {
    clearTimeout(job.timer);
    const index = this.jobs.indexOf(job);
    if (index !== -1) this.jobs.splice(index, 1);
    this.clearPagerFlag();
    const timedOut = error?.code === EXIT.timeout || job.state === "interrupting";
    const started = job.state === "running" || job.state === "typed" || job.state === "interrupting";
    const from = started ? job.from : this.host.end();
    this.send(job.conn, {
      op: "exec_done",
      exit_code: exitCode,
      from,
      to: Math.max(from, to ?? this.host.end()),
      timed_out: timedOut,
      error,
      ...(shellExitCode === undefined ? {} : { shell_exit_code: shellExitCode }),
    });
    if (this.jobs.length > 0) queueMicrotask(() => this.pump());
  }

  private setPagerFlag(): void {
    const flag = this.host.hooks?.pagerFlag;
    if (!flag) return;
    try {
      fs.writeFileSync(flag, "", { mode: 0o600 });
    } catch {
      // Without the flag the user's pagers stay; --pager's behaviour.
    }
  }

  private clearPagerFlag(): void {
    const flag = this.host.hooks?.pagerFlag;
    if (flag) fs.rmSync(flag, { force: true });
  }
}
