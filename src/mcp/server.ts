// `bgterm mcp`: the MCP server on stdio, built on the official SDK. JSON-RPC
// goes to stdout only (the SDK's transport writes it); diagnostics to stderr.
// Sessions it starts are ordinary sessions labelled with their owner (the
// client's name and this server's pid); they outlive the server unless
// --close-on-exit or ttl_ms (kept by each session's supervisor) says otherwise.
import { writeSync } from "node:fs";
import { PassThrough } from "node:stream";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  type JSONRPCMessage,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import pkg from "../../package.json" with { type: "json" };
import type { ToolTier } from "../commands/mcp.ts";
import { BgtermError, EXIT } from "../errors.ts";
import * as S from "./schemas.ts";
import { LineReader } from "./stdio-lines.ts";
import {
  type CallContext,
  closeTool,
  downTool,
  execTool,
  listTool,
  OWNER_LABEL,
  pruneTool,
  readTool,
  type ServerState,
  screenTool,
  sendTool,
  signalTool,
  startTool,
  type ToolResult,
  upTool,
  waitTool,
} from "./tools.ts";
import {
  closeOne,
  dropConnections,
  forgetConnection,
  exitCodeOf,
  listRecords,
  readLabels,
  resolveSession,
  type SessionFiles,
  screenOf,
} from "./session-api.ts";

// Validation messages in the CLI's words: an unknown parameter is refused like an unknown option.
z.config({
  customError: (issue) => {
    if (issue.code === "unrecognized_keys") {
      const keys = (issue as { keys: string[] }).keys.map((key) => `'${key}'`).join(", ");
      return `unknown parameter ${keys} (see the tool's inputSchema)`;
    }
    if ((issue.code === "too_big" || issue.code === "too_small") && issue.origin === "number") {
      const bound = issue.code === "too_big" ? `at most ${issue.maximum}` : `at least ${issue.minimum}`;
      return `takes a whole number ${bound}, not ${JSON.stringify(issue.input)}`;
    }
    if (issue.code === "too_big" && issue.origin === "string") {
      return `text too long: at most ${issue.maximum} characters per call (send a file's content in parts, or write it to a file)`;
    }
    return undefined;
  },
});

type Tier = "readonly" | "mutating" | "destructive";

const hostParam = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .describe("Run on this host over SSH (anything ssh accepts; bgterm installed there: bgterm host install H)");
const TIER_RANK: Record<ToolTier, number> = { readonly: 0, mutating: 1, all: 2 };
const TOOL_RANK: Record<Tier, number> = { readonly: 0, mutating: 1, destructive: 2 };

function log(message: string): void {
  writeSync(2, `bgterm mcp: ${message}\n`);
}

// A thrown error becomes an isError result in the CLI's words, with its exit code.
function errorResult(error: unknown): ToolResult {
  const known = error instanceof BgtermError;
  const code = known ? error.exitCode : EXIT.internal;
  const message = error instanceof Error ? error.message : String(error);
  if (!known) log(`internal error: ${(error as Error)?.stack ?? message}`);
  // As the CLI prints it: the detail (e.g. a program's last output) above the message.
  const detail = known && error.detail ? `${error.detail}\n` : "";
  return {
    content: [{ type: "text", text: `${detail}bgterm: ${message} (code ${code})` }],
    structuredContent: undefined as never,
    isError: true,
  };
}

// The SDK's stdio transport, handed each message once stdio-lines.ts has
// parsed and checked it (reading stdin itself, it would parse and validate
// every line a second time); it writes the answers.
class CheckedStdioTransport extends StdioServerTransport {
  constructor() {
    super(new PassThrough(), process.stdout); // a stdin it never reads
  }

  override async start(): Promise<void> {}

  deliver(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }
}

