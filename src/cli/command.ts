// The shape of one subcommand: citty's definition (meta and args, used for
// parsing rules and --help) plus a run function that returns the exit code.
import { type ArgsDef, type CommandDef, type CommandMeta, defineCommand } from "citty";
import type { ParsedArgs, ParseOptions } from "./args.ts";

export interface BgCommand {
  def: CommandDef<ArgsDef>;
  parsing: ParseOptions;
  run(args: ParsedArgs): Promise<number | void>;
}

export function command(spec: {
  meta: CommandMeta;
  args: ArgsDef;
  parsing?: ParseOptions;
  run(args: ParsedArgs): Promise<number | void>;
}): BgCommand {
  return {
    def: defineCommand({ meta: spec.meta, args: spec.args }),
    parsing: spec.parsing ?? {},
    run: spec.run,
  };
}
