// ls over several hosts: each queried in parallel on its own channel; one table
// with a HOST column (JSON: each record gains "host"). A host that cannot be
// reached is a row with its error, not a failed listing.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ParsedArgs } from "../cli/args.ts";
import { outputMode, printJson, printTable } from "../cli/output.ts";
import { formatAge } from "../commands/ls.ts";
import { BgtermError, EXIT, usageError } from "../errors.ts";
import type { SessionRecord } from "../client/record.ts";
import { makeTarget, openClient } from "./run.ts";

// ~/.config/bgterm/hosts: one ssh destination per line, # comments.
export function configuredHosts(env: NodeJS.ProcessEnv = process.env): string[] {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), ".config");
  const file = path.join(base, "bgterm", "hosts");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw usageError(`--all-hosts reads ${file}, which does not exist (one host per line)`);
  }
  return text
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}

type HostListing =
  | { host: string; records: SessionRecord[] }
  | { host: string; error: { code: number; message: string } };

async function listOne(host: string, args: ParsedArgs): Promise<HostListing> {
  try {
    const client = await openClient(makeTarget(host, { ...args, via: undefined }));
    try {
      const response = await client.call("ls", {}, { timeoutMs: 60_000 });
      if (response.error) return { host, error: response.error };
      return { host, records: response.result as SessionRecord[] };
    } finally {
      client.close();
    }
  } catch (error) {
    const code = error instanceof BgtermError ? error.exitCode : EXIT.internal;
    return { host, error: { code, message: (error as Error).message } };
  }
}

export async function listHosts(given: string[], args: ParsedArgs): Promise<number> {
  if (args.via !== undefined) throw usageError("--via reaches one target; list several with --host");
  const hosts = [...new Set([...given, ...(args["all-hosts"] ? configuredHosts() : [])])];
  const listings = await Promise.all(hosts.map((host) => listOne(host, args)));
  const answered = listings.some((listing) => "records" in listing);
  if (outputMode.json) {
    await printJson(
      listings.flatMap((listing): object[] =>
        "records" in listing ? listing.records.map((r) => ({ host: listing.host, ...r })) : [listing],
      ),
    );
  } else {
    const rows: string[][] = [];
    for (const listing of listings) {
      if ("error" in listing) {
        rows.push([listing.host, "-", "-", "error", "-", "-", "-", "-", listing.error.message]);
        continue;
      }
      for (const r of listing.records) {
        rows.push([
          listing.host,
          String(r.id),
          r.name ?? "-",
          r.state,
          r.pid === null ? "-" : String(r.pid),
          r.exit_code === null ? "-" : String(r.exit_code),
          String(r.unread_bytes),
          formatAge(r.age_ms),
          r.command.join(" "),
        ]);
      }
    }
    await printTable(["HOST", "ID", "NAME", "STATE", "PID", "EXIT", "UNREAD", "AGE", "COMMAND"], rows);
  }
  return answered || hosts.length === 0 ? EXIT.ok : EXIT.internal;
}
