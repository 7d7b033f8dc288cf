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
}

export type WaitDecision = { deliver: true } | { deliver: false; wakeInMs: number };

export function decideWait(facts: WaitFacts): WaitDecision {
  const quietEnough = facts.idleMs === 0 || facts.quietForMs >= facts.idleMs;
  if ((facts.condition && quietEnough) || !facts.running || facts.remainingMs <= 0) return { deliver: true };
  // Waiting for quiet: wake when the idle period would end (or the yield, if sooner).
  const wake = facts.condition ? Math.min(facts.idleMs - facts.quietForMs, facts.remainingMs) : facts.remainingMs;
  return { deliver: false, wakeInMs: Math.max(0, Math.ceil(wake)) };
}
