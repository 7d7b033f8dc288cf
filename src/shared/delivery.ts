// Which bytes one read hands out: from the reader's position (or the oldest
// retained byte, if retention dropped some), to the end or a limit, never
// ending inside a UTF-8 character while more output may still complete it.
// Shared by the supervisor and by clients reading an ended session's files.
import { incompleteUtf8Suffix, sequenceLength } from "../text/utf8.ts";
import { CHUNK_BYTES, type OutputRing } from "./ring.ts";

export const DELIVERY_CHUNK = CHUNK_BYTES;

export interface DeliveryPlan {
  from: number;
  to: number;
  retainedStart: number;
  // Some bytes the reader had not seen were dropped by retention.
  truncated: boolean;
}

export function planDelivery(options: {
  ring: OutputRing;
  position: number;
  end: number;
  limit?: number;
  // No more output will come: a trailing partial character is delivered as is.
  final: boolean;
}): DeliveryPlan {
  const { ring, position, end, limit, final } = options;
  const retainedStart = ring.retainedStart(end);
  const from = Math.min(Math.max(position, retainedStart), end);
  let to = limit === undefined ? end : Math.min(end, from + limit);
  if (to > from && (to < end || !final)) {
    const tail = ring.read(Math.max(from, to - 3), to);
    const cut = incompleteUtf8Suffix(tail);
    if (cut > 0 && cut < to - from) to -= cut;
    // A limit smaller than one character still returns that character whole
    // (and no more), once all of it is there.
    else if (cut > 0 && to < end) {
      const whole = from + Math.max(1, sequenceLength(ring.read(from, from + 1)[0]!));
      to = whole <= end ? whole : final ? end : from;
    }
    // Only the start of a character so far: wait for the rest of it.
    else if (cut > 0) to = from;
  }
  return { from, to, retainedStart, truncated: position < retainedStart };
}
