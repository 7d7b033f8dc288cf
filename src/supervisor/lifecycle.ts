// A session's lifecycle beyond one run of its program: --max-runtime (end the
// program: SIGTERM, SIGKILL after a grace), --ttl (close and remove the whole
// session), --restart with backoff and a limit, and health checks. Every
// deadline waits on one timer (Deadlines); nothing polls. The supervisor calls
// runStarted/runEnded and asks keepsAlive(); this module calls back through
// LifecycleHost and records runs, ended_by and health in meta.json.
import { BACKOFF_CAP_MS, backoffDelay, type EndedBy, type HealthState, type RunRecord } from "../shared/lifecycle.ts";
import type { ExitStatus, SessionSpec } from "../shared/session-files.ts";
import { Deadlines } from "./deadlines.ts";
import type { HealthCheck } from "./health.ts";

// After SIGTERM (max-runtime, an unhealthy run), how long before SIGKILL.
const TERM_GRACE_MS = 2000;
// Without --backoff, the pause before a restart (so a crash loop cannot spin).
const RESTART_PAUSE_MS = 100;

export interface LifecycleHost {
  // Signals every process group of the current run's terminal session.
  // The signal to the run's terminal session, SIGKILL to what outlives graceMs.
  terminateProgram(signal: NodeJS.Signals, graceMs: number): void;
  // Starts the next run of the program.
  respawn(): void;
  // Ends everything, then removes the session's state (--ttl).
  closeAndRemove(): void;
  // Between runs: make the last run's exit final now (no restart follows).
  finishNow(): void;
  // Records the lifecycle fields in meta.json.
  saveMeta(fields: { runs: RunRecord[]; ended_by: EndedBy | null; health: HealthState | null }): void;
  // The end offset of the output (where a new run's output starts).
  end(): number;
  // A marker in the session's timing record (export shows it).
  mark(label: string): void;
}

export class Lifecycle {
  readonly deadlines = new Deadlines();
  readonly runs: RunRecord[] = [];
  private endedBy: EndedBy | null = null;
  // Once set, exits are final (max-runtime, ttl, close).
  private stopping = false;
  // The next exit is a restart whatever its code (the run was unhealthy).
  private forceRestart = false;
  private attempt = 0;
  private currentPid?: number;
  private readonly health?: HealthCheck;

  constructor(
    private readonly spec: SessionSpec,
    private readonly host: LifecycleHost,
    startedAt: number,
    // health.ts, loaded by the supervisor only for a spec with a health check.
    Health?: typeof HealthCheck,
  ) {
    const since = Date.now() - startedAt;
    if (spec.max_runtime_ms !== undefined) {
      this.deadlines.set("max-runtime", spec.max_runtime_ms - since, () => this.endProgram("max-runtime"));
    }
    if (spec.ttl_ms !== undefined) {
      this.deadlines.set("ttl", spec.ttl_ms - since, () => {
        if (this.currentPid !== undefined) this.endedBy ??= "ttl";
        this.stop();
        this.save();
        this.host.closeAndRemove();
      });
    }
    if (spec.health && Health) {
      this.health = new Health(spec.health, {
        deadlines: this.deadlines,
        childPid: () => this.currentPid,
        cwd: spec.cwd,
        env: spec.env,
        changed: () => this.save(),
        unhealthy: () => {
          if (!this.spec.restart || this.stopping) return;
          this.forceRestart = true;
          this.terminate();
        },
      });
    }
  }

  runStarted(pid: number): void {
    this.currentPid = pid;
    this.runs.push({
      pid,
      started_at: new Date().toISOString(),
      start_offset: this.host.end(),
      ended_at: null,
      exit_code: null,
      signal: null,
    });
    this.health?.begin();
    if (this.runs.length > 1) this.host.mark(`run ${this.runs.length} started (pid ${pid})`);
    this.save();
  }

  // The run ended: "restart" (a new run follows after the backoff) or "final".
  runEnded(status: ExitStatus): "restart" | "final" {
    this.currentPid = undefined;
    this.health?.stop();
    const run = this.runs.at(-1);
    if (run) Object.assign(run, { ended_at: status.ended_at, exit_code: status.exit_code, signal: status.signal });
    const restart = this.spec.restart;
    const wanted =
      restart !== undefined &&
      !this.stopping &&
      (restart.policy === "always" || status.exit_code !== 0 || this.forceRestart) &&
      (restart.max_restarts === null || this.runs.length - 1 < restart.max_restarts);
    if (!wanted && this.forceRestart) this.endedBy ??= "health";
    this.forceRestart = false;
    if (!wanted) {
      this.stopping = true;
      this.deadlines.clear("max-runtime");
      this.save();
      return "final";
    }
    // A run that outlasted the cap starts the backoff over.
    const lasted = run ? Date.parse(status.ended_at) - Date.parse(run.started_at) : 0;
    if (lasted > BACKOFF_CAP_MS) this.attempt = 0;
    const delay = restart.backoff ? backoffDelay(this.attempt++) : RESTART_PAUSE_MS;
    this.host.mark(`run ${this.runs.length} exited (code ${status.exit_code}); restart in ${delay} ms`);
    this.save();
    this.deadlines.set("restart", delay, () => {
      if (!this.stopping) this.host.respawn();
    });
    return "restart";
  }

  // The user closes the session: no restart, no further deadline except removal.
  stop(): void {
    this.stopping = true;
    this.deadlines.clear("restart");
    this.deadlines.clear("max-runtime");
    this.health?.stop();
  }

  // The supervisor outlives the program while a --ttl removal is pending.
  keepsAlive(): boolean {
    return this.deadlines.has("ttl");
  }

  // A restart is pending: the program is between runs.
  betweenRuns(): boolean {
    return this.deadlines.has("restart");
  }

  private endProgram(reason: EndedBy): void {
    if (this.currentPid === undefined) {
      // Between runs: no further run starts; the last exit becomes final.
      if (this.deadlines.has("restart")) {
        this.endedBy = reason;
        this.stop();
        this.save();
        this.host.finishNow();
      }
      return;
    }
    this.endedBy = reason;
    this.stopping = true;
    this.deadlines.clear("restart");
    this.save();
    this.terminate();
  }

  // SIGTERM to the run's terminal session; SIGKILL if it outlives the grace.
  private terminate(): void {
    this.host.terminateProgram("SIGTERM", TERM_GRACE_MS);
  }

  private save(): void {
    this.host.saveMeta({ runs: this.runs, ended_by: this.endedBy, health: this.health?.state ?? null });
  }
}
