// Tool parameters that mean what a CLI option means are derived from that
// option's one declaration (src/commands/*): its value kind gives the type,
// its bounds and enum values the constraints, its help the description. The
// MCP name differs only where JSON wants a unit or a plural (yield -> yield_ms,
// key -> keys). A CLI option renamed or removed fails the server's start-up,
// so the two can never drift apart silently.
import { z } from "zod";
import type { ArgSpec, BgCommand, OptionSpec } from "../cli/command.ts";
import { MAX_DURATION_MS } from "../cli/kinds.ts";
import { waitOptions, readerOptions } from "../cli/shared.ts";
import closeCommand from "../commands/close.ts";
import execCommand from "../commands/exec.ts";
import downCommand from "../commands/down.ts";
import killCommand from "../commands/kill.ts";
import pruneCommand from "../commands/prune.ts";
import readCommand from "../commands/read.ts";
import screenCommand from "../commands/screen.ts";
import sendCommand from "../commands/send.ts";
import startCommand from "../commands/start.ts";
import upCommand from "../commands/up.ts";
import waitCommand from "../commands/wait.ts";

type Spec = OptionSpec | ArgSpec;

function baseType(spec: Spec): z.ZodType {
  switch (spec.kind ?? "string") {
    case "boolean":
      return z.boolean();
    case "integer":
      return z
        .number()
        .int()
        .min(spec.min ?? 0)
        .max(spec.max ?? Number.MAX_SAFE_INTEGER);
    case "duration":
      return z.number().int().min(0).max(MAX_DURATION_MS);
    case "size":
      return z.number().int().min(1);
    case "enum":
      return z.enum(spec.values as [string, ...string[]]);
    case "name":
      return z.string().min(1).max(64);
    case "regex":
      return z.string().min(1).max(4096);
    default:
      return z.string().min(1).max(4096);
  }
}

// The CLI's help without what only applies on a command line: exit codes,
// CLI defaults (the tool states its own) and references to other flags.
export function toolHelp(help: string): string {
  return help
    .replace(/\s*\([^)]*(?:exit|default|--)[^)]*\)/g, "")
    .replace(/[:;]\s*exit\b.*$/, "")
    .replace(/\.$/, "")
    .trim();
}

// The zod field for a CLI option or argument; `more` adds what differs in MCP
// (units, defaults of the tool).
export function fromCli(spec: Spec | undefined, what: string, more?: string): z.ZodType {
  if (!spec) throw new Error(`mcp: the CLI declaration ${what} is gone; update src/mcp/from-cli.ts`);
  let type = baseType(spec);
  if ((spec as OptionSpec).repeat || (spec as ArgSpec).many) type = z.array(type).max(256);
  const unit = spec.kind === "duration" ? " (milliseconds)" : "";
  return type.describe(`${toolHelp(spec.help)}${unit}${more ? `. ${more}` : ""}`);
}

// What a tool expects a derived field to be; a CLI kind that no longer fits fails start-up.
const SHAPES = {
  number: ["integer", "duration", "size"],
  string: ["string", "name", "regex", "file", "dir", "signal", "key", "session", "pair"],
  boolean: ["boolean"],
  enum: ["enum"],
} as const;
type Shape = keyof typeof SHAPES;
type Typed<S extends Shape, Many extends boolean> = Many extends true
  ? z.ZodArray<z.ZodString>
  : S extends "number"
    ? z.ZodNumber
    : S extends "boolean"
      ? z.ZodBoolean
      : S extends "enum"
        ? z.ZodType<string>
        : z.ZodString;

function typed<S extends Shape, Many extends boolean = false>(
  spec: Spec | undefined,
  what: string,
  shape: S,
  more?: string,
): Typed<S, Many> {
  const kind = spec?.kind ?? "string";
  if (spec && !(SHAPES[shape] as readonly string[]).includes(kind)) {
    throw new Error(`mcp: ${what} is now a ${kind}, not a ${shape}; update src/mcp/from-cli.ts`);
  }
  return fromCli(spec, what, more) as unknown as Typed<S, Many>;
}

const option = <S extends Shape, Many extends boolean = false>(
  command: BgCommand,
  name: string,
  shape: S,
  more?: string,
) => typed<S, Many>(command.options[name], `${command.name} --${name}`, shape, more);
const argument = <S extends Shape>(command: BgCommand, name: string, shape: S, more?: string) =>
  typed(
    command.args.find((arg) => arg.name === name),
    `${command.name} ${name.toUpperCase()}`,
    shape,
    more,
  );

