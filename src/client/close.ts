// Closing a session: the supervisor signals the terminal's whole session
// (SIGHUP, then SIGKILL after the grace period), records the exit and exits;
// then the folder and the name go. A lost session's orphans are found and
// ended here instead, identified by the session id the child leads.
import { requestOk, withSession } from "./requests.ts";
import { lockExclusive } from "../shared/flock.ts";
import { readProcStat, sessionMembers, signalSession } from "../shared/procfs.ts";
import { releaseName } from "./registry.ts";
import type { SessionFiles } from "../shared/session-files.ts";

const CHECK_MS = 20;

// Signal, then SIGKILL whatever is left of the terminal session after graceMs.
async function endOrphans(sid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  // The child leads its own session; a reused pid would not (or not this sid).
  if (readProcStat(sid)?.session !== sid && sessionMembers(sid).length === 0) return;
  signalSession(sid, signal);
  const deadline = performance.now() + graceMs;
  while (sessionMembers(sid).length > 0 && performance.now() < deadline) await Bun.sleep(CHECK_MS);
  if (sessionMembers(sid).length > 0) signalSession(sid, "SIGKILL");
}

export async function closeSession(files: SessionFiles, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  await withSession(
    files,
    (channel) => requestOk(files, channel, { op: "close", signal, grace_ms: graceMs }),
    async () => {
      const meta = files.readMeta();
      if (meta) await endOrphans(meta.pid, signal, graceMs);
    },
  );
  // The supervisor exits right after its answer; its lock tells us when.
  const lock = lockExclusive(files.lock);
  const meta = files.readMeta();
  files.remove();
  lock.release();
  if (meta?.name) releaseName(files.stateDir, meta.name, files.id);
}
