// The records of the commands an integrated shell ran, as the supervisor
// writes them to the session's `commands` file and clients read them back.
import { readTextIfExists } from "./private-fs.ts";

// How many records a session keeps (older ones are dropped).
export const MAX_RECORDS = 1000;

export interface CommandRecord {
  // 1 for the session's first command, counting up.
  n: number;
  command: string;
  // exec: typed by bgterm exec; typed: by send, attach, or the program itself.
  source: "exec" | "typed";
  // The command's output: absolute offsets, end exclusive (marks removed).
  start_offset: number;
  end_offset: number;
  exit_code: number | null;
  started_at: string;
  ended_at: string;
  duration_ms: number;
}

function isRecord(value: unknown): value is CommandRecord {
  const r = value as CommandRecord;
  return (
    typeof r === "object" &&
    r !== null &&
    Number.isInteger(r.n) &&
    typeof r.command === "string" &&
    (r.source === "exec" || r.source === "typed") &&
    Number.isInteger(r.start_offset) &&
    Number.isInteger(r.end_offset) &&
    r.end_offset >= r.start_offset &&
    (r.exit_code === null || Number.isInteger(r.exit_code)) &&
    typeof r.started_at === "string" &&
    typeof r.ended_at === "string" &&
    typeof r.duration_ms === "number"
  );
}

// The session's records, oldest first, the last MAX_RECORDS; malformed lines are skipped.
export function readCommandRecords(file: string): CommandRecord[] {
  const text = readTextIfExists(file);
  if (!text) return [];
  const records: CommandRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const value = JSON.parse(line);
      if (isRecord(value)) records.push(value);
    } catch {
      // A torn last line (the supervisor was killed mid-write).
    }
  }
  return records.slice(-MAX_RECORDS);
}
