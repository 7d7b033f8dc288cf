// The one declaration of a subcommand. Each file in src/commands exports
// `command({...})`; from that declaration alone come the parser (args.ts), the
// help (help.ts), the root help, the shell completions (completions.ts) and
// `bgterm schema` (schema.ts). Adding an option = adding one entry here:
//
//   export default command({
//     name: "send",
//     summary: "Send text and keys, then wait and print output like poll",
//     args: [sessionArg, { name: "text", optional: true, help: "Text to type" }],
//     options: {
//       key: { kind: "key", short: "k", repeat: true, help: "A named key (repeatable)" },
//       enter: { kind: "boolean", default: true, help: "--no-enter sends TEXT without Enter" },
//       timeout: { kind: "duration", help: "Give up after this long" },
//     },
//     output: outputs.read, // the --json document (src/cli/json-output.ts)
//     async run(args) { ... },
//   });
//
// --json, --plain and --help are added to every command (globalOptions).
import type { JsonSchema } from "./json-schema.ts";
import { remoteOptions } from "./remote-args.ts";

// What a value is: decides how it is checked and converted while parsing, how
// help names it, how the shells complete it and its JSON Schema (kinds.ts).
export type ValueKind =
  | "boolean" // a flag; no value (`--no-X` too when `negatable` or default true)
  | "string" // any text
  | "integer" // whole number in [min, max]; parsed to a number
  | "duration" // bare number = milliseconds, or with ms/s/m/h: parsed to milliseconds
  | "size" // bytes, K/M/G = powers of 1024: parsed to bytes
  | "regex" // a JavaScript regular expression (checked, kept as text)
  | "enum" // one of `values`
  | "signal" // a signal name or number
  | "key" // a key name in `send -k` notation
  | "session" // a session id or name (completes live sessions)
  | "name" // a new session name
  | "pair" // KEY=VALUE
  | "file" // a path to a file
  | "dir" // a path to a directory
  | "command" // a program and its arguments: parsing stops at it (start's CMD)
  | "subcommand"; // a bgterm command name (help, schema)

export interface ArgSpec {
  name: string;
  kind?: ValueKind; // default "string"
  help: string;
  optional?: boolean;
  // Collects every remaining argument (must be the last one).
  many?: boolean;
  values?: readonly string[]; // for enum
  min?: number; // for integer
  max?: number;
}

export interface OptionSpec {
  kind?: ValueKind; // default "string"
  help: string;
  short?: string; // one letter: -k
  repeat?: boolean; // may be given several times; collected into an array
  default?: string | number | boolean;
  negatable?: boolean; // a boolean that also takes --no-X
  values?: readonly string[]; // for enum
  min?: number; // for integer
  max?: number;
  hidden?: boolean; // parsed, but left out of help, completions and schema
}

export type ParsedValue = string | number | boolean | string[] | undefined;
export type ParsedArgs = Record<string, ParsedValue> & { _: string[] };

export interface CommandSpec {
  name: string;
  summary: string;
  args?: ArgSpec[];
  options?: Record<string, OptionSpec>;
  // The --json document on stdout; undefined when the command prints no JSON
  // (its errors still follow --json).
  output?: JsonSchema;
  // What --json prints, when the schema alone does not say it.
  outputNote?: string;
  hidden?: boolean; // not in help, completions or schema (_supervise)
  // Runs only on this machine: no --host/--via/--install (help, rpc, host...).
  local?: boolean;
  run(args: ParsedArgs): Promise<number | void>;
}

export interface BgCommand extends Required<Pick<CommandSpec, "name" | "summary" | "args" | "options">> {
  output?: JsonSchema;
  outputNote?: string;
  hidden: boolean;
  local: boolean;
  run(args: ParsedArgs): Promise<number | void>;
}

// Every command takes these; main.ts also accepts them before the command.
export const globalOptions: Record<string, OptionSpec> = {
  json: { kind: "boolean", help: "Print one JSON document on stdout (errors as JSON on stderr)" },
  plain: {
    kind: "boolean",
    help: "Text only: escape sequences removed, CRLF to LF, no control bytes but newline and tab",
  },
  help: { kind: "boolean", short: "h", help: "Show this help" },
};

// The session argument most commands start with.
export const sessionArg: ArgSpec = { name: "session", kind: "session", help: "Session id or name" };

export function command(spec: CommandSpec): BgCommand {
  const args = spec.args ?? [];
  // Commands that can run on another host take --host/-H, --via and --install.
  const options = { ...(spec.options ?? {}), ...globalOptions, ...(spec.local ? {} : remoteOptions) };
  args.forEach((arg, i) => {
    if ((arg.many || arg.kind === "command") && i !== args.length - 1) {
      throw new Error(`${spec.name}: ${arg.name} collects the rest, so it must be the last argument`);
    }
  });
  const shorts = new Set<string>();
  for (const [key, option] of Object.entries(options)) {
    if (option.short !== undefined) {
      if (option.short.length !== 1 || shorts.has(option.short)) throw new Error(`${spec.name}: bad -${option.short}`);
      shorts.add(option.short);
    }
    if (option.kind === "enum" && !option.values?.length) throw new Error(`${spec.name}: --${key} needs values`);
  }
  return {
    name: spec.name,
    summary: spec.summary,
    args,
    options,
    output: spec.output,
    outputNote: spec.outputNote,
    hidden: spec.hidden === true,
    local: spec.local === true,
    run: spec.run,
  };
}

// True for a boolean option that accepts --no-X.
export function isNegatable(option: OptionSpec): boolean {
  return option.kind === "boolean" && (option.negatable === true || option.default === true);
}
