// One open `rpc --stdio` channel per host for long-lived callers (the MCP
// server): calls share it; a channel that dropped is re-opened once per call
// after a short pause. Cursors live on the remote, so a drop costs at most the
// wait of the call in flight, never output.
import { ChannelLostError, type CallOptions, RpcClient } from "./client.ts";
import type { RpcResponse } from "../rpc/protocol.ts";
import type { Target } from "./transport.ts";

const REOPEN_PAUSE_MS = 300;
const channels = new Map<string, Promise<RpcClient>>();

function channelFor(target: Target): Promise<RpcClient> {
  const key = JSON.stringify([target.host, target.via ?? null]);
  let channel = channels.get(key);
  if (!channel) {
    channel = RpcClient.open(target);
    channels.set(key, channel);
    // A failed open is not kept: the next call tries again.
    channel.catch(() => channels.delete(key));
  }
  return channel;
}

function forget(target: Target, client: RpcClient): void {
  const key = JSON.stringify([target.host, target.via ?? null]);
  client.close();
  channels.delete(key);
}

// Calls a method on the host over its shared channel.
export async function callOnHost(
  target: Target,
  method: string,
  params: Record<string, unknown>,
  options: CallOptions = {},
): Promise<RpcResponse> {
  const client = await channelFor(target);
  try {
    return await client.call(method, params, options);
  } catch (error) {
    if (!(error instanceof ChannelLostError)) throw error;
    forget(target, client);
    await Bun.sleep(REOPEN_PAUSE_MS);
    return (await channelFor(target)).call(method, params, options);
  }
}

// Closes every channel (their endpoints exit when stdin closes).
export async function closeHostChannels(): Promise<void> {
  for (const channel of channels.values()) (await channel.catch(() => undefined))?.close();
  channels.clear();
}
