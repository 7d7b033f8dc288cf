// Every command an integrated shell runs becomes a record (command line,
// output offsets, exit status, times), whoever typed it: exec, send, or a
// person in attach. The shell's marks drive it; records are appended to the
// session's `commands` file (JSON lines, the last MAX_RECORDS kept), which
// `history`, `info` and `lines --command` read without asking the supervisor.
import fs from "node:fs";
import { openPrivate } from "../shared/private-fs.ts";
import { type CommandRecord, MAX_RECORDS } from "../shared/command-records.ts";
import { writeFileAtomic } from "../shared/private-fs.ts";
import type { ShellMark } from "./shell-marks.ts";

// The longest command line kept in a record.
const MAX_COMMAND_CHARS = 4096;

export interface ShellState {
  // The pid the hooks reported with their last prompt mark.
  shellPid?: number;
  // A prompt was shown and no command has started since.
  atPrompt: boolean;
  // The command running now, if the shell said one started.
  current?: { n: number; command: string; source: "exec" | "typed"; start: number; startedAt: number; end?: number };
}

export class CommandLog {
  readonly state: ShellState = { atPrompt: false };
  private next = 1;
  private lines = 0;
  private promptEnd?: number;
  // The command exec typed last, claimed by the next command start.
  private typed?: string;
  private last?: CommandRecord;

  constructor(
    private readonly file: string,
    // The text shown between two offsets (escape sequences stripped), for the
    // command line of a shell whose hooks do not send it.
    private readonly textBetween: (from: number, to: number) => string,
  ) {}

  // exec is about to type this command.
  expectTyped(command: string): void {
    this.typed = command;
  }

  get lastRecord(): CommandRecord | undefined {
    return this.last;
  }

  // A mark at output offset `at`; returns the record a command end completes.
  onMark(mark: ShellMark, at: number): CommandRecord | undefined {
    const now = Date.now();
    switch (mark.kind) {
      case "A":
        if (mark.pid !== undefined) this.state.shellPid = mark.pid;
        this.state.atPrompt = true;
        this.promptEnd = undefined;
        return undefined;
      case "B":
        this.promptEnd = at;
        return undefined;
      case "C": {
        const fromExec = this.typed;
        this.typed = undefined;
        let command = fromExec ?? mark.command;
        if (command === undefined && this.promptEnd !== undefined) command = this.textBetween(this.promptEnd, at);
        this.state.atPrompt = false;
        this.state.current = {
          n: this.next++,
          command: (command ?? "").trim().slice(0, MAX_COMMAND_CHARS),
          source: fromExec === undefined ? "typed" : "exec",
          start: at,
          startedAt: now,
        };
        return undefined;
      }
      case "E":
        if (this.state.current) this.state.current.end ??= at;
        return undefined;
      case "D": {
        const current = this.state.current;
        this.state.current = undefined;
        if (!current) return undefined;
        const record: CommandRecord = {
          n: current.n,
          command: current.command,
          source: current.source,
          start_offset: current.start,
          end_offset: current.end ?? at,
          exit_code: mark.status ?? null,
          started_at: new Date(current.startedAt).toISOString(),
          ended_at: new Date(now).toISOString(),
          duration_ms: now - current.startedAt,
        };
        this.append(record);
        return record;
      }
    }
  }

  private append(record: CommandRecord): void {
    this.last = record;
    try {
      const fd = openPrivate(this.file, "a");
      try {
        fs.writeSync(fd, `${JSON.stringify(record)}\n`);
      } finally {
        fs.closeSync(fd);
      }
      this.lines++;
      if (this.lines > 2 * MAX_RECORDS) {
        const kept = fs.readFileSync(this.file, "utf8").trimEnd().split("\n").slice(-MAX_RECORDS);
        writeFileAtomic(this.file, `${kept.join("\n")}\n`);
        this.lines = kept.length;
      }
    } catch {
      // A full disk loses the record, not the session.
    }
  }
}
