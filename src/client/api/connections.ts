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
  const cached = takeIdle(files.id);
  const channel = cached && !cached.closed ? cached : await connectRunning(files);
  let cancelled = false;
  let released = false;
  return {
    channel,
    get cancelled() {
      return cancelled;
    },
    cancel() {
      if (released) return;
      cancelled = true;
      channel.end();
    },
    release(ok) {
      if (released) return;
      released = true;
      if (!ok || cancelled || channel.closed || idle.has(files.id)) return channel.end();
      const timer = setTimeout(() => takeIdle(files.id)?.end(), IDLE_MS);
      timer.unref();
      idle.set(files.id, { channel, timer });
    },
  };
}

// Ends the idle connection to a session (before closing it, or once it exited).
export function forgetConnection(id: number): void {
  takeIdle(id)?.end();
}

// Ends every idle connection (the caller is exiting).
export function dropConnections(): void {
  for (const id of [...idle.keys()]) forgetConnection(id);
}
