// The session record shown by ls, info and start --json (field names are part
// of the documented JSON contract).
import { currentName, listSessions, type SessionState, sessionState } from "./registry.ts";
import type { SessionFiles } from "../shared/session-files.ts";

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
  age_ms: number | null;
  unread_bytes: number;
  start_offset: number;
  end_offset: number;
  cursor: number;
  dropped_bytes: number;
  // Why output could not be stored (e.g. the disk is full), or null.
  storage_error: string | null;
}

export function buildRecord(files: SessionFiles): SessionRecord {
  const state = sessionState(files);
  const meta = files.readMeta();
  const spec = meta ? undefined : files.readSpec();
  const status = files.readStatus();
  const end = files.readEnd();
  const capacity = meta?.max_buffer ?? spec?.max_buffer ?? 1;
  const retainedStart = Math.max(0, end - capacity);
  const cursor = files.readCursor("default", end);
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
    age_ms: meta ? Math.max(0, Date.now() - Date.parse(meta.started_at)) : null,
    unread_bytes: Math.max(0, end - Math.max(cursor, retainedStart)),
    start_offset: retainedStart,
    end_offset: end,
    cursor,
    dropped_bytes: retainedStart,
    storage_error: files.readStorageError(),
  };
}

// Every readable session's record; a corrupt one goes to onError instead, so
// it never hides the others.
export function listRecords(onError: (id: number, error: Error) => void): SessionRecord[] {
  const records: SessionRecord[] = [];
  for (const files of listSessions()) {
    try {
      records.push(buildRecord(files));
    } catch (error) {
      onError(files.id, error as Error);
    }
  }
  return records;
}
