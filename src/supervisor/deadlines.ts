// Named deadlines behind one timer: the supervisor's time limits, restart
// backoff and health checks all wait on the earliest of them, so an idle
// session has at most one armed timer and nothing that wakes it in between.
// Timers longer than setTimeout's 2^31 ms limit are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Deadlines {
  private readonly due = new Map<string, { at: number; fire: () => void }>();
  private timer?: Timer;

  // (Re)arms `name` to fire `fire` at Date.now() + delayMs.
  set(name: string, delayMs: number, fire: () => void): void {
    this.due.set(name, { at: Date.now() + Math.max(0, delayMs), fire });
    this.arm();
  }

  clear(name: string): void {
    if (this.due.delete(name)) this.arm();
  }

  has(name: string): boolean {
    return this.due.has(name);
  }

  clearAll(): void {
    this.due.clear();
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    let earliest = Infinity;
    for (const { at } of this.due.values()) earliest = Math.min(earliest, at);
    if (earliest === Infinity) return;
    this.timer = setTimeout(() => this.fireDue(), Math.min(MAX_TIMER_MS, Math.max(0, earliest - Date.now())));
  }

  private fireDue(): void {
    this.timer = undefined;
    const now = Date.now();
    const ready = [...this.due].filter(([, entry]) => entry.at <= now);
    for (const [name] of ready) this.due.delete(name);
    this.arm();
    for (const [, entry] of ready) entry.fire();
  }
}
