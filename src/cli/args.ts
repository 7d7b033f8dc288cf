// Argument parsing on top of citty's argument definitions. citty renders the
// help; this parser adds what bgterm's contract needs and citty does not do:
// unknown options and surplus arguments are usage errors (exit 2), some options
// repeat (-e, -k), and `start` stops at the command so its flags stay its own.
import type { ArgsDef } from "citty";
import { usageError } from "../errors.ts";

export interface ParseOptions {
  // Option names that may be given more than once (collected into arrays).
  repeatable?: string[];
  // Everything from the first positional on is taken verbatim (start's CMD).
  stopAtPositional?: boolean;
  // The last positional collects any surplus (send's TEXT, close's IDs).
  variadic?: string;
}

export type ParsedArgs = Record<string, string | boolean | string[] | undefined> & { _: string[] };

interface OptionInfo {
  key: string;
  type: "string" | "boolean";
}

function optionTable(def: ArgsDef): Map<string, OptionInfo> {
  const table = new Map<string, OptionInfo>();
  for (const [key, arg] of Object.entries(def)) {
    if (arg.type === "positional") continue;
    const info: OptionInfo = { key, type: arg.type === "boolean" ? "boolean" : "string" };
    table.set(key, info);
    const alias = (arg as { alias?: string | string[] }).alias;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const alias of aliases) table.set(alias, info);
  }
  return table;
}

export function parseArgs(rawArgs: string[], def: ArgsDef, options: ParseOptions = {}): ParsedArgs {
  const table = optionTable(def);
  const repeatable = new Set(options.repeatable ?? []);
  const out: ParsedArgs = { _: [] };
  for (const [key, arg] of Object.entries(def)) {
    if (arg.type !== "positional" && arg.default !== undefined) out[key] = arg.default as string | boolean;
    if (repeatable.has(key)) out[key] = [];
  }
  const set = (info: OptionInfo, value: string | boolean) => {
    if (repeatable.has(info.key)) (out[info.key] as string[]).push(String(value));
    else out[info.key] = value;
  };
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i]!;
    if (token === "--") {
      out._.push(...rawArgs.slice(i + 1));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      if (options.stopAtPositional) {
        out._.push(...rawArgs.slice(i));
        break;
      }
      out._.push(token);
      continue;
    }
    const long = token.startsWith("--");
    const eq = token.indexOf("=");
    const name = token.slice(long ? 2 : 1, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : token.slice(eq + 1);
    const info = table.get(name);
    if (!info && long && name.startsWith("no-")) {
      const positive = table.get(name.slice(3));
      if (positive?.type === "boolean" && inline === undefined) {
        set(positive, false);
        continue;
      }
    }
    if (!info) throw usageError(`unknown option '${token}' (see --help)`);
    if (info.type === "boolean") {
      if (inline !== undefined) throw usageError(`option '--${info.key}' takes no value`);
      set(info, true);
      continue;
    }
    const value = inline ?? rawArgs[++i];
    if (value === undefined) throw usageError(`option '${token}' needs a value`);
    set(info, value);
  }
  // --help wins over missing or surplus arguments.
  if (out.help === true) return out;
  const positionals = Object.entries(def).filter(([, arg]) => arg.type === "positional");
  const rest = [...out._];
  for (const [key, arg] of positionals) {
    if (key === options.variadic) {
      out[key] = rest.splice(0);
      continue;
    }
    const value = rest.shift();
    if (value === undefined && arg.required !== false) {
      throw usageError(`missing argument ${key.toUpperCase()} (see --help)`);
    }
    out[key] = value;
  }
  if (rest.length > 0 && !options.stopAtPositional) {
    throw usageError(`unexpected argument '${rest[0]}' (see --help)`);
  }
  return out;
}

// ---- value parsers shared by the commands ---------------------------------

// A non-negative whole number of milliseconds.
export function parseMs(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value.trim())) {
    throw usageError(`${option} takes a whole number of milliseconds, not '${value}'`);
  }
  return Number(value);
}

// A positive integer within bounds (sizes of the terminal, offsets, limits).
export function parseInteger(value: string | undefined, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,16}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${option} takes a whole number from ${min} to ${max}, not '${value}'`);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

// "16M" -> 16 MiB; suffixes K/M/G are powers of 1024 (a trailing B or iB is allowed).
export function parseSize(value: string, option: string): number {
  const match = /^(\d{1,12})\s*([KMG]?)(?:i?B)?$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * SIZE_UNITS[match[2]!.toUpperCase()]! : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw usageError(`${option} takes a size such as 65536, 512K, 16M or 1G, not '${value}'`);
  }
  return bytes;
}

// A JavaScript regular expression, with a usage error instead of a crash.
export function parseRegex(source: string, option: string): { source: string; flags: string } {
  try {
    new RegExp(source, "m");
  } catch (error) {
    throw usageError(`${option}: invalid regular expression: ${(error as Error).message}`);
  }
  return { source, flags: "m" };
}
