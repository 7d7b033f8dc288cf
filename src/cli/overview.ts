// `bgterm` with no arguments: the live sessions at a glance, then the
// commands people use most.
import { printLine, printTable } from "./output.ts";
import { listRecords } from "../client/record.ts";

export async function printOverview(version: string): Promise<void> {
  // ls reports broken sessions; the overview just leaves them out.
  const records = listRecords(() => {}, false);
  await printLine(`bgterm ${version}: ${records.length === 0 ? "no sessions" : `${records.length} session(s)`}`);
  if (records.length > 0) {
    await printTable(
      ["ID", "NAME", "STATE", "UNREAD", "COMMAND"],
      records.map((r) => [String(r.id), r.name ?? "-", r.state, String(r.unread_bytes), r.command.join(" ")]),
    );
  }
  await printLine(
    [
      "",
      "  bgterm start CMD...        start a session, print its id",
      "  bgterm send ID TEXT        type TEXT + Enter, print the reply",
      "  bgterm poll ID             print new output (waits up to 10 s)",
      "  bgterm exec ID 'CMD'       run CMD in a shell session, get its output and status",
      "  bgterm close ID | --all    end sessions",
      "",
      "bgterm --help lists every command.",
    ].join("\n"),
  );
}
