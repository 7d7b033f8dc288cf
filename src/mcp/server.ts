import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";
export async function serveStdio(options: { tier: string; closeOnExit: boolean }): Promise<number> {
  const server = new McpServer({ name: "bgterm", version: "0.1.0" });
  server.registerTool("ping", { inputSchema: z.strictObject({ x: z.string() }) }, async () => ({
    content: [{ type: "text", text: "pong" }],
  }));
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => process.stdin.once("end", resolve));
  void options;
  return 0;
}
