// bgterm start: run a program in a new background session and print its id.
import { usageError } from "../errors.ts";
import { parseInteger, parseSize } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { outputArgs } from "../cli/shared.ts";
import { outputMode, printJson, printLine } from "../output.ts";
import { checkBackendName } from "../pty/backend.ts";
import { checkWorkingDir, commandArgv, resolveProgram } from "../session/command-line.ts";
import { launchSupervisor } from "../session/launch.ts";
import { buildRecord } from "../session/record.ts";
import { checkName } from "../session/refs.ts";
import { allocateSession } from "../session/registry.ts";

export const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;

export default command({
  meta: { name: "start", description: "Start a program in a new background session and print its id" },
  args: {
    name: { type: "string", alias: "n", description: "A name to use instead of the id (unique among live sessions)" },
    cwd: { type: "string", alias: "C", description: "Working directory (default: the current one)" },
    env: { type: "string", alias: "e", description: "Set KEY=VAL in the program's environment (repeatable)" },
    cols: { type: "string", description: "Terminal width (default 80)" },
    rows: { type: "string", description: "Terminal height (default 24)" },
    "max-buffer": { type: "string", description: "Output retained, e.g. 512K, 16M, 1G (default 16M)" },
    backend: { type: "string", description: "PTY backend: bun (default) or bun-pty; or $BGTERM_BACKEND" },
    ...outputArgs,
    command: { type: "positional", required: false, description: "Program and arguments (default: $SHELL)" },
  },
  parsing: { repeatable: ["env"], stopAtPositional: true, variadic: "command" },
  async run(args) {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), TERM: "xterm-256color" };
    for (const pair of args.env as unknown as string[]) {
      const eq = pair.indexOf("=");
      if (eq < 1) throw usageError(`-e takes KEY=VALUE, not '${pair}'`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const cwd = checkWorkingDir((args.cwd as string | undefined) ?? process.cwd());
    const argv = commandArgv(args.command as unknown as string[], env);
    resolveProgram(argv[0]!, cwd, env);
    const spec = {
      name: args.name === undefined ? null : checkName(args.name as string),
      command: argv,
      cwd,
      env,
      cols: parseInteger(args.cols as string | undefined, "--cols", 1, 1000) ?? 80,
      rows: parseInteger(args.rows as string | undefined, "--rows", 1, 1000) ?? 24,
      max_buffer:
        args["max-buffer"] === undefined ? DEFAULT_MAX_BUFFER : parseSize(args["max-buffer"] as string, "--max-buffer"),
      backend: checkBackendName((args.backend as string | undefined) ?? process.env.BGTERM_BACKEND ?? "bun"),
    };
    const session = allocateSession(spec);
    spec.env.BGTERM_SESSION = String(session.files.id);
    session.files.writeSpec(spec);
    try {
      await launchSupervisor(session.files, spec.env, spec.backend);
    } catch (error) {
      session.discard();
      throw error;
    }
    if (outputMode.json) await printJson(buildRecord(session.files));
    else await printLine(String(session.files.id));
  },
});
