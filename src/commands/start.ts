// bgterm start: run a program in a new background session and print its id.
import { usageError } from "../errors.ts";
import path from "node:path";
import { parseInteger, parseMs, parseRegex, parseSize, type ParsedArgs } from "../cli/args.ts";
import { command } from "../cli/command.ts";
import { sessionRecord } from "../cli/json-output.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import { notice } from "../cli/messages.ts";
import { checkBackendName } from "../pty/backend.ts";
import { checkWorkingDir, commandArgv, resolveProgram } from "../client/command-line.ts";
import { launchSupervisor } from "../client/launch.ts";
import { buildRecord } from "../client/record.ts";
import { checkName } from "../shared/refs.ts";
import { closeSession } from "../client/close.ts";
import { type ReadyCheck, waitUntilReady } from "../client/readiness.ts";
import { allocateSession } from "../client/registry.ts";
import type { SessionFiles } from "../shared/session-files.ts";

export const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;
const DEFAULT_READY_TIMEOUT_MS = 30_000;

// At most one of --ready, --ready-port, --ready-file.
function readyCheck(args: ParsedArgs, cwd: string): ReadyCheck | undefined {
  const given = ["ready", "ready-port", "ready-file"].filter((key) => args[key] !== undefined);
  if (given.length > 1) throw usageError(`give only one of --${given.join(", --")}`);
  if (args.ready !== undefined) return { kind: "regex", pattern: parseRegex(args.ready as string, "--ready") };
  if (args["ready-port"] !== undefined) {
    return { kind: "port", port: parseInteger(args["ready-port"] as string, "--ready-port", 1, 65535)! };
  }
  if (args["ready-file"] !== undefined) return { kind: "file", file: path.resolve(cwd, args["ready-file"] as string) };
  return undefined;
}

export default command({
  name: "start",
  summary: "Start a program in a new background session and print its id",
  args: [{ name: "command", kind: "command", optional: true, help: "Program and arguments (default: $SHELL)" }],
  options: {
    name: { kind: "name", short: "n", help: "A name to use instead of the id (unique among live sessions)" },
    cwd: { kind: "dir", short: "C", help: "Working directory (default: the current one)" },
    env: { kind: "pair", short: "e", repeat: true, help: "Set KEY=VAL in the program's environment" },
    cols: { kind: "integer", min: 1, max: 1000, default: 80, help: "Terminal width" },
    rows: { kind: "integer", min: 1, max: 1000, default: 24, help: "Terminal height" },
    "max-buffer": { kind: "size", default: "16M", help: "Output retained, e.g. 512K, 16M, 1G" },
    backend: { kind: "enum", values: ["bun", "bun-pty"], help: "PTY backend (default: $BGTERM_BACKEND, else bun)" },
    ready: { kind: "regex", help: "Return once the output matches this regex" },
    "ready-port": {
      kind: "integer",
      min: 1,
      max: 65535,
      help: "Return once 127.0.0.1 or ::1 accepts connections on this TCP port",
    },
    "ready-file": { kind: "file", help: "Return once this file exists (relative to the session's directory)" },
    "ready-timeout": {
      kind: "duration",
      default: DEFAULT_READY_TIMEOUT_MS,
      help: "How long to wait for readiness (exit 124)",
    },
    reuse: { kind: "boolean", help: "With --name: if a live session has the name, return it instead" },
    replace: { kind: "boolean", help: "With --name: close a live session of that name first" },
  },
  output: sessionRecord,
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
    if (args.reuse && args.replace) throw usageError("give --reuse or --replace, not both");
    if ((args.reuse || args.replace) && spec.name === null) throw usageError("--reuse and --replace need --name");
    const ready = readyCheck(args, cwd);
    const readyTimeout =
      parseMs(args["ready-timeout"] as string | undefined, "--ready-timeout") ?? DEFAULT_READY_TIMEOUT_MS;
    let files: SessionFiles;
    let allocation = allocateSession(spec, args.reuse || args.replace ? "return" : "error");
    if (allocation.kind === "taken" && args.replace) {
      await closeSession(allocation.files, "SIGHUP", 1000);
      allocation = allocateSession(spec);
    }
    if (allocation.kind === "taken") {
      files = allocation.files;
    } else {
      files = allocation.files;
      try {
        await launchSupervisor(files, spec.env, spec.backend);
      } catch (error) {
        allocation.discard();
        throw error;
      }
    }
    if (ready) await waitUntilReady(files, ready, readyTimeout);
    if (outputMode.json) await printJson(buildRecord(files));
    else await printLine(String(files.id));
    await notice(
      allocation.kind === "taken"
        ? `session ${files.id} (${spec.name}) was already running`
        : `started session ${files.id}${spec.name === null ? "" : ` (${spec.name})`}: ${argv.join(" ")}`,
    );
  },
});
