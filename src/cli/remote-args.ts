// Where a command runs: the options every command takes for remote hosts
// (declared once here and merged into each command's definition by command()),
// and the cheap check main.ts makes before loading any remote code.
import { usageError } from "../errors.ts";
import type { OptionSpec, ParsedArgs } from "./command.ts";

export const remoteOptions: Record<string, OptionSpec> = {
  host: {
    kind: "string",
    short: "H",
    repeat: true,
    help: "Run on this host over SSH: anything ssh accepts (default $BGTERM_HOST; or HOST:ID; ls takes several)",
  },
  via: { kind: "string", help: "Reach the host through this command instead of ssh, e.g. 'docker exec -i box'" },
  install: { kind: "boolean", help: "With --host: install this bgterm there first if missing or different" },
};

// Accepted before the command too, with their values (bgterm -H build1 ls).
export const REMOTE_VALUE_FLAGS = new Set(["--host", "-H", "--via"]);

// Positionals that name sessions, where HOST:ID may appear.
const SESSION_KEYS = ["session", "sessions"];

export interface RemoteTarget {
  // The ssh destination, or the label of a --via target.
  host: string;
  // A command vector instead of ssh (docker exec -i C, kubectl exec -i P --).
  via?: string[];
  install: boolean;
}

// Splits `docker exec -i "my box"` into words (quotes group, no expansion).
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? match[3]!);
  return words;
}

// HOST:REF -> [HOST, REF]; a bare ref (names never contain ':') -> [undefined, REF].
export function splitSessionRef(ref: string): [string | undefined, string] {
  const colon = ref.lastIndexOf(":");
  return colon === -1 ? [undefined, ref] : [ref.slice(0, colon), ref.slice(colon + 1)];
}

// The hosts named by --host (repeatable), HOST:ID prefixes and $BGTERM_HOST,
// with the prefixes stripped from args; [] means this machine.
export function targetHosts(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): string[] {
  const given = ((args.host as string[] | undefined) ?? []).filter((host) => host !== "");
  const explicitLocal = ((args.host as string[] | undefined) ?? []).includes("");
  const prefixed = new Set<string>();
  for (const key of SESSION_KEYS) {
    const value = args[key];
    if (value === undefined || typeof value === "boolean") continue;
    const refs = (Array.isArray(value) ? value : [value]).map((ref) => {
      const [host, rest] = splitSessionRef(String(ref));
      if (host !== undefined) prefixed.add(host);
      return rest;
    });
    args[key] = Array.isArray(value) ? refs : refs[0];
  }
  if (prefixed.size > 1) throw usageError("sessions on different hosts in one command; run one command per host");
  const [prefix] = prefixed;
  if (prefix !== undefined) {
    if (given.length > 0 && !given.includes(prefix)) {
      throw usageError(`--host ${given[0]} and a session on ${prefix}: give one host`);
    }
    return [prefix];
  }
  if (given.length > 0 || explicitLocal) return given;
  return env.BGTERM_HOST ? [env.BGTERM_HOST] : [];
}
