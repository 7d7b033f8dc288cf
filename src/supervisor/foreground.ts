// What the terminal's foreground process group is doing, from /proc: which
// program is in front, whether any of its processes is on a CPU, and whether
// it is blocked waiting for input (read on the terminal, or select/poll). The
// kernel shows the blocking system call in /proc/PID/syscall, which the
// supervisor may read because it is the ancestor of every process in the session.
import fs from "node:fs";
import { readProcStat, sessionMembers } from "../shared/procfs.ts";

// System calls that wait for input: read/readv (on a terminal) and the
// select/poll/epoll family (whose descriptors /proc does not show).
const INPUT_CALLS: Record<string, { read: number[]; wait: number[] }> = {
  x64: { read: [0, 19], wait: [7, 23, 232, 270, 271, 281, 441] },
  arm64: { read: [63, 65], wait: [22, 72, 73, 441] },
};

export type Activity = "running" | "input" | "sleeping" | "unknown";
// What one process is doing; "gone" when it exited while being looked at.
type ProcessActivity = Activity | "gone";

export interface Foreground {
  pgid: number;
  comm: string;
  activity: Activity;
}

export function readComm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim().replace(/^-/, "");
  } catch {
    return "an unknown program";
  }
}

// What one blocked process waits for: "input", "sleeping", or "unknown" when
// /proc does not say. A process between system calls (-1: a page fault, being
// scheduled) counts as running.
export function blockedOn(pid: number): ProcessActivity {
  const calls = INPUT_CALLS[process.arch];
  if (!calls) return "unknown";
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/syscall`, "latin1").trim();
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === "ENOENT" || code === "ESRCH" ? "gone" : "unknown";
  }
  if (text === "running") return "running";
  const fields = text.split(" ");
  const number = Number(fields[0]);
  if (number === -1) return "running";
  if (!Number.isInteger(number) || number < 0) return "unknown";
  if (calls.wait.includes(number)) return "input";
  if (calls.read.includes(number)) {
    const fd = Number.parseInt(fields[1] ?? "", 16);
    try {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") ? "input" : "sleeping";
    } catch {
      return "unknown";
    }
  }
  return "sleeping";
}

// The foreground process group of the terminal whose session leader is `sid`.
export function inspectForeground(sid: number): Foreground | undefined {
  const leader = readProcStat(sid);
  if (!leader || leader.state === "Z") return undefined;
  const pgid = leader.tpgid > 0 ? leader.tpgid : sid;
  const members = pgid === sid && leader.pgrp === sid ? [leader] : sessionMembers(sid).filter((m) => m.pgrp === pgid);
  // No live member: the group just ended and the shell has not taken the
  // terminal back yet — a moment of transition, not a settled state.
  if (members.length === 0) return { pgid, comm: readComm(pgid), activity: "running" };
  // The group's name: the member waiting for input, else the leader, else any
  // member (a pipeline's leader may have exited already).
  let named = members.find((m) => m.pid === pgid) ?? members[0]!;
  let activity: Activity = "sleeping";
  let sawInput = false;
  let unknown = false;
  for (const member of members) {
    if (member.state === "R" || member.state === "D") return { pgid, comm: readComm(member.pid), activity: "running" };
    if (member.state !== "S") continue;
    const blocked = blockedOn(member.pid);
    if (blocked === "running") return { pgid, comm: readComm(member.pid), activity: "running" };
    if (blocked === "input" && !sawInput) {
      sawInput = true;
      named = member;
    }
    if (blocked === "unknown") unknown = true;
  }
  // The group waits for input when any member does and none runs.
  if (sawInput) activity = "input";
  else if (unknown) activity = "unknown";
  return { pgid, comm: readComm(named.pid), activity };
}
