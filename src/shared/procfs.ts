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
  // CPU time in clock ticks, and resident pages.
  utime: number;
  stime: number;
  rssPages: number;
}

function readStatText(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
}

// Parses /proc/PID/stat; undefined if the process is gone.
export function readProcStat(pid: number): ProcStat | undefined {
  const text = readStatText(pid);
  return text === undefined ? undefined : parseStat(pid, text);
}

function parseStat(pid: number, text: string): ProcStat {
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    pid,
    state: fields[0] ?? "?",
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
    tpgid: Number(fields[5]),
    startTime: Number(fields[19]),
    utime: Number(fields[11]),
    stime: Number(fields[12]),
    rssPages: Number(fields[21]),
  };
}

// The terminal's foreground process group for a session led by `pid` (the
// group a keypress would signal), or `pid` itself when the kernel has none.
export function foregroundGroup(pid: number): number {
  const stat = readProcStat(pid);
  return stat && stat.tpgid > 0 ? stat.tpgid : pid;
}

// The terminal's foreground process (its foreground group's leader) and its
// name, or undefined once it is gone. When that is the session's own process,
// its name comes from the stat already read (the same task->comm as /proc/PID/comm).
export function foregroundProcess(pid: number): { pid: number; name: string } | undefined {
  const text = readStatText(pid);
  const stat = text === undefined ? undefined : parseStat(pid, text);
  const leader = stat && stat.tpgid > 0 ? stat.tpgid : pid;
  if (text !== undefined && leader === pid) {
    const name = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
    return { pid, name: Buffer.from(name, "latin1").toString("utf8").trim() };
  }
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

// Linux's USER_HZ and page size on the platforms bgterm runs on.
const CLOCK_TICKS = 100;
const PAGE_BYTES = 4096;

export interface TreeStats {
  // Sum over the live processes of CPU time / time alive, in % of one core.
  cpu_percent: number;
  cpu_seconds: number;
  rss_bytes: number;
  processes: number;
}

// Live processes grouped by session id, from one scan of /proc (ls --stats).
export function membersBySession(): Map<number, ProcStat[]> {
  const bySession = new Map<number, ProcStat[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (!stat || stat.state === "Z") continue;
    const list = bySession.get(stat.session);
    if (list) list.push(stat);
    else bySession.set(stat.session, [stat]);
  }
  return bySession;
}

// CPU and memory of the given processes (a terminal session's members), read
// now: no sampling, each process's CPU share is its CPU time over its lifetime.
export function treeStats(members: ProcStat[]): TreeStats {
  let uptime = 0;
  try {
    uptime = Number(fs.readFileSync("/proc/uptime", "latin1").split(" ")[0]);
  } catch {
    // No uptime: CPU shares stay 0.
  }
  let percent = 0;
  let ticks = 0;
  let rss = 0;
  for (const member of members) {
    const used = member.utime + member.stime;
    ticks += used;
    rss += member.rssPages * PAGE_BYTES;
    const alive = uptime - member.startTime / CLOCK_TICKS;
    if (alive > 0) percent += (100 * used) / CLOCK_TICKS / alive;
  }
  return {
    cpu_percent: Math.round(percent * 10) / 10,
    cpu_seconds: ticks / CLOCK_TICKS,
    rss_bytes: rss,
    processes: members.length,
  };
}
