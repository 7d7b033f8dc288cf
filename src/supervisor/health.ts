// Health checks: a probe (GET answering 2xx, a listener owned by the session,
// or a command exiting 0) every interval; `threshold` consecutive failures make
// the session unhealthy, and the owner decides what follows (a restart when a
// restart policy is set). A probe never overlaps the next one.
import type { HealthSpec, HealthState } from "../shared/lifecycle.ts";
import { commandOk, httpOk, portOwnedBySession } from "../shared/probes.ts";
import type { Deadlines } from "./deadlines.ts";

export interface HealthHost {
  readonly deadlines: Deadlines;
  // The current run's pid (it leads the terminal session); undefined between runs.
  childPid(): number | undefined;
  cwd: string;
  env: Record<string, string>;
  changed(state: HealthState): void;
  unhealthy(): void;
}

export class HealthCheck {
  private failures = 0;
  // When the current run began (performance.now()).
  private runStarted = 0;
  state: HealthState = "starting";

  constructor(
    private readonly spec: HealthSpec,
    private readonly host: HealthHost,
  ) {}

  // A new run starts: checks begin after one interval.
  begin(): void {
    this.failures = 0;
    this.runStarted = performance.now();
    this.set("starting");
    this.host.deadlines.set("health", this.spec.interval_ms, () => void this.check());
  }

  stop(): void {
    this.host.deadlines.clear("health");
  }

  // spec.json is read back from disk: anything but a sane number is no grace.
  private startPeriod(): number {
    const period = this.spec.start_period_ms;
    return typeof period === "number" && Number.isSafeInteger(period) && period > 0 ? period : 0;
  }

  private set(state: HealthState): void {
    if (state === this.state) return;
    this.state = state;
    this.host.changed(state);
  }

  private async probe(): Promise<boolean> {
    const probe = this.spec.probe;
    if (probe.kind === "url") return httpOk(probe.url, this.spec.timeout_ms);
    if (probe.kind === "port") {
      const pid = this.host.childPid();
      return pid !== undefined && portOwnedBySession(probe.port, pid);
    }
    return commandOk(probe.cmd, this.host.cwd, this.host.env, this.spec.timeout_ms);
  }

  private async check(): Promise<void> {
    if (this.host.childPid() === undefined) return;
    const ok = await this.probe();
    if (this.host.childPid() === undefined) return;
    if (ok) {
      this.failures = 0;
      this.set("healthy");
    } else if (performance.now() - this.runStarted < this.startPeriod()) {
      // Still in the start grace: a failure does not count.
    } else if (++this.failures >= this.spec.threshold && this.state !== "unhealthy") {
      this.set("unhealthy");
      this.host.unhealthy();
    }
    this.host.deadlines.set("health", this.spec.interval_ms, () => void this.check());
  }
}
