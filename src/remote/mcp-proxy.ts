// MCP tools with a `host`: the local MCP server hands the call to `bgterm mcp`
// on that host, reached the same way as every remote command (ssh with a shared
// connection, or --via), and returns its answer unchanged. The tool runs there
// exactly as it runs here, against that host's sessions and cursors. One
// channel per host stays open; a dropped one is re-opened once per call.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import pkg from "../../package.json" with { type: "json" };
import { BgtermError, EXIT } from "../errors.ts";
import { openError } from "./client.ts";
import { bgtermArgv } from "./transport.ts";

const OPEN_TIMEOUT_MS = 30_000;
// Longer than any tool's own cap (waits with progress end within 600 s).
const CALL_TIMEOUT_MS = 660_000;
const REOPEN_PAUSE_MS = 300;

interface Channel {
  client: Client;
  closed: boolean;
}

const channels = new Map<string, Promise<Channel>>();

async function openChannel(host: string, clientName: string): Promise<Channel> {
  const [command, ...args] = bgtermArgv({ host, install: false }, ["mcp", "--tools", "all"]);
  const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  const transport = new StdioClientTransport({ command: command!, args, env, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4096);
  });
  const client = new Client({ name: clientName, version: pkg.version });
  const channel: Channel = { client, closed: false };
  client.onclose = () => {
    channel.closed = true;
  };
  try {
    await client.connect(transport, { timeout: OPEN_TIMEOUT_MS });
  } catch {
    await client.close().catch(() => {});
    throw openError({ host, install: false }, null, stderr);
  }
  return channel;
}

function channelFor(host: string, clientName: string): Promise<Channel> {
  let channel = channels.get(host);
  if (!channel) {
    channel = openChannel(host, clientName);
    channels.set(host, channel);
    channel.catch(() => channels.delete(host));
  }
  return channel;
}

// Calls tool `name` with `args` on `host`; the answer is the remote tool's own.
export async function callRemoteTool(
  host: string,
  name: string,
  args: Record<string, unknown>,
  clientName: string,
): Promise<Record<string, unknown>> {
  for (let attempt = 0; ; attempt++) {
    const channel = await channelFor(host, clientName);
    try {
      return (await channel.client.callTool({ name, arguments: args }, undefined, {
        timeout: CALL_TIMEOUT_MS,
      })) as Record<string, unknown>;
    } catch (error) {
      if (!channel.closed) throw error;
      channels.delete(host);
      if (attempt > 0) throw new BgtermError(EXIT.internal, `the connection to ${host} was lost`);
      await Bun.sleep(REOPEN_PAUSE_MS);
    }
  }
}

// Closes every host channel (their servers exit when stdin closes).
export async function closeRemoteTools(): Promise<void> {
  for (const channel of channels.values()) await (await channel.catch(() => undefined))?.client.close();
  channels.clear();
}
