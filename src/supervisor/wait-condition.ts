// When a waiting poll returns: the decision alone, free of clocks and I/O, so
// it can be tested on its own. The reader desk gathers the facts and arms a
// timer for the answer's `wakeInMs`.

export interface WaitFacts {
  // The thing waited for has happened: new output, or the --until pattern matched.
  condition: boolean;
  // How long the output has been quiet, and how long it must be (--idle; 0 = not asked).
  quietForMs: number;
  idleMs: number;
  // False once the child's exit is final (nothing more can come).
  running: boolean;
  // Time left until the yield ends.
  remainingMs: number;
  // A settled wait (send and poll by default): quiet is not enough, the
  // program must also be settled; a long stretch of uninterrupted output
  // (streamedMs, since the last quiet gap) ends it after maxStreamMs.
  settle?: { settled: () => boolean; streamedMs?: number; maxStreamMs: number; retryMs: number };
}

// retry: the output was quiet but the program not settled; look again soon.
export type WaitDecision = { deliver: true } | { deliver: false; wakeInMs: number; retry?: boolean };

export function decideWait(facts: WaitFacts): WaitDecision {
  const quietEnough = facts.idleMs === 0 || facts.quietForMs >= facts.idleMs;
  if (!facts.running || facts.remainingMs <= 0) return { deliver: true };
  const settle = facts.settle;
  if (settle && facts.condition && facts.idleMs > 0) {
    if (quietEnough) {
      if (settle.settled()) return { deliver: true };
      return {
        deliver: false,
        wakeInMs: Math.max(0, Math.ceil(Math.min(settle.retryMs, facts.remainingMs))),
        retry: true,
      };
    }
    const streamed = settle.streamedMs ?? 0;
    if (streamed >= settle.maxStreamMs) return { deliver: true };
    const wake = Math.min(facts.idleMs - facts.quietForMs, settle.maxStreamMs - streamed, facts.remainingMs);
    return { deliver: false, wakeInMs: Math.max(0, Math.ceil(wake)) };
  }
  if (facts.condition && quietEnough) return { deliver: true };
  // Waiting for quiet: wake when the idle period would end (or the yield, if sooner).
  const wake = facts.condition ? Math.min(facts.idleMs - facts.quietForMs, facts.remainingMs) : facts.remainingMs;
  return { deliver: false, wakeInMs: Math.max(0, Math.ceil(wake)) };
}
