// A minimal MCP client for the bench: newline-delimited JSON-RPC written
// straight to `bgterm mcp`'s stdin, so a measured round trip is the server's
// (request written -> result read), not an SDK client's overhead.
import type { Subprocess } from "bun";

export class RawMcpClient {
  private nextId = 1;
  private pending = new Map<number, (message: any) => void>();
  private buffer = "";

  private constructor(private readonly proc: Subprocess<"pipe", "pipe", "inherit">) {
    void this.pump();
  }

  static async start(argv: string[], env: Record<string, string>): Promise<RawMcpClient> {
    const proc = Bun.spawn(argv, { env, stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    const client = new RawMcpClient(proc);
    await client.request("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "bench", version: "1" },
    });
    client.notify("notifications/initialized");
    return client;
  }

  get pid(): number {
    return this.proc.pid;
  }

  private async pump(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.proc.stdout) {
      this.buffer += decoder.decode(chunk, { stream: true });
      for (let nl = this.buffer.indexOf("\n"); nl !== -1; nl = this.buffer.indexOf("\n")) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const message = JSON.parse(line);
        if (message.id !== undefined) this.pending.get(message.id)?.(message);
      }
    }
  }

  notify(method: string, params?: unknown): void {
    this.proc.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method, params })}\n`);
    this.proc.stdin.flush();
  }

  request(method: string, params: unknown): Promise<any> {
    const id = this.nextId++;
    const answer = new Promise<any>((resolve) => this.pending.set(id, resolve));
    this.proc.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    this.proc.stdin.flush();
    return answer.then((message) => {
      this.pending.delete(id);
      if (message.error) throw new Error(message.error.message);
      return message.result;
    });
  }

  // A tool call; throws on an isError result.
  async call(name: string, args: Record<string, unknown>): Promise<any> {
    const result = await this.request("tools/call", { name, arguments: args });
    if (result.isError) throw new Error(`${name}: ${result.content?.[0]?.text}`);
    return result.structuredContent;
  }

  async close(): Promise<void> {
    this.proc.stdin.end();
    await this.proc.exited;
  }
}
