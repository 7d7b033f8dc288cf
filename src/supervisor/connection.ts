// One client connection as the supervisor sees it: a framed channel plus
// what the supervisor tracks for it.
import type { Channel } from "../shared/channel.ts";
import type { Reply, Request } from "../shared/protocol.ts";

export type Conn = Channel<Request, Reply> & {
  // A delivery waiting for this client's acknowledgement.
  lease?: { reader: string; to: number };
  // An attached client: output is streamed to it from `position` on.
  subscription?: { position: number; pumping: boolean };
  // The output end just before this connection's latest input.
  lastInputEnd?: number;
};
