// bgterm start: run a program in a new background session and print its id.
import { usageError } from "../errors.ts";
import path from "node:path";
import { parseInteger, parseMs, parseSize } from "../cli/args.ts";
import { LIFECYCLE_OPTIONS, lifecycleInput, READY_OPTIONS } from "../cli/lifecycle-args.ts";
import { buildLifecycle } from "../client/lifecycle-options.ts";
import { command } from "../cli/command.ts";
import { sessionRecord } from "../cli/json-output.ts";
import { notice, warn } from "../cli/messages.ts";
import { currentScope, isTerminal, outputMode, printJson, printLine } from "../cli/output.ts";
// The API files this command needs, not the barrel: every module imported is loaded per call.
import { DEFAULT_READY_TIMEOUT_MS } from "../client/api/common.ts";
import { startSession } from "../client/api/lifecycle.ts";
import { checkBackendName } from "../pty/backend.ts";
import { checkName } from "../shared/refs.ts";

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
    ...READY_OPTIONS,
    "ready-timeout": {
      kind: "duration",
      default: DEFAULT_READY_TIMEOUT_MS,
      help: "How long to wait for readiness (exit 124)",
    },
    reuse: { kind: "boolean", help: "With --name: if a live session has the name, return it instead" },
    replace: { kind: "boolean", help: "With --name: close a live session of that name first" },
    wait: {
      kind: "boolean",
      default: true,
      help: "With --ready*: wait for readiness (default); --no-wait returns at once (see wait --ready)",
    },
    ...LIFECYCLE_OPTIONS,
    scope: {
      kind: "boolean",
      help: "Run the supervisor in its own systemd user scope (survives logout without lingering)",
    },
    settle: {
      kind: "boolean",
      help: "Return once the program has settled: output quiet, waiting for input (within --ready-timeout)",
    },
  },
  output: sessionRecord,
  async run(args) {
    const env: Record<string, string> = {};
    for (const pair of args.env as unknown as string[]) {
      const eq = pair.indexOf("=");
      if (eq < 1) throw usageError(`-e takes KEY=VALUE, not '${pair}'`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    // Options are checked here for messages that name the flags; the API checks again.
    const lifecycle = lifecycleInput(args);
    buildLifecycle(lifecycle, path.resolve((args.cwd as string | undefined) ?? "."));
    if (args.reuse && args.replace) throw usageError("give --reuse or --replace, not both");
    if ((args.reuse || args.replace) && args.name === undefined) throw usageError("--reuse and --replace need --name");
    const name = args.name === undefined ? null : checkName(args.name as string);
    const { record, reused } = await startSession({
      command: args.command as unknown as string[],
      name,
      cwd: args.cwd as string | undefined,
      env,
      cols: parseInteger(args.cols as string | undefined, "--cols", 1, 1000),
      rows: parseInteger(args.rows as string | undefined, "--rows", 1, 1000),
      max_buffer:
        args["max-buffer"] === undefined ? undefined : parseSize(args["max-buffer"] as string, "--max-buffer"),
      backend: args.backend === undefined ? undefined : checkBackendName(args.backend as string),
      ready: lifecycle.ready,
      ready_match_raw: lifecycle.ready_match_raw,
      ready_port: parseInteger(lifecycle.ready_port, "--ready-port", 1, 65535),
      ready_file: lifecycle.ready_file,
      ready_url: lifecycle.ready_url,
      ready_timeout_ms: parseMs(args["ready-timeout"] as string | undefined, "--ready-timeout"),
      wait_ready: args.wait !== false,
      labels: Object.fromEntries(
        lifecycle.labels!.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
      ),
      max_runtime_ms: args["max-runtime"] as number | undefined,
      ttl_ms: args.ttl as number | undefined,
      rm: args.rm === true,
      restart: lifecycle.restart,
      backoff: lifecycle.backoff,
      max_restarts: args["max-restarts"] as number | undefined,
      health_url: lifecycle.health_url,
      health_port: args["health-port"] as number | undefined,
      health_cmd: lifecycle.health_cmd,
      health_interval_ms: args["health-interval"] as number | undefined,
      health_threshold: args["health-threshold"] as number | undefined,
      health_timeout_ms: args["health-timeout"] as number | undefined,
      health_start_period_ms: args["health-start-period"] as number | undefined,
      reuse: args.reuse === true,
      replace: args.replace === true,
      scope: args.scope === true,
      settle: args.settle === true,
    });
    if (outputMode.json) await printJson(record);
    else await printLine(String(record.id));
    if (!args.scope && (isTerminal(2) || currentScope())) {
      // A person (here or over rpc) learns when sessions will not outlive the login.
      const { survivalNote } = await import("../remote/host-info.ts");
      const note = survivalNote();
      if (note) await warn(note);
    }
    await notice(
      reused
        ? `session ${record.id} (${name}) was already running`
        : `started session ${record.id}${name === null ? "" : ` (${name})`}: ${record.command.join(" ")}`,
    );
  },
});
