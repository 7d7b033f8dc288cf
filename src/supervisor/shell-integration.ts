// The supervisor's side of shell integration in one place: the hooks a shell
// is started with, the mark filter on the output path, the command records,
// the exec queue, and the "settled" test that send and poll wait for. The
// supervisor hands it every output chunk, and stores only what comes out.
import crypto from "node:crypto";
import path from "node:path";
import { BgtermError, EXIT } from "../errors.ts";
import type { Connection as Conn } from "./connection.ts";
import type { ExecRequest, Reply } from "../shared/protocol.ts";
import type { OutputRing } from "../shared/ring.ts";
import { PlainFilter } from "../text/plain.ts";
import { CommandLog } from "./command-log.ts";
import { ExecQueue, type SessionView } from "./exec-queue.ts";
import { inspectForeground } from "./foreground.ts";
import { ShellHooks, shellKind } from "./shell-hooks.ts";
import { ShellMarks } from "./shell-marks.ts";

// The largest command exec accepts (it is typed into the shell).
const MAX_COMMAND_BYTES = 1024 * 1024;

export interface IntegrationHost extends SessionView {
  readonly sessionDir: string;
  readonly ring: OutputRing;
  // Stores output (after marks are removed).
  store(bytes: Uint8Array): void;
  // Output or a mark arrived: waiting readers look again.
  changed(): void;
  send(conn: Conn, reply: Reply): void;
}

export class ShellIntegration {
  readonly hooks: ShellHooks;
  readonly marks: ShellMarks;
  readonly log: CommandLog;
  private readonly queue: ExecQueue;
  private paste = false;
  private hooksWritten = false;
  private hookedAtSpawn = false;
  // Output offset of the last command-end mark (settles a send to an integrated shell).
  private commandEndAt = -1;

  constructor(private readonly host: IntegrationHost) {
    this.hooks = new ShellHooks(host.sessionDir, crypto.randomBytes(16).toString("hex"));
    this.marks = new ShellMarks(this.hooks.nonce, {
      output: (bytes) => host.store(bytes),
      mark: (mark) => {
        const at = host.end();
        this.log.onMark(mark, at);
        if (mark.kind === "D") this.commandEndAt = at;
        this.queue.onMark(mark, at);
        host.changed();
      },
      mode: (mode, on) => {
        if (mode === 2004) this.paste = on;
        this.queue.onMode(mode, on);
      },
    });
    this.log = new CommandLog(path.join(host.sessionDir, "commands"), (from, to) => this.textBetween(from, to));
    const self = this;
    this.queue = new ExecQueue(
      {
        id: host.id,
        sid: () => host.sid(),
        end: () => host.end(),
        lastOutputAt: () => host.lastOutputAt(),
        running: () => host.running(),
        exitCode: () => host.exitCode(),
        inputIdle: () => host.inputIdle(),
        write: (bytes) => host.write(bytes),
        log: this.log,
        marks: this.marks,
        get hooks() {
          self.writeHooks();
          return self.hooks;
        },
        pasteMode: () => this.paste,
        hookedAtStart: () => this.hookedAtSpawn,
      },
      (conn, reply) => host.send(conn, reply),
    );
  }

  // The argv and environment to spawn: a known shell gets its hooks loaded.
  spawnCommand(argv: string[], env: Record<string, string>): { argv: string[]; env: Record<string, string> } {
    const kind = shellKind(argv[0] ?? "");
    if (kind === undefined || kind === "sh") return { argv, env };
    const integrated = this.hooks.integrate(argv, env);
    if (!integrated) return { argv, env };
    this.writeHooks();
    this.hookedAtSpawn = true;
    return integrated;
  }

  private writeHooks(): void {
    if (this.hooksWritten) return;
    this.hooks.write();
    this.hooksWritten = true;
  }

  feed(chunk: Uint8Array): void {
    this.marks.feed(chunk);
  }

  submit(conn: Conn, request: ExecRequest): void {
    if (typeof request.command !== "string" || request.command.trim() === "") {
      throw new BgtermError(EXIT.usage, "exec needs a command");
    }
    if (request.command.includes("\0")) throw new BgtermError(EXIT.usage, "a command cannot contain NUL bytes");
    if (Buffer.byteLength(request.command) > MAX_COMMAND_BYTES) {
      throw new BgtermError(EXIT.usage, "a command longer than 1 MiB cannot be typed into a shell");
    }
    const timeout = request.timeout_ms;
    if (timeout !== null && (typeof timeout !== "number" || !(timeout >= 0))) {
      throw new BgtermError(EXIT.usage, "bad exec timeout");
    }
    this.queue.submit(conn, {
      op: "exec",
      command: request.command,
      timeout_ms: timeout,
      no_wait: request.no_wait === true,
      interrupt: request.interrupt === true,
      allow_interactive: request.allow_interactive === true,
      pager: request.pager === true,
    });
  }

  connectionClosed(conn: Conn): void {
    this.queue.connectionClosed(conn);
  }

  // Input drained, or the child ended: a waiting exec looks again.
  pump(): void {
    this.queue.pump();
  }

  // Settled (for send and poll): an integrated shell showed its prompt after
  // `since`; or the foreground group has nothing on a CPU and — after input —
  // is blocked waiting for more input (so a silent sleep is waited for).
  settled(since: number, afterInput: boolean): boolean {
    if (!this.host.inputIdle()) return false;
    if (this.commandEndAt >= since && this.log.state.atPrompt) return true;
    const front = inspectForeground(this.host.sid());
    if (!front) return true;
    if (front.activity === "running") return false;
    if (afterInput) return front.activity === "input" || front.activity === "unknown";
    return true;
  }

  private textBetween(from: number, to: number): string {
    const start = Math.max(from, this.host.ring.retainedStart(this.host.end()));
    if (to <= start || to - start > 64 * 1024) return "";
    const filter = new PlainFilter();
    const text = Buffer.concat([filter.push(this.host.ring.read(start, to)), filter.flush()]).toString("utf8");
    // The command line as shown: the last state of each line, continuation prompts kept.
    return text
      .split("\n")
      .map((line) => line.split("\r").filter(Boolean).pop() ?? "")
      .join("\n")
      .trim();
  }
}
