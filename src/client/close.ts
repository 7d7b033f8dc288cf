// Closing a session: the supervisor signals the terminal's whole session
// (SIGHUP, then SIGKILL after the grace period), records the exit and exits;
// then the folder and the name go. A lost session's orphans are found and
// ended here instead, identified by the session id the child leads. Every
// wait is bounded: a supervisor that is starting is waited for, one that does
// not answer (stopped, hung, its socket removed) is killed by its pid, found
// by its command line, never by a name alone.
import fs from "node:fs";
import path from "node:path";
import { BgtermError, EXIT } from "../errors.ts";
import { LOCK_WAIT_MS, lockWithin } from "../shared/flock.ts";
import { readProcStat, sessionMembers } from "../shared/procfs.ts";
import type { SessionFiles, SessionMeta } from "../shared/session-files.ts";
import { terminateSession } from "../shared/terminate.ts";
import { releaseName } from "./registry.ts";
import {
  ProtocolMismatchError,
  REPLY_MARGIN_MS,
  requestOk,
  SessionUnreachableError,
  SupervisorStuckError,
  withSession,
} from "./requests.ts";
// How long the supervisor may take past --grace to end its child and answer.
const CLOSE_SLACK_MS = 3000;

// Signal, then SIGKILL whatever is left of the terminal session after graceMs.
async function endOrphans(sid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  // The child leads its own session; a reused pid would not (or not this sid).
  if (readProcStat(sid)?.session !== sid && sessionMembers(sid).length === 0) return;
  await terminateSession(sid, signal, graceMs);
}

// The supervisors of this state dir, by session id, found by their command
// line (`<bgterm> _supervise <state dir> <id>`).
export function findSupervisors(stateDir: string): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const at = argv.indexOf("_supervise");
    if (at === -1 || argv[at + 1] !== stateDir || !/^\d+$/.test(argv[at + 2] ?? "")) continue;
    const state = readProcStat(Number(entry))?.state;
    if (state && state !== "Z") found.set(Number(argv[at + 2]), Number(entry));
  }
  return found;
}

function readMetaSafely(files: SessionFiles): SessionMeta | undefined {
  try {
    return files.readMeta();
  } catch {
    // A corrupt meta.json must not make a session impossible to close.
    return undefined;
  }
}

// A session whose supervisor is still starting (no meta.json yet) is waited
// for, bounded; an allocation whose start was abandoned stays without one.
async function waitUntilStarted(files: SessionFiles): Promise<void> {
  const deadline = performance.now() + LOCK_WAIT_MS;
  for (let delay = 2; performance.now() < deadline; delay = Math.min(delay * 2, 100)) {
    if (!files.exists() || fs.existsSync(files.meta) || fs.existsSync(files.status)) return;
    await Bun.sleep(delay);
  }
}

// Kills a supervisor that cannot be asked (it holds the session's lock but
// does not answer): SIGKILL also works on a stopped process. Its child loses
// the terminal (SIGHUP); endOrphans finishes the rest.
function killSupervisor(files: SessionFiles): void {
  const pid = findSupervisors(files.stateDir).get(files.id);
  if (pid !== undefined) process.kill(pid, "SIGKILL");
}

export async function closeSession(files: SessionFiles, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  await waitUntilStarted(files);
  const meta = readMetaSafely(files);
  // The name goes first, so a --reuse racing this close starts a new session
  // instead of returning this one.
  const name = meta?.name ?? specName(files);
  if (name) releaseName(files.stateDir, name, files.id);
  const offline = async () => {
    if (meta) await endOrphans(meta.pid, signal, graceMs);
  };
  try {
    await withSession(
      files,
      (channel) =>
        requestOk(
          files,
          channel,
          { op: "close", signal, grace_ms: graceMs },
          graceMs + CLOSE_SLACK_MS + REPLY_MARGIN_MS,
        ),
      offline,
    );
  } catch (error) {
    if (!files.exists()) return; // closed by someone else meanwhile
    if (error instanceof ProtocolMismatchError) {
      // A supervisor of another bgterm version still closes its session on
      // SIGTERM (SIGHUP to the session, SIGKILL after its own grace period).
      const pid = findSupervisors(files.stateDir).get(files.id) ?? meta?.supervisor_pid;
      if (pid === undefined) throw error;
      process.kill(pid, "SIGTERM");
    } else if (error instanceof SessionUnreachableError || error instanceof SupervisorStuckError) {
      killSupervisor(files);
    } else throw error;
  }
  // The supervisor exits right after its answer; its lock tells us when.
  const lockWait = graceMs + CLOSE_SLACK_MS + REPLY_MARGIN_MS;
  let lock = await lockWithin(files.lock, lockWait).catch(() => undefined);
  if (!lock && files.exists()) {
    killSupervisor(files);
    lock = await lockWithin(files.lock).catch(() => undefined);
  }
  if (!lock) {
    if (!files.exists()) return; // closed by someone else meanwhile
    throw new BgtermError(EXIT.internal, `session ${files.id}: its supervisor did not exit`);
  }
  try {
    await offline(); // whatever a killed supervisor left behind
    files.remove();
  } finally {
    lock.release();
  }
}

function specName(files: SessionFiles): string | null {
  try {
    return files.readSpec().name;
  } catch {
    return null;
  }
}

// Supervisors of this state dir whose session folder is gone (deleted by
// hand): nothing lists them, so close --all ends them by their pid.
export async function closeFolderless(stateDir: string, graceMs: number): Promise<number[]> {
  const ended: number[] = [];
  for (const [id, pid] of findSupervisors(stateDir)) {
    if (fs.existsSync(path.join(stateDir, "sessions", String(id)))) continue;
    // SIGTERM: the supervisor ends its terminal session (SIGHUP, then SIGKILL).
    process.kill(pid, "SIGTERM");
    ended.push(id);
  }
  const deadline = performance.now() + graceMs + CLOSE_SLACK_MS + REPLY_MARGIN_MS;
  while (performance.now() < deadline && ended.some((id) => findSupervisors(stateDir).has(id))) {
    await Bun.sleep(50);
  }
  return ended;
}
