// What a session asks of its lifecycle beyond running a program: readiness,
// time limits, restart policy, health checks. Written into spec.json by the
// client (start, up) and read by the supervisor; runtime results go to meta.json.
import { usageError } from "../errors.ts";

// How to tell that a session is ready (start --ready*, wait --ready, up's `after`).
export type ReadyCheck =
  // Matched against the text a user sees, or the raw bytes with `raw`.
  | { kind: "regex"; pattern: { source: string; flags: string }; raw?: boolean }
  | { kind: "port"; port: number }
  | { kind: "file"; file: string }
  | { kind: "url"; url: string };

export type RestartPolicy = "no" | "on-failure" | "always";

export interface RestartSpec {
  policy: RestartPolicy;
  // Wait between runs, doubling from 1 s, capped at 5 min; reset after a run longer than the cap.
  backoff: boolean;
  // null: no limit.
  max_restarts: number | null;
}

export type HealthProbe = { kind: "url"; url: string } | { kind: "port"; port: number } | { kind: "cmd"; cmd: string };

export interface HealthSpec {
  probe: HealthProbe;
  interval_ms: number;
  // Consecutive failures that make the session unhealthy.
  threshold: number;
  // One probe's time limit.
  timeout_ms: number;
  // After a run starts, failed checks do not count for this long (absent: 0).
  start_period_ms?: number;
}

// The lifecycle part of spec.json; every field optional (older specs have none).
export interface LifecycleSpec {
  labels?: Record<string, string>;
  ready?: ReadyCheck;
  max_runtime_ms?: number;
  ttl_ms?: number;
  rm?: boolean;
  restart?: RestartSpec;
  health?: HealthSpec;
}

// One run of the program (a session without restarts has exactly one).
export interface RunRecord {
  pid: number;
  started_at: string;
  start_offset: number;
  ended_at: string | null;
  exit_code: number | null;
  signal: string | null;
}

// Why the supervisor ended the program, when it was not the program's own doing.
export type EndedBy = "max-runtime" | "ttl" | "health" | "close";

export type HealthState = "starting" | "healthy" | "unhealthy";

export const RESTART_POLICIES: readonly RestartPolicy[] = ["no", "on-failure", "always"];
export const BACKOFF_START_MS = 1000;
export const BACKOFF_CAP_MS = 5 * 60_000;

export function parseRestartPolicy(value: string, option: string): RestartPolicy {
  if (!(RESTART_POLICIES as readonly string[]).includes(value)) {
    throw usageError(`${option} takes one of ${RESTART_POLICIES.join(", ")}, not '${value}'`);
  }
  return value as RestartPolicy;
}

// Only http and https URLs with a host are probed.
export function checkHttpUrl(value: string, option: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw usageError(`${option} takes an http:// or https:// URL, not '${value}'`);
  }
  return url.href;
}

// The wait before restart number `attempt` (0-based): 1 s, 2 s, 4 s ... capped.
export function backoffDelay(attempt: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** Math.min(attempt, 20));
}
