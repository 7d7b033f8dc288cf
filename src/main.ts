// Entry point: global flags, the subcommand, and the only try/catch that turns
// errors into `bgterm: <message>` on stderr and an exit status.
import { writeSync } from "node:fs";
import pkg from "../package.json" with { type: "json" };
import { parseArgs } from "./cli/args.ts";
import { commands, summaries } from "./commands/index.ts";
import { BgtermError, EXIT, usageError } from "./errors.ts";
import { outputMode, printLine } from "./cli/output.ts";

const GLOBAL_FLAGS = new Set(["--json", "--plain", "--help", "-h", "--version", "-V"]);

function rootUsage(): string {
  const width = Math.max(...summaries.map(([name]) => name.length));
  return [
    `bgterm ${pkg.version} - run interactive terminal programs in the background`,
    "",
    "Usage: bgterm [--json] [--plain] <command> [options]",
    "",
    "Commands:",
    ...summaries.map(([name, text]) => `  ${name.padEnd(width)}  ${text}`),
    "",
    "Run 'bgterm <command> --help' for a command's options.",
    "Quick start:  id=$(bgterm start python3); bgterm send $id '2+2'; bgterm close $id",
  ].join("\n");
}

async function run(argv: string[]): Promise<number> {
  let at = 0;
  const globals: string[] = [];
  while (at < argv.length && argv[at]!.startsWith("-")) {
    if (!GLOBAL_FLAGS.has(argv[at]!)) throw usageError(`unknown option '${argv[at]}' (see --help)`);
    globals.push(argv[at++]!);
  }
  if (globals.includes("--version") || globals.includes("-V")) {
    await printLine(pkg.version);
    return EXIT.ok;
  }
  const name = argv[at];
  if (name === undefined && globals.length === 0) {
    await (await import("./cli/overview.ts")).printOverview(pkg.version);
    return EXIT.ok;
  }
  if (name === undefined || name === "help") {
    await printLine(rootUsage());
    return EXIT.ok;
  }
  const load = commands[name];
  if (!load) throw usageError(`unknown command '${name}' (see bgterm --help)`);
  const command = (await load()).default;
  const rest = [...globals.filter((flag) => flag !== "--version"), ...argv.slice(at + 1)];
  const args = parseArgs(rest, command.def.args as never, command.parsing);
  outputMode.json = args.json === true;
  outputMode.plain = args.plain === true;
  if (args.help) {
    const { renderUsage } = await import("citty");
    await printLine(await renderUsage(command.def));
    return EXIT.ok;
  }
  return (await command.run(args)) ?? EXIT.ok;
}

// Was --json given (before any `--`)? Decides the error format even when parsing fails.
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

async function main(): Promise<never> {
  const argv = process.argv.slice(2);
  let code: number;
  try {
    code = await run(argv);
  } catch (error) {
    const known = error instanceof BgtermError;
    code = known ? error.exitCode : EXIT.internal;
    const message = error instanceof Error ? error.message : String(error);
    if (wantsJson(argv) && argv[0] !== "_supervise") {
      writeSync(2, `${JSON.stringify({ error: { code, message } })}\n`);
    } else {
      (await import("./cli/messages.ts")).reportError(message);
    }
    if (!known && process.env.DEBUG) writeSync(2, `${(error as Error).stack}\n`);
  }
  process.exit(code);
}

void main();
