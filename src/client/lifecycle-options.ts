// Turns lifecycle options as the user wrote them (command-line strings, or
// bgterm.toml values) into the validated spec fields. One place, so `start`
// and `up` accept exactly the same values and report them the same way.
import path from "node:path";
import { usageError } from "../errors.ts";
import { parseDuration } from "../cli/kinds.ts";
import { parseLabels } from "../shared/labels.ts";
import {
  checkHttpUrl,
  type HealthProbe,
  type LifecycleSpec,
  parseRestartPolicy,
  type ReadyCheck,
} from "../shared/lifecycle.ts";

// Option values by their snake_case key (the bgterm.toml spelling).
export interface LifecycleInput {
  ready?: string;
  // Match `ready` against the raw bytes, not the text a user sees.
  ready_match_raw?: boolean;
  ready_port?: string;
  ready_file?: string;
  ready_url?: string;
  max_runtime?: string;
  ttl?: string;
  rm?: boolean;
  restart?: string;
  backoff?: boolean;
  max_restarts?: string;
  health_url?: string;
  health_port?: string;
  health_cmd?: string;
  health_interval?: string;
  health_threshold?: string;
  health_timeout?: string;
  health_start_period?: string;
  labels?: string[];
}

export const DEFAULT_HEALTH_INTERVAL_MS = 10_000;
export const DEFAULT_HEALTH_THRESHOLD = 3;
const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;

// How an option is named in messages: "--ready-port" on the command line.
export type OptionNamer = (key: keyof LifecycleInput) => string;
export const cliName: OptionNamer = (key) => (key === "labels" ? "--label" : `--${key.replace(/_/g, "-")}`);

function whole(value: string, option: string, min: number, max: number): number {
  const n = /^\d{1,9}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) throw usageError(`${option} takes a whole number from ${min} to ${max}, not '${value}'`);
  return n;
}

// A time limit of 0 would end the program (or the session) at once: refused.
function positive(value: string, option: string): number {
  const ms = parseDuration(value, option);
  if (ms === 0) throw usageError(`${option} must be more than 0 (it would end the program at once)`);
  return ms;
}

function readyCheck(input: LifecycleInput, cwd: string, name: OptionNamer): ReadyCheck | undefined {
  const keys = (["ready", "ready_port", "ready_file", "ready_url"] as const).filter((k) => input[k] !== undefined);
  if (keys.length > 1) throw usageError(`give only one of ${keys.map(name).join(", ")}`);
  if (input.ready !== undefined) {
    try {
      new RegExp(input.ready, "m");
    } catch (error) {
      throw usageError(`${name("ready")}: invalid regular expression: ${(error as Error).message}`);
    }
    return { kind: "regex", pattern: { source: input.ready, flags: "m" }, raw: input.ready_match_raw === true };
  }
  if (input.ready_port !== undefined) {
    return { kind: "port", port: whole(input.ready_port, name("ready_port"), 1, 65535) };
  }
  if (input.ready_file !== undefined) return { kind: "file", file: path.resolve(cwd, input.ready_file) };
  if (input.ready_url !== undefined) return { kind: "url", url: checkHttpUrl(input.ready_url, name("ready_url")) };
  return undefined;
}

function healthProbe(input: LifecycleInput, name: OptionNamer): HealthProbe | undefined {
  const keys = (["health_url", "health_port", "health_cmd"] as const).filter((k) => input[k] !== undefined);
  if (keys.length > 1) throw usageError(`give only one of ${keys.map(name).join(", ")}`);
  if (input.health_url !== undefined) return { kind: "url", url: checkHttpUrl(input.health_url, name("health_url")) };
  if (input.health_port !== undefined) {
    return { kind: "port", port: whole(input.health_port, name("health_port"), 1, 65535) };
  }
  if (input.health_cmd !== undefined) {
    if (input.health_cmd.trim() === "") throw usageError(`${name("health_cmd")} takes a shell command`);
    return { kind: "cmd", cmd: input.health_cmd };
  }
  return undefined;
}

