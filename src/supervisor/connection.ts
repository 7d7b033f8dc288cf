// One client connection as the supervisor sees it: the framed channel, and
// the state the supervisor keeps for that client. The server creates one per
// socket and drops it when the socket closes; the channel itself holds no state.
import type { Channel } from "../shared/channel.ts";
import type { Frame, Reply, Request } from "../shared/protocol.ts";

export class Connection {
  // A delivery waiting for this client's acknowledgement (owned by the reader desk).
  lease?: { reader: string; to: number };
  // Revokes the lease when the client makes no progress (readers.ts).
  leaseTimer?: Timer;
  // The lease was revoked: the late acknowledgement is refused.
  leaseRevoked = false;
  // The output end just before this connection's latest input (send pipelines
  // its input and a wait that looks only at what came after it).
  lastInputEnd?: number;
  // The client said hello with another protocol version: every request after
  // it is refused (a client pipelines its first request behind hello).
  mismatched?: number;

  // Frames waiting for another connection's paste to finish (server.ts).
  readonly held: Frame<Request>[] = [];

  constructor(readonly channel: Channel<Request, Reply>) {}

  get closed(): boolean {
    return this.channel.closed;
  }

  send(reply: Reply, payload?: Uint8Array): Promise<void> {
    return this.channel.send(reply, payload);
  }

  // Keeps a small frame to go out in one write with the next one sent.
  hold(reply: Reply, payload?: Uint8Array): void {
    this.channel.hold(reply, payload);
  }

  // Sends an error reply built from whatever was thrown.
  fail(error: unknown, code: number): void {
    void this.send({ op: "error", code, message: error instanceof Error ? error.message : String(error) });
  }
}
