// bgterm ls: one row per session.
import { command } from "../cli/command.ts";
import { sessionList } from "../cli/json-output.ts";
import { type CellStyle, outputMode, printJson, printTable } from "../cli/output.ts";
import { warn } from "../cli/messages.ts";
import * as api from "../client/api.ts";
import { parseLabels } from "../shared/labels.ts";

// "12.5M": memory for a table column (powers of 1024).
function formatBytes(bytes: number | null): string {
  if (bytes === null) return "-";
  const units = ["B", "K", "M", "G"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 || value >= 10 ? 0 : 1)}${units[unit]}`;
}

// What the STATE column says: restarts and health are part of the state.
function stateText(record: api.SessionRecord): string {
  let text = record.state === "running" && record.health === "unhealthy" ? "unhealthy" : record.state;
  const count = record.restart_count;
  if (count > 0) text += ` (${count} ${count === 1 ? "restart" : "restarts"})`;
  return text;
}

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
  options: {
    label: {
      kind: "pair",
      short: "l",
      repeat: true,
      help: "Only sessions with this label KEY=VALUE (repeatable; all must match)",
    },
    stats: { kind: "boolean", help: "Add CPU % and memory (RSS) of each session's processes" },
    "all-hosts": { kind: "boolean", help: "List every host in ~/.config/bgterm/hosts (with a HOST column)" },
  },
  output: sessionList,
  async run(args) {
    const skipped: string[] = [];
    const stats = args.stats === true;
    const records = await api.list((id, error) => skipped.push(`skipping session ${id}: ${error.message}`), {
      labels: parseLabels(args.label as string[], "--label"),
      stats: stats || outputMode.json,
    });
    for (const message of skipped) await warn(message);
    if (outputMode.json) return printJson(records);
    await printTable(
      ["ID", "NAME", "STATE", "PID", "EXIT", "UNREAD", "AGE", ...(stats ? ["CPU%", "RSS"] : []), "COMMAND"],
      records.map((r) => [
        String(r.id),
        r.name ?? "-",
        stateText(r),
        r.pid === null ? "-" : String(r.pid),
        r.exit_code === null ? "-" : String(r.exit_code),
        String(r.unread_bytes),
        formatAge(r.age_ms),
        ...(stats ? [r.cpu_percent === null ? "-" : r.cpu_percent.toFixed(1), formatBytes(r.rss_bytes)] : []),
        r.command.join(" "),
      ]),
      records.map((r) => [undefined, undefined, r.health === "unhealthy" ? "red" : stateStyle[r.state]]),
    );
  },
});
