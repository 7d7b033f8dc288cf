// What the kernel knows about processes, read from /proc: a session's members,
// the terminal's foreground process group, and a process's start time (which
// tells a live child from an unrelated process that reused its pid).
import fs from "node:fs";

export interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
  session: number;
  tpgid: number;
  startTime: number;
}

// Parses /proc/PID/stat; undefined if the process is gone.
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    pid,
    state: fields[0] ?? "?",
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
    tpgid: Number(fields[5]),
    startTime: Number(fields[19]),
  };
}

// The terminal's foreground process group for a session led by `pid` (the
// group a keypress would signal), or `pid` itself when the kernel has none.
export function foregroundGroup(pid: number): number {
  const stat = readProcStat(pid);
  return stat && stat.tpgid > 0 ? stat.tpgid : pid;
}

// The terminal's foreground process (its foreground group's leader) and its
// name, or undefined once it is gone.
export function foregroundProcess(pid: number): { pid: number; name: string } | undefined {
  const leader = foregroundGroup(pid);
  try {
    return { pid: leader, name: fs.readFileSync(`/proc/${leader}/comm`, "utf8").trim() };
  } catch {
    return undefined;
  }
}

// Live (non-zombie) processes whose session id is `sid`: everything that was
// started in the session's terminal and did not leave it with setsid.
export function sessionMembers(sid: number): ProcStat[] {
  const members: ProcStat[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.session === sid && stat.state !== "Z") members.push(stat);
  }
  return members;
}

// Sends signal to every process group of the session.
export function signalSession(sid: number, signal: NodeJS.Signals): void {
  const groups = new Set(sessionMembers(sid).map((member) => member.pgrp));
  for (const group of groups) {
    try {
      process.kill(-group, signal);
    } catch {
      // The group ended between the scan and the kill.
    }
  }
}
