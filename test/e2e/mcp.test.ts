// bgterm mcp driven by the official SDK's client over stdio (StdioClientTransport
// spawning dist/bgterm mcp), against real programs. Every session a test starts
// is closed in afterAll, even when a test fails.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { Bg, BIN, ensureProgram, eventually, processAlive } from "../helpers.ts";

const bg = new Bg();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-home-"));
const clients: Client[] = [];

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await bg.cleanup();
  fs.rmSync(home, { recursive: true, force: true });
});

async function connect(name = "test-agent", args: string[] = [], env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: BIN,
    args: ["mcp", ...args],
    env: bg.env({ HOME: home, ...env }),
    stderr: "ignore",
  });
  const client = new Client({ name, version: "1.0.0" });
  clients.push(client);
  await client.connect(transport);
  return client;
}

type Result = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: any };

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Result> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as Result;
}

// A successful call's structuredContent (fails the test with the error text otherwise).
async function ok(client: Client, name: string, args: Record<string, unknown>): Promise<any> {
  const result = await call(client, name, args);
  if (result.isError) throw new Error(`${name} failed: ${result.content[0]?.text}`);
  return result.structuredContent;
}

async function errorText(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  try {
    const result = await call(client, name, args);
    expect(result.isError).toBe(true);
    return result.content[0]!.text;
  } catch (error) {
    return (error as Error).message; // a JSON-RPC error
  }
}

const ALL_TOOLS = [
  "terminal_close",
  "terminal_down",
  "terminal_exec",
  "terminal_list",
  "terminal_prune",
  "terminal_read",
  "terminal_screen",
  "terminal_send",
  "terminal_signal",
  "terminal_start",
  "terminal_up",
  "terminal_wait",
];

