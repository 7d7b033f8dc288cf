// Attached clients (`attach`): each is streamed the output from its position
// on, at the pace it reads, then told of the child's exit. A client that falls
// behind retention skips to the oldest retained byte.
import type { Connection } from "./connection.ts";
import type { OutputLog } from "./output-log.ts";

interface Subscription {
  position: number;
  pumping: boolean;
}

export class Subscribers {
  private readonly subscriptions = new Map<Connection, Subscription>();

  constructor(private readonly log: OutputLog) {}

  add(conn: Connection, from: number): void {
    this.subscriptions.set(conn, { position: from, pumping: false });
    void this.pump(conn);
  }

  remove(conn: Connection): void {
    this.subscriptions.delete(conn);
  }

  // New output or the final status: every subscriber catches up.
  changed(): void {
    for (const conn of this.subscriptions.keys()) void this.pump(conn);
  }

  private async pump(conn: Connection): Promise<void> {
    const sub = this.subscriptions.get(conn);
    if (!sub || sub.pumping) return;
    sub.pumping = true;
    try {
      while (!conn.closed && sub.position < this.log.end) {
        sub.position = Math.max(sub.position, this.log.ring.retainedStart(this.log.end));
        for (const { at, bytes } of this.log.retainedChunks(sub.position, this.log.end)) {
          if (conn.closed) break;
          sub.position = at + bytes.length;
          await conn.send({ op: "data", offset: at }, bytes);
        }
      }
      const final = this.log.final;
      if (final && !conn.closed) {
        await conn.send({ op: "exited", exit_code: final.exit_code });
        this.subscriptions.delete(conn);
      }
    } finally {
      sub.pumping = false;
    }
  }
}
