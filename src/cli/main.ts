// The command line proper (src/main.ts loads it for everything but --version):
// global flags, the subcommand, and the only try/catch that turns errors into
// `bgterm: <message>` on stderr and an exit status.
import pkg from "../../package.json" with { type: "json" };
import { parseArgs } from "./args.ts";
import { globalOptions } from "./command.ts";
import { OutputClosedError, outputMode, printLine } from "./output.ts";
import { findCommand } from "../commands/index.ts";
import { REMOTE_VALUE_FLAGS, targetHosts } from "./remote-args.ts";
import { BgtermError, EXIT, unknownCommand, unknownOption, usageError } from "../errors.ts";

// Accepted before the command too (bgterm --json ls); --version only there.
const GLOBAL_FLAGS = new Set([
  ...Object.entries(globalOptions).flatMap(([key, option]) => [
    `--${key}`,
    ...(option.short ? [`-${option.short}`] : []),
  ]),
  "--version",
  "-V",
  "--install",
]);

async function run(argv: string[]): Promise<number> {
  let at = 0;
  const globals: string[] = [];
  while (at < argv.length && argv[at]!.startsWith("-")) {
    const flag = argv[at]!;
    if (REMOTE_VALUE_FLAGS.has(flag.split("=", 1)[0]!)) {
      if (flag.includes("=")) globals.push(argv[at++]!);
      else if (at + 1 < argv.length) globals.push(argv[at++]!, argv[at++]!);
      else throw usageError(`option '${flag}' needs a value`);
      continue;
    }
    if (!GLOBAL_FLAGS.has(flag)) throw unknownOption(flag);
    globals.push(argv[at++]!);
  }
  if (globals.includes("--version") || globals.includes("-V")) {
    await printLine(pkg.version);
    return EXIT.ok;
  }
  const name = argv[at];
  if (name === undefined && globals.length === 0) {
    await (await import("./overview.ts")).printOverview(pkg.version);
    return EXIT.ok;
  }
  // bgterm --help, or flags alone: the root help (the help command).
  const command = await findCommand(name ?? "help");
  if (!command) throw unknownCommand(name!);
  const asked = name === undefined ? globals.filter((flag) => flag !== "--help" && flag !== "-h") : globals;
  const rest = [...asked, ...argv.slice(at + 1)];
  const args = parseArgs(rest, command);
  outputMode.json = args.json === true;
  outputMode.plain = args.plain === true;
  if (args.help) {
    const { commandHelp } = await import("./help.ts");
    await printLine(await commandHelp(command));
    return EXIT.ok;
  }
  if (!command.local) {
    // --host, HOST:ID, --via or $BGTERM_HOST: the command runs there instead.
    const hosts = targetHosts(args);
    if (hosts.length > 0 || args.via !== undefined || args["all-hosts"]) {
      return (await import("../remote/run.ts")).runRemote(command, args, hosts);
    }
    if (args.install) throw usageError("--install needs --host");
  }
  return (await command.run(args)) ?? EXIT.ok;
}

// Was --json given (before any `--`)? Decides the error format even when parsing fails.
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

export async function main(argv: string[]): Promise<never> {
  let code: number;
  try {
    code = await run(argv);
  } catch (error) {
    const known = error instanceof BgtermError;
    code = known ? error.exitCode : EXIT.internal;
    const message = error instanceof Error ? error.message : String(error);
    const { reportError, writeStderr } = await import("./messages.ts");
    const json = wantsJson(argv) && argv[0] !== "_supervise";
    // A closed stdout: nothing to say, whoever would read it is gone.
    if (!(error instanceof OutputClosedError)) {
      reportError(code, message, { json, detail: known ? error.detail : undefined });
    }
    if (!known && process.env.DEBUG) writeStderr(`${(error as Error).stack}`);
  }
  process.exit(code);
}