// Feeds stdin to the line reader until it ends. Bun's own stdin stream: about
// a third cheaper per message than process.stdin's events.
async function readStdin(lines: LineReader): Promise<void> {
  try {
    for await (const chunk of Bun.stdin.stream()) {
      lines.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  } catch {
    // A read error ends the input like its end.
  }
  lines.end();
}

export interface ServeOptions {
  tier: ToolTier;
  closeOnExit: boolean;
}

export async function serveStdio(options: ServeOptions): Promise<number> {
  const server = new McpServer(
    { name: "bgterm", version: pkg.version },
    {
      capabilities: { resources: { subscribe: true, listChanged: true }, logging: {} },
      instructions:
        "bgterm runs programs in background terminals. terminal_exec runs a shell command to completion and returns its exit code; terminal_start + terminal_send/terminal_read drive interactive or long-running programs (REPLs, dev servers, TUIs); terminal_screen shows full-screen programs. Waits are bounded: never poll in a loop with sleeps, use until/stop patterns instead. Close what you start (terminal_close owned: true).",
    },
  );
  const ownSession = /^\d+$/.test(process.env.BGTERM_SESSION ?? "") ? Number(process.env.BGTERM_SESSION) : undefined;
  const subscribed = new Set<string>();
  // The owner label's value: printable, bounded (labels hold up to 256 bytes).
  const owner = () => {
    const name = (server.server.getClientVersion()?.name ?? "mcp-client").replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
    return `${name}/${process.pid}`;
  };

  // Tell subscribers when a session this server started ends.
  const announceExit = (id: number) => {
    forgetConnection(id);
    if (!server.isConnected()) return;
    void server.server.sendResourceListChanged().catch(() => {});
    for (const uri of ["bgterm://sessions", `bgterm://session/${id}/screen`]) {
      if (subscribed.has(uri)) void server.server.sendResourceUpdated({ uri }).catch(() => {});
    }
  };

  const state: ServerState = {
    ownSession,
    execShell: undefined,
    onStarted(files) {
      exitCodeOf(files).then(
        () => announceExit(files.id),
        () => announceExit(files.id),
      );
    },
  };

  const register = <I extends z.ZodObject>(
    name: string,
    tier: Tier,
    config: {
      title: string;
      description: string;
      input: I;
      output: z.ZodObject;
      annotations: {
        readOnlyHint: boolean;
        destructiveHint: boolean;
        idempotentHint: boolean;
        openWorldHint?: boolean;
      };
    },
    handler: (input: z.infer<I>, context: CallContext) => Promise<ToolResult>,
  ) => {
    if (TOOL_RANK[tier] > TIER_RANK[options.tier]) return;
    server.registerTool(
      name,
      {
        title: config.title,
        description: config.description,
        // Every tool takes `host`: the call then runs in `bgterm mcp` there (src/remote/mcp-proxy.ts).
        inputSchema: config.input.extend({ host: hostParam }),
        outputSchema: config.output,
        annotations: { ...config.annotations, openWorldHint: config.annotations.openWorldHint ?? false },
      },
      (async (input: z.infer<I>, extra: any) => {
        const context: CallContext = {
          owner,
          progressToken: extra?._meta?.progressToken,
          signal: extra?.signal,
          progress: async (elapsedMs, message) => {
            await extra.sendNotification({
              method: "notifications/progress",
              params: { progressToken: extra._meta.progressToken, progress: Math.round(elapsedMs), message },
            });
          },
        };
        try {
          if ((input as { host?: string }).host !== undefined) {
            const { host, ...rest } = input as z.infer<I> & { host: string };
            const { callRemoteTool } = await import("../remote/mcp-proxy.ts");
            const client = server.server.getClientVersion()?.name ?? "mcp-client";
            return (await callRemoteTool(host, name, rest, client)) as unknown as ToolResult;
          }
          // No copy without host: zod leaves an absent optional key out.
          return await handler(input, context);
        } catch (error) {
          return errorResult(error);
        }
      }) as never,
    );
  };

  register(
    "terminal_start",
    "mutating",
    {
      title: "Start a program in a background terminal",
      description:
        "Start a program (dev server, REPL, TUI, long build, shell) in a new background terminal and get its id; it keeps running between calls. Use ready_* to return only once a server is up (ready_port, ready_url, ready_regex, ready_file), yield_ms to get its first output. Use when the program is interactive or long-running. Not for one-shot commands whose output and exit code you want: use terminal_exec.",
      input: S.startInput,
      output: S.startOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (input, context) => startTool(input, state, context),
  );
  register(
    "terminal_send",
    "mutating",
    {
      title: "Type into a terminal and wait for the reply",
      description:
        "Type text (then Enter) and/or keys (tmux names: C-c, Up, Escape, Tab...) into a session, then wait (bounded) and return the new output. Waits end at the first of: until matches, a stop pattern matches (outcome 'stopped': fail fast on 'error|FAILED'), output quiet for idle_ms, the program exits, yield_ms. Patterns match only output after this input, but that includes the terminal's echo of what you typed: write until so it cannot match the typed line. Not for running shell commands to completion with an exit status: use terminal_exec.",
      input: S.sendInput,
      output: S.readOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (input, context) => sendTool(input, state, context),
  );
  register(
    "terminal_read",
    "readonly",
    {
      title: "Read new output of a terminal",
      description:
        "Return the output a session printed since the last read (each byte once), waiting up to yield_ms (0 = no wait) for output, an until/stop match, or quiet. ids: the first of several sessions to have output. from_offset: re-read older output by absolute offset (e.g. what an 'omitted' note points at) without moving the cursor. Not for full-screen programs (vim, top, less): use terminal_screen. Do not call it in a loop with sleeps: give until/stop and a yield instead.",
      input: S.readInput,
      output: S.readOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false },
    },
    (input, context) => readTool(input, context),
  );
  register(
    "terminal_exec",
    "mutating",
    {
      title: "Run a shell command and get its output and exit code",
      description:
        "Run a command line in a shell and return only its output, its exit_code and duration. Without id it uses this client's own persistent bash (created on demand; cd and exported variables persist between calls; PAGER=cat). With id it runs in that session's shell (bash, sh, dash, zsh). On timeout (default 30 s) it sends C-c and returns (interrupt: false leaves it running). Use for builds, tests, git, file inspection. Not for servers or programs that wait for input: use terminal_start.",
      input: S.execInput,
      output: S.execOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    (input, context) => execTool(input, state, context),
  );
  register(
    "terminal_screen",
    "readonly",
    {
      title: "Show a terminal's screen",
      description:
        "The visible screen as a terminal shows it (rendered by a terminal emulator): use for full-screen programs (vim, less, top, htop, menus) and to see prompts and progress bars as they look now. Not for collecting a program's output stream: use terminal_read.",
      input: S.screenInput,
      output: S.screenOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    },
    (input) => screenTool(input),
  );
  register(
    "terminal_wait",
    "readonly",
    {
      title: "Wait for a program to exit",
      description:
        "Wait (bounded, default 10 s) until the first of the given sessions exits and return its exit code; outcome 'timeout' if none did. ready: true waits instead until every given session passes the readiness check it was started with (terminal_start with ready_* and wait_ready: false); outcome 'ready'. Use for builds or jobs started with terminal_start. Not for waiting on output: use terminal_read with until.",
      input: S.waitInput,
      output: S.waitOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    },
    (input, context) => waitTool(input, context),
  );
  register(
    "terminal_list",
    "readonly",
    {
      title: "List terminals",
      description:
        "List this client's sessions (all: true for every session on the machine; labels: only those carrying them) with state, exit code, unread bytes, age, command, cwd, labels, runs and restart_count, health, ended_by, CPU and memory, and last line. Use to find ids again or check what is still running.",
      input: S.listInput,
      output: S.listOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    },
    (input, context) => listTool(input, context),
  );
  register(
    "terminal_close",
    "destructive",
    {
      title: "Close terminals",
      description:
        "End sessions: every process in their terminal gets SIGHUP (or signal), SIGKILL after grace_ms, and the session is removed. ids, or owned: true for every session this client started, or labels for those of them carrying every label. Close what you no longer need. To interrupt a program without closing the session, use terminal_signal.",
      input: S.closeInput,
      output: S.closeOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    },
    (input, context) => closeTool(input, state, context),
  );
  register(
    "terminal_prune",
    "destructive",
    {
      title: "Remove ended terminals",
      description:
        "Remove this client's sessions whose program has ended (exited) or whose supervisor died (lost), with their output; all: true for every client's. older_than_ms: only those that ended at least that long ago; labels: only those carrying every label. Running sessions are never touched: to end them, use terminal_close.",
      input: S.pruneInput,
      output: S.pruneOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    },
    (input, context) => pruneTool(input, context),
  );
  register(
    "terminal_up",
    "mutating",
    {
      title: "Start a project's sessions from bgterm.toml",
      description:
        "Start the sessions declared in bgterm.toml (found from cwd upwards, or file) that are not running, reusing those that are, dependencies (after) first and each ready before its dependents; names: only these and what they need. Returns name, id, state, action and readiness per session. Stop them with terminal_down.",
      input: S.upInput,
      output: S.upOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    (input, context) => upTool(input, context),
  );
  register(
    "terminal_down",
    "destructive",
    {
      title: "Close a project's sessions from bgterm.toml",
      description:
        "Close the sessions that terminal_up (or bgterm up) started from this bgterm.toml (found by their project label); names: only these.",
      input: S.downInput,
      output: S.downOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    },
    (input, context) => downTool(input, context),
  );
  register(
    "terminal_signal",
    "destructive",
    {
      title: "Send a signal without closing",
      description:
        "Deliver a signal (default INT, as C-c) to the program in the foreground of a session's terminal; the session stays open. Use to stop a running command or server but keep the shell. Not for ending the session: use terminal_close.",
      input: S.signalInput,
      output: S.signalOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    },
    (input, context) => signalTool(input, state, context),
  );

  server.registerResource(
    "sessions",
    "bgterm://sessions",
    { title: "bgterm sessions", description: "Every session's record (JSON)", mimeType: "application/json" },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "application/json",
          text: JSON.stringify(
            (await listRecords(() => {})).map((record) => ({
              ...record,
              owner: readLabels(resolveSession(String(record.id)))[OWNER_LABEL] ?? null,
            })),
          ),
        },
      ],
    }),
  );
  server.registerResource(
    "screen",
    new ResourceTemplate("bgterm://session/{id}/screen", {
      list: async () => ({
        resources: (await listRecords(() => {})).map((record) => ({
          uri: `bgterm://session/${record.id}/screen`,
          name: `screen of session ${record.id}${record.name ? ` (${record.name})` : ""}`,
          mimeType: "text/plain",
        })),
      }),
    }),
    { title: "A session's screen", description: "The rendered screen of a session (text)", mimeType: "text/plain" },
    async (uri, variables) => {
      const files: SessionFiles = resolveSession(String(variables.id));
      const snapshot = await screenOf(files, { scrollback: 0, ansi: false });
      return { contents: [{ uri: uri.href, mimeType: "text/plain", text: snapshot.lines.join("\n") }] };
    },
  );
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscribed.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });

  const transport = new CheckedStdioTransport();
  const ended = new Promise<void>((resolve) => {
    // A client that went away without closing our stdin: its pipe breaks on our next answer.
    process.stdout.once("error", () => resolve());
    transport.onclose = resolve;
  });
  await server.connect(transport);
  log(`serving on stdio (tools: ${options.tier}${options.closeOnExit ? ", close on exit" : ""})`);
  // Lines are checked before the SDK sees them (stdio-lines.ts); refusals are answered here.
  const lines = new LineReader(
    (line) => process.stdout.write(line),
    (message) => transport.deliver(message),
  );
  await Promise.race([readStdin(lines), ended]);
  // Requests read just before the end that need no waiting (initialize, lists)
  // still get their answers; those still waiting on a session are abandoned.
  await new Promise((resolve) => setImmediate(resolve));
  dropConnections();
  if (options.closeOnExit) {
    const me = owner();
    const mine = (await listRecords(() => {}))
      .map((record) => resolveSession(String(record.id)))
      .filter((files) => files.id !== ownSession && readLabels(files)[OWNER_LABEL] === me);
    await Promise.all(
      mine.map((files) =>
        closeOne(files, "SIGHUP", 1000).catch((error) => log(`closing session ${files.id}: ${error.message}`)),
      ),
    );
    if (mine.length) log(`closed ${mine.length} session(s) on exit`);
  }
  return EXIT.ok;
}
