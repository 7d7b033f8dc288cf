// Ending a terminal session's processes: the signal to every process group of
// the session, then SIGKILL to whatever is left after the grace period. Used by
// the supervisor (close) and by a client ending a lost session's orphans.
import { sessionMembers, signalSession } from "./procfs.ts";

// How often to look for members that outlived the signal (the kernel offers no
// event for the exit of processes that are not our children).
const CHECK_MS = 20;

// Resolves once no member of session `sid` is left (SIGKILL after graceMs).
export async function terminateSession(sid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  signalSession(sid, signal);
  const deadline = performance.now() + graceMs;
  while (sessionMembers(sid).length > 0 && performance.now() < deadline) await Bun.sleep(CHECK_MS);
  if (sessionMembers(sid).length > 0) signalSession(sid, "SIGKILL");
}
