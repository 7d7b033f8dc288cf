// The session record shown by ls, info and start --json (field names are part
// of the documented JSON contract).
import { currentName, listSessions, type SessionState, sessionState } from "./registry.ts";
import type { SessionFiles } from "../shared/session-files.ts";
import type { EndedBy, HealthState, RunRecord } from "../shared/lifecycle.ts";
import { membersBySession, type ProcStat, treeStats } from "../shared/procfs.ts";
import { sanitizeLabels } from "../shared/labels.ts";

export interface SessionRecord {
  id: number;
  name: string | null;
  state: SessionState;
  pid: number | null;
  supervisor_pid: number | null;
  exit_code: number | null;
  command: string[];
  cwd: string | null;
  cols: number | null;
  rows: number | null;
  backend: string | null;
  started_at: string | null;
  // When the program ended for good (null while it runs).
  ended_at: string | null;
  age_ms: number | null;
  unread_bytes: number;
  start_offset: number;
  end_offset: number;
  cursor: number;
  dropped_bytes: number;
  // Why output could not be stored (e.g. the disk is full), or null.
  storage_error: string | null;
  labels: Record<string, string>;
  // Why bgterm ended the program (max-runtime, ttl, health, close), or null.
  ended_by: EndedBy | null;
  // Every run of the program; restart_count is runs - 1.
  runs: RunRecord[];
  restart_count: number;
  // With a health check: starting, healthy or unhealthy; otherwise null.
  health: HealthState | null;
  // The session's live processes: CPU share (% of one core, averaged over each
  // process's lifetime), CPU seconds and resident memory; null when none runs.
  cpu_percent: number | null;
  cpu_seconds: number | null;
  rss_bytes: number | null;
}

// The runs recorded in meta.json, keeping only well-formed entries.
function checkedRuns(value: unknown): RunRecord[] {
  if (!Array.isArray(value)) return [];
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  const whole = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v) ? v : null);
  return value.flatMap((run) => {
    if (typeof run !== "object" || run === null) return [];
    const { pid, started_at, start_offset, ended_at, exit_code, signal } = run as Record<string, unknown>;
    const checkedPid = whole(pid);
    const started = text(started_at);
    const offset = whole(start_offset);
    if (checkedPid === null || started === null || offset === null) return [];
    return [
      {
        pid: checkedPid,
        started_at: started,
        start_offset: offset,
        ended_at: text(ended_at),
        exit_code: whole(exit_code),
        signal: text(signal),
      },
    ];
  });
}

// A value read from a file, if it is one of the allowed ones.
function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | null {
  return allowed.includes(value as T) ? (value as T) : null;
}

// Live processes by session id; read once per listing.
type ProcessTable = Map<number, ProcStat[]>;

// `processes` null leaves the CPU and memory fields null (a table without --stats).
export function buildRecord(files: SessionFiles, processes: ProcessTable | null = membersBySession()): SessionRecord {
  const state = sessionState(files);
  const meta = files.readMeta();
  const spec = meta ? undefined : files.readSpec();
  const status = files.readStatus();
  const { end, validFrom } = files.readEndAndLines();
  const capacity = meta?.max_buffer ?? spec?.max_buffer ?? 1;
  const retainedStart = Math.min(end, Math.max(0, end - capacity, validFrom));
  // A damaged cursor file must not hide the session: show it as unread from
  // the oldest retained byte.
  let cursor: number;
  try {
    cursor = files.readCursor("default", end);
  } catch {
    cursor = retainedStart;
  }
  const runs = checkedRuns(meta?.runs);
  const members = state === "running" && meta ? processes?.get(meta.pid) : undefined;
  const stats = members ? treeStats(members) : undefined;
  return {
    id: files.id,
    name: currentName(files.stateDir, files.id, meta?.name ?? spec?.name ?? null),
    state,
    pid: meta?.pid ?? null,
    supervisor_pid: meta?.supervisor_pid ?? null,
    exit_code: status?.exit_code ?? null,
    command: meta?.command ?? spec?.command ?? [],
    cwd: meta?.cwd ?? spec?.cwd ?? null,
    cols: meta?.cols ?? spec?.cols ?? null,
    rows: meta?.rows ?? spec?.rows ?? null,
    backend: meta?.backend ?? spec?.backend ?? null,
    started_at: meta?.started_at ?? null,
    ended_at: status?.ended_at ?? null,
    age_ms: meta ? Math.max(0, Date.now() - Date.parse(meta.started_at)) : null,
    unread_bytes: Math.max(0, end - Math.max(cursor, retainedStart)),
    start_offset: retainedStart,
    end_offset: end,
    cursor,
    dropped_bytes: retainedStart,
    storage_error: files.readStorageError(),
    labels: sanitizeLabels(meta?.labels ?? spec?.labels),
    ended_by: oneOf(meta?.ended_by, ["max-runtime", "ttl", "health", "close"] as const),
    runs,
    restart_count: Math.max(0, runs.length - 1),
    health: oneOf(meta?.health, ["starting", "healthy", "unhealthy"] as const),
    cpu_percent: stats?.cpu_percent ?? null,
    cpu_seconds: stats?.cpu_seconds ?? null,
    rss_bytes: stats?.rss_bytes ?? null,
  };
}

// Every readable session's record; a corrupt one goes to onError instead, so
// it never hides the others.
export function listRecords(onError: (id: number, error: Error) => void, withStats = true): SessionRecord[] {
  const records: SessionRecord[] = [];
  // One scan of /proc for the whole list, and none when nobody asked.
  const processes = withStats ? membersBySession() : null;
  for (const files of listSessions()) {
    try {
      records.push(buildRecord(files, processes));
    } catch (error) {
      onError(files.id, error as Error);
    }
  }
  return records;
}
