// Help text from the declarations: a command's help is rendered by citty from
// the declaration, the root help lists every command's summary. Colours only
// when stdout is a terminal and NO_COLOR is unset.
import type { ArgsDef } from "citty";
import { type BgCommand, isNegatable } from "./command.ts";
import { KINDS, kindOf } from "./kinds.ts";
import { isTerminal } from "./output.ts";

function colourAllowed(): boolean {
  return isTerminal(1) && !process.env.NO_COLOR && process.env.TERM !== "dumb";
}

const stripColour = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");

// The declaration in citty's terms (citty only renders; args.ts parses).
export function cittyArgs(command: BgCommand): ArgsDef {
  const def: ArgsDef = {};
  for (const arg of command.args) {
    const many = arg.many ? " (one or more)" : "";
    def[arg.name] = {
      type: "positional",
      description: arg.help + (arg.kind === "enum" ? ` (${arg.values!.join(", ")})` : "") + many,
      required: arg.optional !== true,
    };
  }
  for (const [key, option] of Object.entries(command.options)) {
    if (option.hidden) continue;
    const kind = kindOf(option);
    // Unless the option's own help already says it (with how repeats combine).
    const repeat = option.repeat && !option.help.includes("repeatable") ? " (repeatable)" : "";
    if (kind === "boolean") {
      def[key] = {
        type: "boolean",
        alias: option.short,
        description: option.help,
        default: option.default === true ? true : undefined,
        negativeDescription: isNegatable(option) && option.default !== true ? `Opposite of --${key}` : undefined,
      } as ArgsDef[string];
      continue;
    }
    def[key] = {
      type: kind === "enum" ? "enum" : "string",
      alias: option.short,
      description: option.help + repeat,
      options: kind === "enum" ? [...option.values!] : undefined,
      valueHint: kind === "enum" ? undefined : KINDS[kind].hint,
      default: option.default === undefined ? undefined : String(option.default),
    } as ArgsDef[string];
  }
  return def;
}

export async function commandHelp(command: BgCommand): Promise<string> {
  const colour = colourAllowed();
  // citty decides on colour when it loads: tell it, then strip what remains.
  if (!colour) process.env.NO_COLOR = "1";
  const { renderUsage } = await import("citty");
  const text = await renderUsage({
    meta: { name: `bgterm ${command.name}`, description: command.summary },
    args: cittyArgs(command),
  });
  const lines = (colour ? text : stripColour(text)).split("\n");
  return lines.map((line) => line.trimEnd()).join("\n");
}

export function rootHelp(version: string, commands: BgCommand[]): string {
  const shown = commands.filter((command) => !command.hidden);
  const width = Math.max(...shown.map((command) => command.name.length));
  return [
    `bgterm ${version} - run interactive terminal programs in the background`,
    "",
    "Usage: bgterm [--json] [--plain] <command> [options]",
    "",
    "Commands:",
    ...shown.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Run 'bgterm help <command>' or 'bgterm <command> --help' for a command's options.",
    "Quick start:  id=$(bgterm start python3); bgterm send $id '2+2'; bgterm close $id",
  ].join("\n");
}
