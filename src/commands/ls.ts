// bgterm ls: one row per session.
import { command } from "../cli/command.ts";
import { sessionList } from "../cli/json-output.ts";
import { type CellStyle, outputMode, printJson, printTable } from "../cli/output.ts";
import { warn } from "../cli/messages.ts";
import * as api from "../client/api.ts";

// "3.2s", "5m", "2h": short enough for a table column.
export function formatAge(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h`;
  return `${Math.floor(ms / 86_400_000)}d`;
}

const stateStyle: Record<api.SessionRecord["state"], CellStyle> = {
  running: "green",
  exited: "dim",
  lost: "red",
  starting: "yellow",
};

export default command({
  name: "ls",
  summary: "List sessions",
  output: sessionList,
  async run() {
    const skipped: string[] = [];
    const records = api.list((id, error) => skipped.push(`skipping session ${id}: ${error.message}`));
    for (const message of skipped) await warn(message);
    if (outputMode.json) return printJson(records);
    await printTable(
      ["ID", "NAME", "STATE", "PID", "EXIT", "UNREAD", "AGE", "COMMAND"],
      records.map((r) => [
        String(r.id),
        r.name ?? "-",
        r.state,
        r.pid === null ? "-" : String(r.pid),
        r.exit_code === null ? "-" : String(r.exit_code),
        String(r.unread_bytes),
        formatAge(r.age_ms),
        r.command.join(" "),
      ]),
      records.map((r) => [undefined, undefined, stateStyle[r.state]]),
    );
  },
});