describe("bgterm mcp", () => {
  let agent: Client;

  test("initializes and lists every tool with strict, valid schemas and annotations", async () => {
    agent = await connect();
    expect(agent.getServerVersion()?.name).toBe("bgterm");
    const { tools } = await agent.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(ALL_TOOLS);
    const ajv = new AjvJsonSchemaValidator();
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe("object");
      expect((tool.inputSchema as any).additionalProperties).toBe(false);
      expect(tool.outputSchema?.type).toBe("object");
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint"] as const) {
        expect(typeof tool.annotations?.[hint]).toBe("boolean");
      }
      expect(tool.description!.length).toBeGreaterThan(80);
      // Both schemas compile, and the input schema refuses an unknown key.
      ajv.getValidator(tool.outputSchema as any);
      const validate = ajv.getValidator(tool.inputSchema as any);
      expect(validate({ surely_not_a_parameter: 1 }).valid).toBe(false);
    }
    const start = tools.find((tool) => tool.name === "terminal_start")!;
    expect(ajv.getValidator(start.inputSchema as any)({ command: ["python3"], ready_port: 8000 }).valid).toBe(true);
    expect(tools.find((tool) => tool.name === "terminal_list")!.annotations?.readOnlyHint).toBe(true);
    expect(tools.find((tool) => tool.name === "terminal_close")!.annotations?.destructiveHint).toBe(true);
  });

  test("start python3, send 2+2 -> 4", async () => {
    if (!ensureProgram("python3")) return console.warn("skipped: no python3");
    const started = await ok(agent, "terminal_start", { command: ["python3", "-q"], name: "py" });
    expect(started.owner).toBe(`test-agent/${started.owner.split("/")[1]}`);
    if (!started.output.text.includes(">>> ")) {
      await ok(agent, "terminal_read", { id: started.id, until: ">>> $", yield_ms: 30_000 });
    }
    const reply = await ok(agent, "terminal_send", { id: "py", text: "2+2" });
    expect(reply.text).toContain("4\n>>> ");
    expect(reply.outcome).toBe("idle");
    expect(reply.running).toBe(true);
    expect(reply.new_output).toBe(true);
    expect(reply.foreground).toEqual({ pid: started.pid, name: "python3", shell: false });
    // until that the echo cannot match (the typed line reads 'x' 'y').
    const joined = await ok(agent, "terminal_send", { id: "py", text: "print('x' 'y')", until: "^xy$" });
    expect(joined.outcome).toBe("matched");
    expect(joined.matched).toEqual({ kind: "until", pattern: "^xy$", text: "xy" });
    // What a call delivered counts as read at once: the list's cursor (end
    // less unread) is where the call's output ended, whatever came after.
    const listed = (await ok(agent, "terminal_list", {})).sessions.find((s: any) => s.id === started.id);
    expect(listed.end_offset - listed.unread_bytes).toBe(joined.end_offset);
  });

  test("exec in bash returns output and status; state persists", async () => {
    const first = await ok(agent, "terminal_exec", { command: "cd /tmp && echo hi; (exit 3)" });
    expect(first.exit_code).toBe(3);
    expect(first.output).toBe("hi\n");
    expect(first.timed_out).toBe(false);
    const second = await ok(agent, "terminal_exec", { command: "pwd; echo $PAGER" });
    expect([second.exit_code, second.output, second.id]).toEqual([0, "/tmp\ncat\n", first.id]);
    // A command that ends the shell: reported, and the next call gets a new shell.
    expect(await errorText(agent, "terminal_exec", { command: "exit 5" })).toContain(
      `session ${first.id}'s shell exited (code 5) before the command finished (code 4)`,
    );
    const fresh = await ok(agent, "terminal_exec", { command: "echo again" });
    expect(fresh.output).toBe("again\n");
    expect(fresh.id).not.toBe(first.id);
    expect((await bg.json(["ls"])).some((r: any) => r.id === first.id)).toBe(false);
    // In a session of our own, by id.
    const sh = await ok(agent, "terminal_start", { command: ["bash", "--norc", "--noprofile"], yield_ms: 0 });
    const own = await ok(agent, "terminal_exec", { id: sh.id, command: "printf 'a\\nb'; false" });
    expect([own.exit_code, own.output]).toEqual([1, "a\nb"]);
    // A timeout interrupts the command and reports its status.
    const slow = await ok(agent, "terminal_exec", { id: sh.id, command: "sleep 30", timeout_ms: 300 });
    expect([slow.timed_out, slow.exit_code]).toEqual([true, 130]);
  });

  test("a stop pattern ends the wait on a failing build", async () => {
    const sh = await ok(agent, "terminal_start", { command: ["bash", "--norc", "--noprofile"], yield_ms: 0 });
    const build =
      'for i in 1 2 3; do echo "compiling $i"; sleep 0.1; done; echo "error: undefined symbol foo"; sleep 60; echo BUILD-$((40+2))';
    const reply = await ok(agent, "terminal_send", {
      id: sh.id,
      text: build,
      until: "BUILD-42",
      stop: ["^error: .*"],
      yield_ms: 45_000,
    });
    expect(reply.outcome).toBe("stopped");
    expect(reply.matched).toEqual({ kind: "stop", pattern: "^error: .*", text: "error: undefined symbol foo" });
    expect(reply.text).toContain("compiling 3\n");
    expect(reply.running).toBe(true);
    expect(["bash", "sleep"]).toContain(reply.foreground.name); // sleep may not have started yet
    await ok(agent, "terminal_signal", { id: sh.id });
  });

  test("output over the budget keeps head and tail and says what was omitted", async () => {
    const result = await ok(agent, "terminal_exec", { command: "seq 1 20000", max_output_tokens: 500 });
    const output: string = result.output;
    expect(output.length).toBeLessThan(2_400);
    expect(output.startsWith("1\n2\n3\n")).toBe(true);
    expect(output.endsWith("19999\n20000\n")).toBe(true);
    const o = result.omitted;
    expect(o.lines).toBeGreaterThan(19_000);
    expect(o.bytes).toBe(o.to_offset - o.from_offset);
    expect(output).toContain(`${o.bytes} bytes, ${o.lines} lines omitted`);
    // The omitted part is there to fetch by offset, and completes the sequence.
    const middle = await ok(agent, "terminal_read", {
      id: result.id,
      from_offset: o.from_offset,
      limit_bytes: 2000,
    });
    expect(middle.omitted).toBeNull();
    expect(middle.end_offset).toBe(o.from_offset + 2000);
    const [head, tail] = output.split(/\n\[\.\.\. .* \.\.\.\]\n/);
    const headNumbers = head!.trim().split("\n").map(Number);
    const firstMissing = headNumbers.at(-1)! + 1;
    expect(middle.text.startsWith(`${firstMissing}\n`)).toBe(true);
    const tailNumbers = tail!.trim().split("\n").map(Number);
    expect(tailNumbers.at(-1)).toBe(20000);
    // A send's read is budgeted the same way.
    const sh = await ok(agent, "terminal_start", { command: ["bash", "--norc", "--noprofile"], yield_ms: 0 });
    const flood = await ok(agent, "terminal_send", {
      id: sh.id,
      text: "seq 1 5000; echo DONE-$((1+1))",
      until: "DONE-2",
      max_output_tokens: 300,
    });
    expect(flood.omitted.lines).toBeGreaterThan(4000);
    expect(flood.text).toContain("DONE-2");
  });

  test("screen of vim", async () => {
    if (!ensureProgram("vim")) return console.warn("skipped: no vim");
    const file = path.join(home, "notes.txt");
    fs.writeFileSync(file, "hello from vim\nsecond line\n");
    const vim = await ok(agent, "terminal_start", {
      command: ["vim", "-u", "NONE", "-N", file],
      cols: 80,
      rows: 24,
      yield_ms: 0,
    });
    let screen: any;
    await eventually(async () => {
      screen = await ok(agent, "terminal_screen", { id: vim.id });
      return screen.lines[0] === "hello from vim";
    }, "vim to draw the file");
    expect(screen.alternate_screen).toBe(true);
    expect([screen.rows, screen.cols]).toEqual([24, 80]);
    expect(screen.lines[2]).toBe("~");
    const read = await ok(agent, "terminal_read", { id: vim.id, yield_ms: 0 });
    expect(read.alternate_screen).toBe(true);
    await ok(agent, "terminal_send", { id: vim.id, keys: ["Escape"], enter: false, yield_ms: 0 });
    await ok(agent, "terminal_send", { id: vim.id, text: ":q!", yield_ms: 0 });
    const exited = await ok(agent, "terminal_wait", { ids: [vim.id], timeout_ms: 30_000 });
    expect(exited).toEqual({ outcome: "exited", id: vim.id, exit_code: 0, timeout_ms: 30_000 });
  });

  test("wait: the first exit, or a timeout", async () => {
    const quick = await ok(agent, "terminal_start", { command: "sleep 0.3; exit 7", yield_ms: 0 });
    const slow = await ok(agent, "terminal_start", { command: ["sleep", "60"], yield_ms: 0 });
    const first = await ok(agent, "terminal_wait", { ids: [slow.id, quick.id], timeout_ms: 30_000 });
    expect([first.outcome, first.id, first.exit_code]).toEqual(["exited", quick.id, 7]);
    const none = await ok(agent, "terminal_wait", { ids: [slow.id], timeout_ms: 100 });
    expect([none.outcome, none.exit_code]).toEqual(["timeout", null]);
    // A wait longer than clients tolerate is clamped and says so.
    const clamped = await ok(agent, "terminal_read", { id: quick.id, yield_ms: 120_000 });
    expect([clamped.yield_ms, clamped.yield_requested_ms]).toEqual([50_000, 120_000]);
    await ok(agent, "terminal_close", { ids: [slow.id] });
  });

  test("list and close default to the caller's sessions; other owners are refused", async () => {
    const other = await connect("other-agent");
    const theirs = await ok(other, "terminal_start", { command: ["sleep", "60"], yield_ms: 0 });
    const mine = await ok(agent, "terminal_start", { command: ["sleep", "60"], yield_ms: 0 });
    const myList = (await ok(agent, "terminal_list", {})).sessions.map((s: any) => s.id);
    expect(myList).toContain(mine.id);
    expect(myList).not.toContain(theirs.id);
    const all = (await ok(agent, "terminal_list", { all: true })).sessions;
    expect(all.find((s: any) => s.id === theirs.id).owner).toStartWith("other-agent/");
    expect(await errorText(agent, "terminal_send", { id: theirs.id, text: "x" })).toContain(
      `session ${theirs.id} belongs to another MCP client`,
    );
    expect(await errorText(agent, "terminal_close", { ids: [theirs.id] })).toContain("any_owner: true");
    const closed = (await ok(agent, "terminal_close", { owned: true })).closed;
    expect(closed).toContain(mine.id);
    expect(closed).not.toContain(theirs.id);
    expect((await ok(agent, "terminal_list", {})).sessions).toEqual([]);
    expect((await ok(other, "terminal_list", {})).sessions.map((s: any) => s.id)).toEqual([theirs.id]);
    await ok(other, "terminal_close", { owned: true });
  });

  test("--close-on-exit closes the server's sessions when its stdin closes", async () => {
    const temporary = await connect("short-lived", ["--close-on-exit"]);
    const started = await ok(temporary, "terminal_start", { command: ["sleep", "300"], yield_ms: 0 });
    const keeper = await connect("keeper");
    const kept = await ok(keeper, "terminal_start", { command: ["sleep", "300"], yield_ms: 0 });
    await temporary.close();
    await eventually(() => !processAlive(started.pid), "the session's program to end", 30_000);
    const ids = (await bg.json(["ls"])).map((record: any) => record.id);
    expect(ids).not.toContain(started.id);
    expect(ids).toContain(kept.id);
    await keeper.close(); // without the flag its session outlives it
    expect(processAlive(kept.pid)).toBe(true);
    await bg.ok(["close", String(kept.id)]);
  });

  test("--tools readonly offers only tools that change nothing", async () => {
    const reader = await connect("reader", ["--tools", "readonly"]);
    const { tools } = await reader.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "terminal_list",
      "terminal_read",
      "terminal_screen",
      "terminal_wait",
    ]);
    for (const tool of tools) expect(tool.annotations?.readOnlyHint).toBe(true);
    expect(await errorText(reader, "terminal_start", { command: ["true"] })).toContain("terminal_start");
    const mutating = await connect("writer", ["--tools", "mutating"]);
    const names = (await mutating.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("terminal_exec");
    expect(names).not.toContain("terminal_close");
  });

  test("malformed requests get the CLI's sentences and the server keeps serving", async () => {
    const sh = await ok(agent, "terminal_start", { command: ["bash", "--norc", "--noprofile"], yield_ms: 0 });
    expect(await errorText(agent, "terminal_nope", {})).toContain("terminal_nope");
    expect(await errorText(agent, "terminal_list", { bogus: 1 })).toContain(
      "unknown parameter 'bogus' (see the tool's inputSchema)",
    );
    expect(await errorText(agent, "terminal_send", { id: sh.id, text: "x", until: "(" })).toContain(
      "until: invalid regular expression",
    );
    expect(await errorText(agent, "terminal_send", { id: sh.id, text: "x".repeat(1024 * 1024 + 1) })).toContain(
      "text too long",
    );
    expect(await errorText(agent, "terminal_send", { id: 99999, text: "x" })).toBe(
      "bgterm: no session with id 99999 (code 3)",
    );
    expect(await errorText(agent, "terminal_send", { id: "../etc", text: "x" })).toContain(
      "invalid session id or name",
    );
    expect(await errorText(agent, "terminal_send", { id: sh.id, keys: ["Hyper-x"] })).toContain(
      "unknown key 'Hyper-x'",
    );
    expect(await errorText(agent, "terminal_start", { command: ["no-such-program-xyz"] })).toBe(
      "bgterm: command not found: no-such-program-xyz (code 127)",
    );
    expect(await errorText(agent, "terminal_close", {})).toContain("give ids or owned: true");
    expect(await errorText(agent, "terminal_start", { command: ["true"], cols: 5000 })).toContain(
      "takes a whole number at most 1000, not 5000 at cols",
    );
    const cat = await ok(agent, "terminal_start", { command: ["cat"], yield_ms: 0 });
    expect(await errorText(agent, "terminal_exec", { id: cat.id, command: "ls" })).toContain(
      `exec needs a session running a shell (bash, zsh, fish, sh, dash); session ${cat.id} runs cat`,
    );
    // Still serving.
    expect((await ok(agent, "terminal_exec", { id: sh.id, command: "echo alive" })).output).toBe("alive\n");
  });

  test("requests written just before stdin closes are answered, the last line even without its newline", async () => {
    const lines = [
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "eof", version: "1" } },
      },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "terminal_list", arguments: {} } },
      { jsonrpc: "2.0", id: 3, method: "tools/list" },
    ].map((message) => JSON.stringify(message));
    const server = Bun.spawn([BIN, "mcp"], {
      env: bg.env({ HOME: home }),
      stdin: "pipe",
      stdout: "pipe",
      stderr: "ignore",
    });
    server.stdin.write(lines.join("\n"));
    await server.stdin.end();
    const answers = (await new Response(server.stdout).text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(await server.exited).toBe(0);
    expect(answers.map((answer) => answer.id).sort()).toEqual([1, 2, 3]);
    expect(answers.find((answer) => answer.id === 2).result.structuredContent.sessions).toBeArray();
  });

  test("refuses to drive the session the server runs in", async () => {
    const sh = await ok(agent, "terminal_start", { command: ["bash", "--norc", "--noprofile"], yield_ms: 0 });
    const inside = await connect("inside", [], { BGTERM_SESSION: String(sh.id) });
    expect(await errorText(inside, "terminal_send", { id: sh.id, text: "echo hi", any_owner: true })).toContain(
      "the one this MCP server runs in",
    );
    expect(await errorText(inside, "terminal_close", { ids: [sh.id], any_owner: true })).toContain(
      "the one this MCP server runs in",
    );
  });

  test("ttl_ms closes a session; env_profile agent sets pagers, TERM unchanged", async () => {
    const timed = await ok(agent, "terminal_start", { command: ["sleep", "60"], ttl_ms: 300, yield_ms: 0 });
    await eventually(() => !processAlive(timed.pid), "the ttl to close the session", 30_000);
    await eventually(async () => !(await bg.json(["ls"])).some((r: any) => r.id === timed.id), "its state removed");
    const env = await ok(agent, "terminal_start", {
      command: 'echo "P=$PAGER G=$GIT_PAGER M=$MANPAGER T=$GIT_TERMINAL_PROMPT TERM=$TERM"; sleep 30',
      env_profile: "agent",
      yield_ms: 0,
    });
    const read = await ok(agent, "terminal_read", { id: env.id, until: "TERM=\\S+", yield_ms: 30_000 });
    expect(read.text).toContain("P=cat G=cat M=cat T=0 TERM=xterm-256color");
  });

  test("a progress token lifts the cap; subscribers hear of an exit", async () => {
    const sh = await ok(agent, "terminal_start", { command: "sleep 0.5; echo LATE-$((2*3)); sleep 30", yield_ms: 0 });
    const progress: unknown[] = [];
    const result = (await agent.callTool(
      { name: "terminal_read", arguments: { id: sh.id, until: "LATE-6", yield_ms: 120_000 } },
      undefined,
      {
        timeout: 120_000,
        onprogress: (p) => void progress.push(p),
      },
    )) as Result;
    expect(result.structuredContent.outcome).toBe("matched");
    expect(result.structuredContent.yield_ms).toBe(120_000);
    expect(result.structuredContent.yield_requested_ms).toBeUndefined();
    const updated: string[] = [];
    agent.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => void updated.push(n.params.uri));
    await agent.subscribeResource({ uri: "bgterm://sessions" });
    const quick = await ok(agent, "terminal_start", { command: ["sleep", "0.2"], yield_ms: 0 });
    await eventually(() => updated.includes("bgterm://sessions"), "a resource update after the exit", 30_000);
    expect(quick.id).toBeGreaterThan(0);
  });

  test("a cancelled read consumes nothing: the next read gets the output", async () => {
    const sh = await ok(agent, "terminal_start", { command: "sleep 1.5; echo LATER-$((3*3)); sleep 30", yield_ms: 0 });
    const abort = new AbortController();
    const cancelled = agent
      .callTool({ name: "terminal_read", arguments: { id: sh.id, until: "LATER-9", yield_ms: 30_000 } }, undefined, {
        signal: abort.signal,
      })
      .then(
        () => "answered",
        () => "cancelled",
      );
    await Bun.sleep(300); // the read is waiting (the output comes after 1.5 s)
    abort.abort();
    expect(await cancelled).toBe("cancelled");
    const next = await ok(agent, "terminal_read", { id: sh.id, until: "LATER-9", yield_ms: 30_000 });
    expect(next.outcome).toBe("matched");
    expect(next.text).toContain("LATER-9");
  });

  test("resources: the session list and a screen", async () => {
    const { resources } = await agent.listResources();
    expect(resources.map((r) => r.uri)).toContain("bgterm://sessions");
    const list = await agent.readResource({ uri: "bgterm://sessions" });
    const records = JSON.parse((list.contents[0] as { text: string }).text);
    expect(Array.isArray(records)).toBe(true);
    const sh = await ok(agent, "terminal_start", { command: ["bash", "--norc", "--noprofile"], yield_ms: 0 });
    await ok(agent, "terminal_send", { id: sh.id, text: "echo SCREEN-$((6*7))", until: "^SCREEN-42" });
    const screen = await agent.readResource({ uri: `bgterm://session/${sh.id}/screen` });
    expect((screen.contents[0] as { text: string }).text).toContain("SCREEN-42");
  });
});
