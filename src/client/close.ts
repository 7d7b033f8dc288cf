// Closing a session: the supervisor signals the terminal's whole session
// (SIGHUP, then SIGKILL after the grace period), records the exit and exits;
// then the folder and the name go. A lost session's orphans are found and
// ended here instead, identified by the session id the child leads.
import { withLock } from "../shared/flock.ts";
import { readProcStat, sessionMembers } from "../shared/procfs.ts";
import type { SessionFiles } from "../shared/session-files.ts";
import { terminateSession } from "../shared/terminate.ts";
import { releaseName } from "./registry.ts";
import { ProtocolMismatchError, requestOk, withSession } from "./requests.ts";

// Signal, then SIGKILL whatever is left of the terminal session after graceMs.
async function endOrphans(sid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  // The child leads its own session; a reused pid would not (or not this sid).
  if (readProcStat(sid)?.session !== sid && sessionMembers(sid).length === 0) return;
  await terminateSession(sid, signal, graceMs);
}

export async function closeSession(files: SessionFiles, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  try {
    await withSession(
      files,
      (channel) => requestOk(files, channel, { op: "close", signal, grace_ms: graceMs }),
      async () => {
        const meta = files.readMeta();
        if (meta) await endOrphans(meta.pid, signal, graceMs);
      },
    );
  } catch (error) {
    if (!(error instanceof ProtocolMismatchError)) throw error;
    // A supervisor of another bgterm version still closes its session on
    // SIGTERM (SIGHUP to the session, SIGKILL after its own grace period).
    const meta = files.readMeta();
    if (!meta) throw error;
    process.kill(meta.supervisor_pid, "SIGTERM");
  }
  // The supervisor exits right after its answer; its lock tells us when.
  const meta = withLock(files.lock, () => {
    const last = files.readMeta();
    files.remove();
    return last;
  });
  if (meta?.name) releaseName(files.stateDir, meta.name, files.id);
}