// The CLI-derived fields, by tool.
export const cli = {
  start: {
    name: option(startCommand, "name", "string"),
    cwd: option(startCommand, "cwd", "string", "Default: the server's working directory"),
    cols: option(startCommand, "cols", "number", "Default 120"),
    rows: option(startCommand, "rows", "number", "Default 40"),
    ready_regex: option(startCommand, "ready", "string"),
    ready_port: option(startCommand, "ready-port", "number"),
    ready_file: option(startCommand, "ready-file", "string"),
    ready_url: option(startCommand, "ready-url", "string"),
    ready_timeout_ms: option(startCommand, "ready-timeout", "number", "Default 30000; capped like yield_ms"),
    // Lifecycle (README "Lifecycle"); labels is an object here, not KEY=VALUE pairs.
    label_help: startCommand.options.label?.help ?? "Labels",
    max_runtime_ms: option(startCommand, "max-runtime", "number"),
    ttl_ms: option(
      startCommand,
      "ttl",
      "number",
      "Enforced by the session's supervisor, so it holds after this server exits",
    ),
    rm: option(startCommand, "rm", "boolean"),
    restart: option(startCommand, "restart", "enum"),
    backoff: option(startCommand, "backoff", "boolean"),
    max_restarts: option(startCommand, "max-restarts", "number"),
    health_url: option(startCommand, "health-url", "string"),
    health_port: option(startCommand, "health-port", "number"),
    health_cmd: option(startCommand, "health-cmd", "string"),
    health_interval_ms: option(startCommand, "health-interval", "number"),
    health_threshold: option(startCommand, "health-threshold", "number"),
    health_timeout_ms: option(startCommand, "health-timeout", "number"),
    health_start_period_ms: option(startCommand, "health-start-period", "number"),
    wait_ready: option(
      startCommand,
      "wait",
      "boolean",
      "Default true; false returns at once (then terminal_wait with ready: true)",
    ),
  },
  send: {
    keys: option<"string", true>(sendCommand, "key", "string", "tmux names"),
    enter: typed(
      sendCommand.options.enter && { ...sendCommand.options.enter, help: "Press Enter after text" },
      "send --enter",
      "boolean",
      "Default true",
    ),
  },
  wait: {
    yield_ms: typed(
      waitOptions.yield,
      "--yield",
      "number",
      "Default 10000; 0 = do not wait. Capped at 50000, or 600000 when the request carries a progress token",
    ),
    until: typed(
      waitOptions.until,
      "--until",
      "string",
      "JavaScript syntax, multiline; matched against the text with escape sequences stripped; outcome 'matched'",
    ),
    idle_ms: typed(waitOptions.idle, "--idle", "number", "Default 150, 0 with until"),
    reader: typed(readerOptions.reader, "--reader", "string", "Default: default"),
    limit_bytes: typed(readerOptions.limit, "--limit", "number"),
  },
  read: {
    from_offset: option(readCommand, "from", "number", "No wait, no cursor moved; page with end_offset"),
  },
  exec: {
    timeout_ms: option(
      execCommand,
      "timeout",
      "number",
      "Default 30000; capped at 50000, or 600000 with a progress token",
    ),
    interrupt: option(
      execCommand,
      "interrupt",
      "boolean",
      "Default true here: the call returns the command's status (130); false leaves it running",
    ),
  },
  screen: {
    scrollback: option(screenCommand, "scrollback", "number"),
    cursor: option(screenCommand, "cursor", "boolean"),
    ansi: option(screenCommand, "ansi", "boolean"),
  },
  waitExit: {
    timeout_ms: option(
      waitCommand,
      "timeout",
      "number",
      "Default 10000; capped at 50000, or 600000 with a progress token; outcome 'timeout'",
    ),
  },
  waitReady: {
    ready: option(waitCommand, "ready", "boolean", "Every id must become ready; outcome 'ready'"),
  },
  prune: {
    older_than_ms: option(pruneCommand, "older-than", "number"),
  },
  project: {
    file: option(upCommand, "file", "string", "Relative to cwd"),
    up_names: argument(upCommand, "names", "string") as unknown as z.ZodArray<z.ZodString>,
    down_names: argument(downCommand, "names", "string") as unknown as z.ZodArray<z.ZodString>,
  },
  close: {
    signal: option(closeCommand, "signal", "string", "Default HUP"),
    grace_ms: option(closeCommand, "grace", "number", "Default 1000"),
  },
  signal: {
    signal: argument(killCommand, "signal", "string"),
  },
};
