// When to ask Bun for a garbage collection. Every output chunk, delivery and
// emulator slice leaves fresh buffers behind, and with Bun's GC timer off (an
// idle supervisor makes no syscalls) nothing else would collect them during a
// flood. The thresholds live here together so they can be tuned as one policy.

// Output stored between full collections during a flood (a few ms each, ~1/s at most).
const FLOOD_COLLECT_BYTES = 64 * 1024 * 1024;
// A single delivery this large is followed by a (non-blocking) collection.
const DELIVERY_COLLECT_BYTES = 4 * 1024 * 1024;
// Emulator input parsed between full collections while catching up.
const FEED_COLLECT_BYTES = 2 * 1024 * 1024;

// Counts bytes of one kind of work and collects each time `every` is reached.
export class CollectCounter {
  private since = 0;
  constructor(private readonly every: number) {}

  add(bytes: number): void {
    this.since += bytes;
    if (this.since < this.every) return;
    this.since = 0;
    Bun.gc(true);
  }
}

// One counter per stream of stored output.
export const floodCollector = () => new CollectCounter(FLOOD_COLLECT_BYTES);
// Input received between full collections (a paste of any size stays flat).
const INPUT_COLLECT_BYTES = 1024 * 1024;
export const inputCollector = () => new CollectCounter(INPUT_COLLECT_BYTES);
// One counter per emulator catch-up.
export const feedCollector = () => new CollectCounter(FEED_COLLECT_BYTES);

// After one delivery of `bytes`: a large one asks for a collection now rather
// than letting its buffers pile up.
export function collectAfterDelivery(bytes: number): void {
  if (bytes >= DELIVERY_COLLECT_BYTES) Bun.gc(false);
}
