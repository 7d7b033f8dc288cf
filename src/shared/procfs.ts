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

// A /proc stat or comm file is well under 1 KiB (a 15-byte name and 52
// numbers); readFileSync would size a fresh 256 KiB buffer for each (their
// size reads 0), which costs more than the read.
const procBuffer = Buffer.alloc(4096);

function readFrom(fd: number): string {
  return procBuffer.toString("latin1", 0, fs.readSync(fd, procBuffer, 0, procBuffer.length, 0));
}

// A small /proc file's text (latin1), or undefined once its process is gone.
function readProcFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return undefined;
  }
  try {
    return readFrom(fd);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function readStatText(pid: number): string | undefined {
  return readProcFile(`/proc/${pid}/stat`);
}

// The stat files of the last foreground lookups, kept open: the MCP server
// reports a session's foreground process on every call, and a read of an open
// /proc/PID/stat costs half of open, read and close. The open file stays bound
// to its process: once that is reaped its reads fail, and the pid is opened anew.
const keptStats = new Map<number, number>();
const STATS_KEPT = 32;

function readKeptStat(pid: number): string | undefined {
  const kept = keptStats.get(pid);
  if (kept !== undefined) {
    try {
      return readFrom(kept);
    } catch {
      keptStats.delete(pid);
      fs.closeSync(kept);
    }
  }
  let fd: number;
  try {
    fd = fs.openSync(`/proc/${pid}/stat`, "r");
  } catch {
    return undefined;
  }
  if (keptStats.size >= STATS_KEPT) {
    const [oldest, oldFd] = keptStats.entries().next().value!;
    keptStats.delete(oldest);
    fs.closeSync(oldFd);
  }
  keptStats.set(pid, fd);
  try {
    return readFrom(fd);
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
  const text = readKeptStat(pid);
  const stat = text === undefined ? undefined : parseStat(pid, text);
  const leader = stat && stat.tpgid > 0 ? stat.tpgid : pid;
  const name =
    text !== undefined && leader === pid
      ? text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"))
      : readProcFile(`/proc/${leader}/comm`);
  return name === undefined ? undefined : { pid: leader, name: Buffer.from(name, "latin1").toString("utf8").trim() };
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
