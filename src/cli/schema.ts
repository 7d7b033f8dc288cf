// `bgterm schema`: JSON Schema (draft 2020-12) documents built from the command
// declarations: each command's arguments (positionals and options by name, as
// a JSON object) and its --json output (json-output.ts).
import { type BgCommand, globalOptions } from "./command.ts";
import { errorOutput } from "./json-output-read.ts";
import { type JsonSchema, SCHEMA_DIALECT } from "./json-schema.ts";
import { valueSchema } from "./kinds.ts";

// The arguments of one command as an object: {"session": "3", "yield": 500, ...}.
export function argumentsSchema(command: BgCommand): JsonSchema {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const arg of command.args) {
    const many = arg.many || arg.kind === "command";
    properties[arg.name] = many
      ? { type: "array", items: valueSchema(arg), minItems: arg.optional ? 0 : 1, description: arg.help }
      : valueSchema(arg);
    if (arg.optional !== true) required.push(arg.name);
  }
  for (const [key, option] of Object.entries(command.options)) {
    if (option.hidden || key === "help") continue;
    const value: Record<string, unknown> = { ...valueSchema(option) };
    if (option.default !== undefined) value.default = option.default;
    properties[key] = option.repeat ? { type: "array", items: value, description: option.help } : value;
  }
  return {
    type: "object",
    properties,
    required,
    additionalProperties: false,
    description: `Arguments of bgterm ${command.name}, by name; options without their dashes`,
  };
}

function commandDefs(command: BgCommand): Record<string, unknown> {
  return {
    arguments: argumentsSchema(command),
    output: command.output ?? {
      description: command.outputNote ?? "prints no JSON document; with --json only errors are JSON",
    },
    error: { ...errorOutput, description: "with --json, the one object on stderr when the command fails" },
  };
}

export function commandSchema(command: BgCommand): JsonSchema {
  return {
    $schema: SCHEMA_DIALECT,
    title: `bgterm ${command.name}`,
    description: `${command.summary}. $defs.arguments: its arguments; $defs.output: what --json prints on stdout; $defs.error: a failure with --json on stderr.`,
    $defs: commandDefs(command),
  };
}

export function allSchemas(commands: BgCommand[]): JsonSchema {
  const defs: Record<string, unknown> = {};
  for (const command of commands) {
    if (command.hidden) continue;
    defs[command.name] = { title: `bgterm ${command.name}`, description: command.summary, $defs: commandDefs(command) };
  }
  return {
    $schema: SCHEMA_DIALECT,
    title: "bgterm",
    description: `Every bgterm command: $defs.<command>.$defs.arguments / output / error. Options every command takes: ${Object.keys(
      globalOptions,
    )
      .map((key) => `--${key}`)
      .join(", ")}.`,
    $defs: defs,
  };
}