// Validates everything before anything starts: a bad value is exit 2.
export function buildLifecycle(input: LifecycleInput, cwd: string, name: OptionNamer = cliName): LifecycleSpec {
  const spec: LifecycleSpec = {};
  const labels = parseLabels(input.labels ?? [], name("labels"));
  if (Object.keys(labels).length > 0) spec.labels = labels;
  const ready = readyCheck(input, cwd, name);
  if (ready) spec.ready = ready;
  if (input.max_runtime !== undefined) spec.max_runtime_ms = positive(input.max_runtime, name("max_runtime"));
  if (input.ttl !== undefined) spec.ttl_ms = positive(input.ttl, name("ttl"));
  if (input.rm) spec.rm = true;
  const policy = input.restart === undefined ? "no" : parseRestartPolicy(input.restart, name("restart"));
  if (policy === "no" && (input.backoff || input.max_restarts !== undefined)) {
    throw usageError(
      `${name(input.backoff ? "backoff" : "max_restarts")} needs ${name("restart")} on-failure or always`,
    );
  }
  if (policy !== "no") {
    spec.restart = {
      policy,
      backoff: input.backoff === true,
      max_restarts:
        input.max_restarts === undefined ? null : whole(input.max_restarts, name("max_restarts"), 0, 1_000_000),
    };
  }
  const probe = healthProbe(input, name);
  const tuning = (["health_interval", "health_threshold", "health_timeout", "health_start_period"] as const).find(
    (k) => input[k] !== undefined,
  );
  if (!probe && tuning) throw usageError(`${name(tuning)} needs ${name("health_url")}, --health-port or --health-cmd`);
  if (probe) {
    const interval =
      input.health_interval === undefined
        ? DEFAULT_HEALTH_INTERVAL_MS
        : parseDuration(input.health_interval, name("health_interval"));
    if (interval < 100) throw usageError(`${name("health_interval")} must be at least 100ms`);
    spec.health = {
      probe,
      interval_ms: interval,
      threshold:
        input.health_threshold === undefined
          ? DEFAULT_HEALTH_THRESHOLD
          : whole(input.health_threshold, name("health_threshold"), 1, 1000),
      timeout_ms:
        input.health_timeout === undefined
          ? Math.min(DEFAULT_HEALTH_TIMEOUT_MS, interval)
          : parseDuration(input.health_timeout, name("health_timeout")),
    };
    if (input.health_start_period !== undefined) {
      const period = parseDuration(input.health_start_period, name("health_start_period"));
      if (period > 0) spec.health.start_period_ms = period;
    }
  }
  return spec;
}

// A short description of a readiness check, for tables ("port 8000").
export function describeReady(ready: ReadyCheck | undefined): string {
  if (!ready) return "-";
  if (ready.kind === "regex") return `output /${ready.pattern.source}/`;
  if (ready.kind === "port") return `port ${ready.port}`;
  if (ready.kind === "file") return `file ${ready.file}`;
  return `url ${ready.url}`;
}

// The same options as the client API takes them: JSON values, durations in ms.
export interface LifecycleOptions {
  ready?: string;
  ready_match_raw?: boolean;
  ready_port?: number;
  ready_file?: string;
  ready_url?: string;
  labels?: Record<string, string>;
  max_runtime_ms?: number;
  ttl_ms?: number;
  rm?: boolean;
  restart?: string;
  backoff?: boolean;
  max_restarts?: number;
  health_url?: string;
  health_port?: number;
  health_cmd?: string;
  health_interval_ms?: number;
  health_threshold?: number;
  health_timeout_ms?: number;
  health_start_period_ms?: number;
}

const MS_KEYS = new Set(["max_runtime", "ttl", "health_interval", "health_timeout", "health_start_period"]);
// The API's field names in messages: max_runtime_ms, ready_url, ...
export const apiName: OptionNamer = (key) => (MS_KEYS.has(key) ? `${key}_ms` : key);

// Checks the API's lifecycle options (the same checks as the command line's).
export function lifecycleFromOptions(options: LifecycleOptions, cwd: string): LifecycleSpec {
  const text = (value: string | number | undefined) => (value === undefined ? undefined : String(value));
  return buildLifecycle(
    {
      ready: options.ready,
      ready_match_raw: options.ready_match_raw,
      ready_port: text(options.ready_port),
      ready_file: options.ready_file,
      ready_url: options.ready_url,
      labels: Object.entries(options.labels ?? {}).map(([key, value]) => `${key}=${value}`),
      max_runtime: text(options.max_runtime_ms),
      ttl: text(options.ttl_ms),
      rm: options.rm,
      restart: options.restart,
      backoff: options.backoff,
      max_restarts: text(options.max_restarts),
      health_url: options.health_url,
      health_port: text(options.health_port),
      health_cmd: options.health_cmd,
      health_interval: text(options.health_interval_ms),
      health_threshold: text(options.health_threshold),
      health_timeout: text(options.health_timeout_ms),
      health_start_period: text(options.health_start_period_ms),
    },
    cwd,
    apiName,
  );
}
