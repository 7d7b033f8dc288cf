// Value kinds: for each, how a value is checked and converted while parsing,
// the placeholder help shows, what the shells complete, and its JSON Schema.
// A new kind is one entry in KINDS.
import { usageError } from "../errors.ts";
import type { ArgSpec, OptionSpec, ValueKind } from "./command.ts";
import type { JsonSchema } from "./json-schema.ts";

type Spec = ArgSpec | OptionSpec;

// What a shell offers for a value of this kind.
export type Completion =
  | "none"
  | "sessions" // live ids and names
  | "keys" // key names for send -k
  | "signals"
  | "files"
  | "dirs"
  | "commands" // programs on PATH, then files
  | "subcommands" // bgterm's own commands
  | "values"; // spec.values

interface KindInfo {
  hint: string;
  complete: Completion;
  // Checks and converts one value; `label` names it in messages (--yield, COLS).
  parse?(value: string, label: string, spec: Spec): string | number;
  schema(spec: Spec): Record<string, unknown>;
}

// ---- value parsers (also used by commands on their own) --------------------

// Durations go to setTimeout, whose limit is 2^31-1 ms (about 24.8 days).
import { MAX_DURATION_MS } from "../shared/protocol.ts";

export { MAX_DURATION_MS };
const DURATION_UNITS: Record<string, number> = { "": 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
export const DURATION_PATTERN = "^\\s*(\\d{1,10}|\\d{1,10}(\\.\\d{1,3})?\\s*(ms|s|m|h))\\s*$";

// A bare number is milliseconds; 500ms, 2s, 1.5m, 1h carry their unit.
export function parseDuration(value: string | number, label: string): number {
  if (typeof value === "number") return parseDuration(String(value), label);
  const match = /^(\d{1,10}(?:\.\d{1,3})?)\s*(ms|s|m|h)?$/.exec(value.trim());
  const bare = match && match[2] === undefined;
  const ms =
    match && !(bare && match[1]!.includes("."))
      ? Math.round(Number(match[1]) * DURATION_UNITS[match[2] ?? ""]!)
      : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms > MAX_DURATION_MS) {
    throw usageError(
      `${label} takes a whole number of milliseconds or a duration with ms, s, m or h (500, 2s, 1.5m), not '${value}'`,
    );
  }
  return ms;
}

// A whole number within bounds.
export function parseWhole(value: string | number, label: string, min: number, max: number): number {
  const n = typeof value === "number" ? value : /^\d{1,16}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${label} takes a whole number from ${min} to ${max}, not '${value}'`);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
export const SIZE_PATTERN = "^\\s*\\d{1,12}\\s*([KMGkmg](i?[Bb])?|[Bb])?\\s*$";

// "16M" -> 16 MiB; suffixes K/M/G are powers of 1024 (a trailing B or iB is allowed).
export function parseBytes(value: string | number, label: string): number {
  if (typeof value === "number") return parseBytes(String(value), label);
  const match = /^(\d{1,12})\s*([KMG]?)(?:i?B)?$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * SIZE_UNITS[match[2]!.toUpperCase()]! : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw usageError(`${label} takes a size such as 65536, 512K, 16M or 1G, not '${value}'`);
  }
  return bytes;
}

export function checkRegex(source: string, label: string): string {
  try {
    new RegExp(source, "m");
  } catch (error) {
    throw usageError(`${label}: invalid regular expression: ${(error as Error).message}`);
  }
  return source;
}

// ---- the table -------------------------------------------------------------

const text = (extra: Record<string, unknown> = {}) => ({ type: "string", ...extra });

export const KINDS: Record<ValueKind, KindInfo> = {
  boolean: { hint: "", complete: "none", schema: () => ({ type: "boolean" }) },
  string: { hint: "text", complete: "none", schema: () => text() },
  integer: {
    hint: "n",
    complete: "none",
    parse: (value, label, spec) => parseWhole(value, label, spec.min ?? 0, spec.max ?? Number.MAX_SAFE_INTEGER),
    schema: (spec) => ({ type: "integer", minimum: spec.min ?? 0, maximum: spec.max ?? Number.MAX_SAFE_INTEGER }),
  },
  duration: {
    hint: "duration",
    complete: "none",
    parse: parseDuration,
    schema: () => ({
      type: ["integer", "string"],
      minimum: 0,
      maximum: MAX_DURATION_MS,
      pattern: DURATION_PATTERN,
      description: "milliseconds, or a string with ms, s, m or h",
    }),
  },
  size: {
    hint: "size",
    complete: "none",
    parse: parseBytes,
    schema: () => ({
      type: ["integer", "string"],
      minimum: 1,
      pattern: SIZE_PATTERN,
      description: "bytes, or a string with K, M or G (powers of 1024)",
    }),
  },
  regex: { hint: "regex", complete: "none", parse: checkRegex, schema: () => text() },
  enum: {
    hint: "",
    complete: "values",
    parse: (value, label, spec) => {
      if (!spec.values!.includes(value)) {
        throw usageError(`${label} takes one of ${spec.values!.join(", ")}, not '${value}'`);
      }
      return value;
    },
    schema: (spec) => text({ enum: [...spec.values!] }),
  },
  signal: { hint: "signal", complete: "signals", schema: () => ({ type: ["string", "integer"] }) },
  key: { hint: "key", complete: "keys", schema: () => text() },
  session: { hint: "session", complete: "sessions", schema: () => ({ type: ["string", "integer"] }) },
  name: {
    hint: "name",
    complete: "none",
    schema: () => text({ pattern: "^(?![0-9]+$)[A-Za-z0-9._-]{1,64}$" }),
  },
  pair: {
    hint: "key=value",
    complete: "none",
    parse: (value, label) => {
      if (value.indexOf("=") < 1) throw usageError(`${label} takes KEY=VALUE, not '${value}'`);
      return value;
    },
    schema: () => text({ pattern: "^[^=]+=" }),
  },
  file: { hint: "file", complete: "files", schema: () => text() },
  dir: { hint: "dir", complete: "dirs", schema: () => text() },
  command: { hint: "command", complete: "commands", schema: () => text() },
  subcommand: { hint: "command", complete: "subcommands", schema: () => text() },
};

export function kindOf(spec: { kind?: ValueKind }): ValueKind {
  return spec.kind ?? "string";
}

// The schema of one argument or option value as the user gives it.
export function valueSchema(spec: Spec): JsonSchema {
  const kind = kindOf(spec);
  const schema: Record<string, unknown> = { ...KINDS[kind].schema(spec) };
  schema.description = schema.description ? `${spec.help} (${schema.description})` : spec.help;
  if (kind !== "string" && kind !== "boolean") schema["x-bgterm-kind"] = kind;
  return schema;
}
