// bgterm mcp: an MCP server on stdio for coding agents. The server module (and
// with it the MCP SDK and zod) is imported only here, inside run(), so every
// other command's start-up never loads or evaluates it.
import { command } from "../cli/command.ts";

export const TOOL_TIERS = ["readonly", "mutating", "all"] as const;
export type ToolTier = (typeof TOOL_TIERS)[number];

export default command({
  name: "mcp",
  local: true,
  summary: "Run an MCP server on stdio for coding agents (JSON-RPC on stdout, logs on stderr)",
  options: {
    tools: {
      kind: "enum",
      values: TOOL_TIERS,
      default: "all",
      help: "Which tools to offer: readonly (read, screen, wait, list), mutating (+ start, send, exec) or all (+ close, signal)",
    },
    "close-on-exit": {
      kind: "boolean",
      help: "Close the sessions this server started when its stdin closes",
    },
  },
  async run(args) {
    const { serveStdio } = await import("../mcp/server.ts");
    return serveStdio({ tier: args.tools as ToolTier, closeOnExit: args["close-on-exit"] === true });
  },
});
