// Strict parsing driven by a command's declaration (command.ts): unknown
// options and surplus arguments are usage errors (exit 2), `repeat` options
// collect arrays, values are checked and converted by their kind (kinds.ts),
// and a `command` argument stops option parsing (start's flags stay its own).
import { unknownOption, usageError } from "../errors.ts";
import { type BgCommand, isNegatable, type OptionSpec, type ParsedArgs } from "./command.ts";
import { validate } from "./json-schema.ts";
import { checkRegex, KINDS, kindOf, parseBytes, parseDuration, parseWhole } from "./kinds.ts";
import { argumentsSchema } from "./schema.ts";

export type { ParsedArgs } from "./command.ts";

function convert(spec: OptionSpec | BgCommand["args"][number], value: string, label: string): string | number {
  const parse = KINDS[kindOf(spec)].parse;
  return parse ? parse(value, label, spec) : value;
}

export function parseArgs(rawArgs: string[], command: Pick<BgCommand, "args" | "options">): ParsedArgs {
  const byName = new Map<string, [string, OptionSpec]>();
  for (const [key, option] of Object.entries(command.options)) {
    byName.set(key, [key, option]);
    if (option.short !== undefined) byName.set(option.short, [key, option]);
  }
  const stopAtFirst = command.args[0]?.kind === "command";
  const out: ParsedArgs = { _: [] };
  for (const [key, option] of Object.entries(command.options)) {
    if (option.repeat) out[key] = [];
    else if (option.default !== undefined) out[key] = option.default;
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const token = rawArgs[i]!;
    if (token === "--") {
      out._.push(...rawArgs.slice(i + 1));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      if (stopAtFirst) {
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
    let found = long || name.length === 1 ? byName.get(name) : undefined;
    if (found && !long && found[1].short !== name) found = undefined;
    if (found && long && found[0] !== name) found = undefined;
    if (!found && long && name.startsWith("no-")) {
      const positive = byName.get(name.slice(3));
      if (positive && positive[0] === name.slice(3) && isNegatable(positive[1]) && inline === undefined) {
        out[positive[0]] = false;
        continue;
      }
    }
    if (!found) throw unknownOption(token);
    const [key, option] = found;
    if (option.kind === "boolean") {
      if (inline !== undefined) throw usageError(`option '--${key}' takes no value`);
      out[key] = true;
      continue;
    }
    const raw = inline ?? rawArgs[++i];
    if (raw === undefined) throw usageError(`option '${token}' needs a value`);
    const value = convert(option, raw, long ? `--${key}` : `-${name}`);
    if (option.repeat) (out[key] as string[]).push(String(value));
    else out[key] = value;
  }
  // --help wins over missing or surplus arguments.
  if (out.help === true) return out;
  const rest = [...out._];
  for (const arg of command.args) {
    const label = arg.name.toUpperCase();
    if (arg.many || arg.kind === "command") {
      if (rest.length === 0 && arg.optional !== true) throw usageError(`missing argument ${label} (see --help)`);
      out[arg.name] = rest.splice(0).map((value) => String(convert(arg, value, label)));
      continue;
    }
    const value = rest.shift();
    if (value === undefined) {
      if (arg.optional !== true) throw usageError(`missing argument ${label} (see --help)`);
      continue;
    }
    out[arg.name] = convert(arg, value, label);
  }
  if (rest.length > 0) throw usageError(`unexpected argument '${rest[0]}' (see --help)`);
  return out;
}

// The same arguments given as a JSON object ({"session": "web", "yield": "2s",
// "key": ["Up"]}), as `bgterm schema` describes them: for front ends that take
// JSON (rpc, MCP). Checked against the schema, then converted like the command
// line, so both paths give run() the same values.
export function parseJsonArgs(input: unknown, command: BgCommand): ParsedArgs {
  const problems = validate(argumentsSchema(command), input);
  if (problems.length > 0) throw usageError(`invalid arguments for ${command.name}: ${problems.join("; ")}`);
  const given = input as Record<string, unknown>;
  const out: ParsedArgs = { _: [] };
  for (const [key, option] of Object.entries(command.options)) {
    const value = given[key] ?? (option.repeat ? [] : option.default);
    if (value === undefined) continue;
    if (option.kind === "boolean") out[key] = value as boolean;
    else if (option.repeat) out[key] = (value as unknown[]).map((item) => String(convert(option, String(item), key)));
    else out[key] = convert(option, String(value), key);
  }
  for (const arg of command.args) {
    const value = given[arg.name];
    if (value === undefined) {
      if (arg.many || arg.kind === "command") out[arg.name] = [];
      continue;
    }
    const values = (Array.isArray(value) ? value : [value]).map(String);
    out._.push(...values);
    out[arg.name] = Array.isArray(value)
      ? values.map((item) => String(convert(arg, item, arg.name)))
      : convert(arg, values[0]!, arg.name);
  }
  return out;
}

// ---- value parsers for values a command reads itself -----------------------

// A duration in milliseconds (bare number, or with ms/s/m/h), or undefined.
export function parseMs(value: string | number | undefined, option: string): number | undefined {
  return value === undefined ? undefined : parseDuration(value, option);
}

// A whole number within bounds (sizes of the terminal, offsets, limits).
export function parseInteger(
  value: string | number | undefined,
  option: string,
  min: number,
  max: number,
): number | undefined {
  return value === undefined ? undefined : parseWhole(value, option, min, max);
}

// "16M" -> 16 MiB; suffixes K/M/G are powers of 1024 (a trailing B or iB is allowed).
export function parseSize(value: string | number, option: string): number {
  return parseBytes(value, option);
}

// A JavaScript regular expression, with a usage error instead of a crash.
export function parseRegex(source: string, option: string): { source: string; flags: string } {
  return { source: checkRegex(source, option), flags: "m" };
}
