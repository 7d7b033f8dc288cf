// The lifecycle options of `start` (labels, time limits, readiness, restart,
// health), declared once and converted by client/lifecycle-options.ts, whose
// checks bgterm.toml's keys share.
import type { LifecycleInput } from "../client/lifecycle-options.ts";
import type { OptionSpec, ParsedArgs } from "./command.ts";

export const READY_OPTIONS: Record<string, OptionSpec> = {
  ready: { kind: "regex", help: "Ready once the output matches this regex (as text without escapes)" },
  "match-raw": { kind: "boolean", help: "Match --ready against the raw bytes, escape sequences included" },
  "ready-port": {
    kind: "integer",
    min: 1,
    max: 65535,
    help: "Ready once a process of this session listens on this TCP port",
  },
  "ready-file": { kind: "file", help: "Ready once this file exists (relative to the session's directory)" },
  "ready-url": { help: "Ready once GET on this http(s) URL answers 2xx" },
};

export const LIFECYCLE_OPTIONS: Record<string, OptionSpec> = {
  label: { kind: "pair", short: "l", repeat: true, help: "Attach a label KEY=VALUE (repeatable)" },
  "max-runtime": {
    kind: "duration",
    help: "End the program (SIGTERM, SIGKILL 2s later) once it has run this long, e.g. 30s, 5m, 2h",
  },
  ttl: { kind: "duration", help: "Close and remove the session this long after start, whatever its state" },
  rm: { kind: "boolean", help: "Remove the session once a wait has collected its exit (or at --ttl)" },
  restart: { kind: "enum", values: ["no", "on-failure", "always"], help: "Restart policy (default no)" },
  backoff: { kind: "boolean", help: "Wait between restarts: 1s, doubling, capped at 5m" },
  "max-restarts": { kind: "integer", min: 0, max: 1_000_000, help: "Restart at most N times" },
  "health-url": { help: "Health check: GET on this http(s) URL must answer 2xx" },
  "health-port": {
    kind: "integer",
    min: 1,
    max: 65535,
    help: "Health check: a process of this session listens on this TCP port",
  },
  "health-cmd": { help: "Health check: this shell command must exit 0" },
  "health-interval": { kind: "duration", help: "Time between health checks (default 10s)" },
  "health-threshold": {
    kind: "integer",
    min: 1,
    max: 1000,
    help: "Consecutive failed checks that make the session unhealthy (default 3)",
  },
  "health-timeout": { kind: "duration", help: "Time limit of one health check (default 5s)" },
  "health-start-period": {
    kind: "duration",
    help: "After each start, failed health checks do not count for this long (default 0)",
  },
};

// The parsed options in the shape buildLifecycle takes (values as text).
export function lifecycleInput(args: ParsedArgs): LifecycleInput {
  const text = (key: string) => (args[key] === undefined ? undefined : String(args[key]));
  return {
    ready: text("ready"),
    ready_match_raw: args["match-raw"] === true,
    ready_port: text("ready-port"),
    ready_file: text("ready-file"),
    ready_url: text("ready-url"),
    max_runtime: text("max-runtime"),
    ttl: text("ttl"),
    rm: args.rm === true,
    restart: text("restart"),
    backoff: args.backoff === true,
    max_restarts: text("max-restarts"),
    health_url: text("health-url"),
    health_port: text("health-port"),
    health_cmd: text("health-cmd"),
    health_interval: text("health-interval"),
    health_threshold: text("health-threshold"),
    health_timeout: text("health-timeout"),
    health_start_period: text("health-start-period"),
    labels: (args.label as string[] | undefined) ?? [],
  };
}
