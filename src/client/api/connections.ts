// Kept connections: one idle connection per session, kept between calls for
// a short while, so that a burst of calls (a long-lived caller such as the MCP
// server) saves the connect, the version hello and the supervisor's accept.
// Pass one to poll or send as `connection` (in-process only). A call that
// finds the idle one busy opens its own; a connection that failed is dropped;
// an idle one is ended after IDLE_MS, and at once before a close or after an
// exit, because a supervisor whose program ended waits for its clients to go.
import { type ClientChannel, connectRunning } from "../requests.ts";
import { resolve, type SessionRef } from "./common.ts";

const IDLE_MS = 1000;
const idle = new Map<number, { channel: ClientChannel; timer: ReturnType<typeof setTimeout> }>();

export interface Connection {
  readonly channel: ClientChannel;
  // ok: the exchange finished cleanly, so the connection may serve the next call.
  release(ok: boolean): void;
  // Ends it now unless released (the caller gave up): a read on it then
  // fails, with no second try from files.
  cancel(): void;
  readonly cancelled: boolean;
  // Released once `acked` settles (kept if it resolved); meanwhile acksSettled waits for it.
  releaseWhen(acked: Promise<void>): void;
}

// Connections whose acknowledgement is written but not yet confirmed, by
// session: a read from the files (info, list) waits for `settled`, so it sees
// the cursors they moved; forgetConnection calls `forget`, so they end instead
// of going idle (a closing session's supervisor waits for its clients to leave).
interface Settling {
  settled: Promise<void>;
  forget(): void;
}
const settling = new Map<number, Set<Settling>>();

// How long a read of the files waits for confirmations: one normally takes
// tens of µs; a stopped or swamped supervisor must not hold up a list of
// every session (its cursor then shows as it was).
const SETTLE_WAIT_MS = 200;

// Resolves once every read of the session (every session without an id) has
// its acknowledgement confirmed by the supervisor, or SETTLE_WAIT_MS passed.
export async function acksSettled(id?: number): Promise<void> {
  const entries = id === undefined ? [...settling.values()].flatMap((set) => [...set]) : [...(settling.get(id) ?? [])];
  const pending = entries.map((entry) => entry.settled);
  if (pending.length === 0) return;
  let timer: Timer | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SETTLE_WAIT_MS);
  });
  await Promise.race([Promise.allSettled(pending), bound]);
  clearTimeout(timer);
}

function takeIdle(id: number): ClientChannel | undefined {
  const entry = idle.get(id);
  if (!entry) return undefined;
  idle.delete(id);
  clearTimeout(entry.timer);
  return entry.channel;
}

// A connection to a running session (the idle one if free), or exit 4 saying why not.
export async function leaseConnection(session: SessionRef): Promise<Connection> {
  const files = resolve(session);
  // The session's kept connection is only waiting for an acknowledgement to be confirmed.
  if (settling.has(files.id)) await acksSettled(files.id);
  const cached = takeIdle(files.id);
  const channel = cached && !cached.closed ? cached : await connectRunning(files);
  let cancelled = false;
  let released = false;
  let inSettling = false;
  let forgotten = false;
  const connection: Connection = {
    channel,
    get cancelled() {
      return cancelled;
    },
    cancel() {
      if (released || inSettling) return;
      cancelled = true;
      channel.end();
    },
    releaseWhen(acked) {
      if (released || inSettling) return;
      inSettling = true;
      const entries = settling.get(files.id) ?? new Set();
      settling.set(files.id, entries);
      const entry: Settling = {
        settled: acked.then(
          () => connection.release(true),
          // Revoked (the client took too long) or lost: the connection goes;
          // the output already returned is read again by the next read.
          () => connection.release(false),
        ),
        forget: () => {
          forgotten = true;
        },
      };
      entries.add(entry);
      void entry.settled.finally(() => {
        entries.delete(entry);
        if (entries.size === 0 && settling.get(files.id) === entries) settling.delete(files.id);
      });
    },
    release(ok) {
      if (released) return;
      released = true;
      if (!ok || cancelled || forgotten || channel.closed || idle.has(files.id)) return channel.end();
      const timer = setTimeout(() => takeIdle(files.id)?.end(), IDLE_MS);
      timer.unref();
      idle.set(files.id, { channel, timer });
    },
  };
  return connection;
}

// Ends the idle connection to a session (before closing it, or once it
// exited), and one still waiting for a confirmation once it has it.
export function forgetConnection(id: number): void {
  takeIdle(id)?.end();
  for (const entry of settling.get(id) ?? []) entry.forget();
}

// Ends every kept connection (the caller is exiting).
export function dropConnections(): void {
  for (const id of new Set([...idle.keys(), ...settling.keys()])) forgetConnection(id);
}
