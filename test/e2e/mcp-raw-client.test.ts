// A second, independently written MCP client for `bgterm mcp`: raw JSON-RPC 2.0
// over stdio (one JSON message a line, as the MCP stdio transport specifies),
// without the MCP SDK and without knowledge of src/mcp. It learns every tool
// from tools/list alone: arguments are generated from each inputSchema (required
// fields filled with values that fit their documented meaning), every result's
// structuredContent is checked against the tool's outputSchema by the small
// validator below, and schema-derived bad input (unknown parameter, wrong type,
// value outside an enum) must give an error with a message while the server
// keeps serving. Sessions are closed in afterAll even when a test fails.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Bg, BIN, ensureProgram } from "../helpers.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, any>;
type Tool = { name: string; description: string; inputSchema: Schema; outputSchema?: Schema; annotations?: Schema };
type CallResult = {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, any>;
};

// ---- a minimal JSON-RPC client over a child's stdio -------------------------

class RawClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (message: any) => void; reject: (error: Error) => void }>();
  readonly notifications: any[] = [];
  readonly protocolErrors: string[] = [];
  readonly errorsWithoutId: any[] = []; // answers to lines whose id could not be read
  readonly unsolicited: any[] = []; // answers to ids this client did not send as requests
  private readonly child;
  private readonly done: Promise<void>;

  constructor(args: string[], env: Record<string, string>) {
    // The server runs in a project directory, as an agent's would: terminal_up
    // and terminal_down called with no arguments find its bgterm.toml there.
    this.child = Bun.spawn([BIN, "mcp", ...args], {
      env,
      cwd: project,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "ignore",
    });
    this.done = this.readLines();
  }

  private async readLines(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of this.child.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line.trim() !== "") this.dispatch(line);
      }
    }
    for (const { reject } of this.pending.values()) reject(new Error("server closed stdout"));
    this.pending.clear();
  }

  private dispatch(line: string): void {
    let message: any;
    try {
      message = JSON.parse(line);
    } catch {
      this.protocolErrors.push(`not JSON on stdout: ${line.slice(0, 200)}`);
      return;
    }
    if (message?.jsonrpc !== "2.0") this.protocolErrors.push(`not JSON-RPC 2.0: ${line.slice(0, 200)}`);
    if (message.id === null && "error" in message) {
      this.errorsWithoutId.push(message.error);
    } else if ("id" in message && ("result" in message || "error" in message)) {
      const waiter = this.pending.get(message.id);
      if (!waiter) this.unsolicited.push(message);
      this.pending.delete(message.id);
      waiter?.resolve(message);
    } else if ("method" in message && !("id" in message)) {
      this.notifications.push(message);
    } else {
      // A server-to-client request (ping, roots): this client offers no capabilities; answer ping only.
      if (message.method === "ping") this.write({ jsonrpc: "2.0", id: message.id, result: {} });
      else this.write({ jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "not supported" } });
    }
  }

  private write(message: unknown): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
    this.child.stdin.flush();
  }

  writeRaw(line: string): void {
    this.child.stdin.write(`${line}\n`);
    this.child.stdin.flush();
  }

  // The whole response message ({result} or {error}); rejects only on a deadline or a closed server.
  request(method: string, params?: unknown, timeoutMs = 120_000): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.write({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
    });
  }

  notify(method: string, params?: unknown): void {
    this.write({ jsonrpc: "2.0", method, ...(params === undefined ? {} : { params }) });
  }

  async close(): Promise<number> {
    try {
      this.child.stdin.end();
    } catch {
      // Already closed.
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    const code = await this.child.exited;
    clearTimeout(timer);
    await this.done;
    return code;
  }
}

// ---- a validator for the JSON Schema keywords the server's schemas use -------

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

const KNOWN = new Set([
  "$schema",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "items",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "enum",
  "const",
  "anyOf",
  "description",
  "title",
  "default",
]);

// Problems found, as "path: what"; an unknown keyword is a problem too, so the
// validator cannot silently pass over a rule it does not check.
function check(schema: Schema | boolean, value: unknown, at = "$"): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at}: nothing allowed`];
  const errors: string[] = [];
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) errors.push(`${at}: unsupported keyword ${key}`);
  if (schema.type !== undefined) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === "integer" && types.includes("number"))) {
      return [...errors, `${at}: expected ${types.join("|")}, got ${actual}`];
    }
  }
  if (schema.enum && !schema.enum.some((option: unknown) => JSON.stringify(option) === JSON.stringify(value))) {
    errors.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  }
  if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) errors.push(`${at}: not the const`);
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: < ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: > ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) errors.push(`${at}: too small`);
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) errors.push(`${at}: too large`);
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) errors.push(`${at}: shorter than minLength`);
    if (schema.maxLength !== undefined && length > schema.maxLength) errors.push(`${at}: longer than maxLength`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: too few items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${at}: too many items`);
    if (schema.items) for (const [i, item] of value.entries()) errors.push(...check(schema.items, item, `${at}[${i}]`));
  }
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    const properties: Record<string, Schema> = schema.properties ?? {};
    for (const key of schema.required ?? []) if (!(key in object)) errors.push(`${at}: missing ${key}`);
    for (const [key, item] of Object.entries(object)) {
      if (schema.propertyNames) errors.push(...check(schema.propertyNames, key, `${at}{${key}}`));
      if (key in properties) errors.push(...check(properties[key]!, item, `${at}.${key}`));
      else if (schema.additionalProperties !== undefined) {
        errors.push(...check(schema.additionalProperties, item, `${at}.${key}`));
      }
    }
  }
  if (schema.anyOf && !schema.anyOf.some((option: Schema) => check(option, value, at).length === 0)) {
    errors.push(`${at}: matches no anyOf branch (${schema.anyOf.map((o: Schema) => check(o, value, at)).join("; ")})`);
  }
  return errors;
}

// ---- argument generation from an inputSchema ----------------------------------

// Values for the meanings this client's user (a coding agent) knows: a session
// reference is a session it started, a command is a harmless shell line.
type Context = { sessionId: number };

function generate(name: string, schema: Schema, context: Context): Json {
  if (schema.anyOf) {
    // A session reference (integer id or name): the id of a session we own.
    const integer = schema.anyOf.find((option: Schema) => option.type === "integer");
    if (integer && /session/i.test(`${schema.description ?? ""} ${name}`)) return context.sessionId;
    return generate(name, schema.anyOf[0], context);
  }
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case "string":
      if (/command/i.test(name)) return "echo generated-$((6*7))";
      if (/signal/i.test(name)) return "INT";
      if (/text/i.test(name)) return "echo typed";
      return "x".repeat(Math.max(1, schema.minLength ?? 1));
    case "integer":
    case "number":
      if (/_ms$/.test(name)) return 2_000;
      return Math.max(schema.minimum ?? 0, (schema.exclusiveMinimum ?? -1) + 1, 1);
    case "boolean":
      return false;
    case "array": {
      const count = Math.max(1, schema.minItems ?? 0);
      return Array.from({ length: count }, () => generate(name, schema.items, context));
    }
    case "object": {
      const object: Record<string, Json> = {};
      // Required properties, and those whose description says when they are
      // required ("required unless ids is given": one of a set).
      const required = new Set<string>(schema.required ?? []);
      for (const [key, property] of Object.entries<Schema>(schema.properties ?? {})) {
        if (/\brequired unless\b/i.test(property.description ?? "")) required.add(key);
      }
      for (const key of required) object[key] = generate(key, schema.properties[key], context);
      // Optional waits that end normally at their bound ("Wait at most this long",
      // "outcome 'timeout'"): a short one, so a call on an idle session comes back
      // after 1 s rather than the 10 s default. The value is checked against the schema too.
      for (const [key, property] of Object.entries<Schema>(schema.properties ?? {})) {
        const boundedWait = /\bwait at most\b|outcome 'timeout'/i.test(property.description ?? "");
        if (!required.has(key) && /_ms$/.test(key) && boundedWait) object[key] = 1_000;
      }
      return object;
    }
    default:
      throw new Error(`cannot generate ${name}: ${JSON.stringify(schema)}`);
  }
}

// A value of the wrong JSON type for a schema (for the bad-input checks).
function wrongType(schema: Schema): Json {
  const types = new Set<string>(
    schema.anyOf ? schema.anyOf.map((o: Schema) => o.type) : [schema.type].flat().filter(Boolean),
  );
  if (!types.has("object")) return { wrong: true };
  return "wrong";
}

// ---- the test session ---------------------------------------------------------

const bg = new Bg();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-home-"));
const project = path.join(home, "project");
fs.mkdirSync(project);
fs.writeFileSync(path.join(project, "bgterm.toml"), '[sessions.echo]\ncommand = "cat"\n');
const clients: RawClient[] = [];
const startedIds = new Set<number>();
let client: RawClient;
let tools: Tool[] = [];

function connect(args: string[] = []): RawClient {
  const raw = new RawClient(args, bg.env({ HOME: home }));
  clients.push(raw);
  return raw;
}

async function handshake(raw: RawClient, name = "raw-client"): Promise<any> {
  const init = await raw.request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name, version: "0.0.1" },
  });
  raw.notify("notifications/initialized");
  return init;
}

function toolNamed(name: string): Tool {
  const tool = tools.find((item) => item.name === name);
  if (!tool) throw new Error(`no tool ${name} in tools/list`);
  return tool;
}

// Calls a tool and checks the result's shape against the tool's schemas.
async function call(name: string, args: Record<string, unknown>, raw = client): Promise<CallResult> {
  const response = await raw.request("tools/call", { name, arguments: args });
  if (response.error) throw new Error(`${name}: JSON-RPC error ${JSON.stringify(response.error)}`);
  const result = response.result as CallResult;
  expect(Array.isArray(result.content)).toBe(true);
  const text = result.content.find((item) => item.type === "text")?.text ?? "";
  if (result.isError) {
    expect(text.length).toBeGreaterThan(0);
    return result;
  }
  const tool = toolNamed(name);
  expect(text.length).toBeGreaterThan(0); // the compact text rendering
  if (tool.outputSchema) {
    expect(result.structuredContent).toBeDefined();
    expect(check(tool.outputSchema, result.structuredContent)).toEqual([]);
  }
  const id = result.structuredContent?.id;
  if (name === "terminal_start" && typeof id === "number") startedIds.add(id);
  return result;
}

async function ok(name: string, args: Record<string, unknown>, raw = client): Promise<Record<string, any>> {
  const result = await call(name, args, raw);
  if (result.isError) throw new Error(`${name} ${JSON.stringify(args)} failed: ${result.content[0]?.text}`);
  return result.structuredContent!;
}

// An error for bad input: a JSON-RPC error or an isError result, with a message.
async function refusal(name: string, args: unknown, raw = client): Promise<string> {
  const response = await raw.request("tools/call", { name, arguments: args });
  if (response.error) {
    expect(typeof response.error.code).toBe("number");
    expect(response.error.message.length).toBeGreaterThan(0);
    return response.error.message;
  }
  expect(response.result.isError).toBe(true);
  const text = response.result.content[0].text as string;
  expect(text.length).toBeGreaterThan(0);
  return text;
}

beforeAll(async () => {
  client = connect();
  const init = await handshake(client);
  expect(init.result.protocolVersion).toBeString();
  expect(init.result.capabilities.tools).toBeDefined();
  const listed = await client.request("tools/list", {});
  tools = listed.result.tools;
});

afterAll(async () => {
  try {
    if (client) await client.request("tools/call", { name: "terminal_close", arguments: { owned: true } }, 60_000);
  } catch {
    // The server may be gone; the CLI closes what is left below.
  }
  for (const raw of clients) await raw.close().catch(() => {});
  if (startedIds.size > 0) await bg.run(["close", ...[...startedIds].map(String), "--grace", "500"]);
  await bg.cleanup();
  fs.rmSync(home, { recursive: true, force: true });
});

describe("a raw JSON-RPC client that knows only the schemas", () => {
  test("tools/list: every tool has a description, annotations, an object inputSchema and an outputSchema", () => {
    expect(tools.length).toBeGreaterThanOrEqual(8);
    for (const tool of tools) {
      expect(tool.description.length).toBeGreaterThan(40);
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.inputSchema.additionalProperties).toBe(false);
      expect(tool.outputSchema?.type).toBe("object");
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint"]) {
        expect(typeof tool.annotations?.[hint]).toBe("boolean");
      }
      // The validator understands every keyword the schemas use.
      expect(check(tool.inputSchema, generate("", tool.inputSchema, { sessionId: 1 }))).toEqual([]);
    }
  });

  test("every tool, called with arguments generated from its inputSchema, returns a valid result", async () => {
    // A session the generated calls can act on: a shell started with generated
    // arguments (terminal_start requires nothing).
    const start = toolNamed("terminal_start");
    const startArgs = generate("", start.inputSchema, { sessionId: 0 }) as Record<string, Json>;
    const started = await ok("terminal_start", startArgs);
    expect(started.state).toBe("running");
    const context = { sessionId: started.id as number };
    // Destructive tools last, so the others still find the session.
    const order = (tool: Tool) => (tool.annotations?.destructiveHint ? (tool.name.includes("close") ? 2 : 1) : 0);
    const ordered = [...tools].sort((a, b) => order(a) - order(b));
    const seen: string[] = [];
    for (const tool of ordered) {
      const args = generate("", tool.inputSchema, context) as Record<string, Json>;
      expect(check(tool.inputSchema, args)).toEqual([]);
      const result = await call(tool.name, args);
      if (result.isError) throw new Error(`${tool.name} ${JSON.stringify(args)}: ${result.content[0]?.text}`);
      seen.push(tool.name);
    }
    expect(seen.length).toBe(tools.length);
    // The generated close (ids: [the session]) ended it.
    const list = await ok("terminal_list", { all: true });
    expect(list.sessions.some((s: any) => s.id === context.sessionId && s.state === "running")).toBe(false);
  });

  test("schema-derived bad input is refused with a message, and the server keeps serving", async () => {
    const context = { sessionId: 999_999 };
    for (const tool of tools) {
      const args = generate("", tool.inputSchema, context) as Record<string, Json>;
      // A parameter the schema does not declare.
      const extra = await refusal(tool.name, { ...args, no_such_parameter: 1 });
      expect(extra).toContain("no_such_parameter");
      // Each declared property with a value of the wrong type, and each enum with an unlisted value.
      for (const [key, property] of Object.entries<Schema>(tool.inputSchema.properties)) {
        const message = await refusal(tool.name, { ...args, [key]: wrongType(property) });
        expect(message).toContain(key);
        if (property.enum) expect(await refusal(tool.name, { ...args, [key]: "no-such-choice" })).toContain(key);
      }
      // A missing required parameter.
      for (const key of tool.inputSchema.required ?? []) {
        const { [key]: _, ...rest } = args;
        expect(await refusal(tool.name, rest)).toContain(key);
      }
    }
    const unknown = await client.request("tools/call", { name: "terminal_nonexistent", arguments: {} });
    const unknownText = unknown.error?.message ?? unknown.result?.content?.[0]?.text;
    expect(unknownText).toContain("terminal_nonexistent");
    // An unknown method: a JSON-RPC error, and the server still answers.
    const method = await client.request("no/such/method", {});
    expect(method.error.code).toBe(-32601);
    expect(client.protocolErrors).toEqual([]);
    expect((await client.request("tools/list", {})).result.tools.length).toBe(tools.length);
  });

  test("malformed lines get JSON-RPC errors (not silence), an oversized message too, and the server keeps serving", async () => {
    const raw = connect();
    await handshake(raw, "malformed");
    // Not JSON: a parse error (id null, as JSON-RPC says).
    raw.writeRaw("{this is not json");
    // JSON, with an id, but not a valid request: the answer carries that id, so the caller does not hang.
    raw.writeRaw(JSON.stringify({ jsonrpc: "2.0", id: "bad-1", method: "tools/call", params: "garbage" }));
    const answered = await raw.request("tools/list", {});
    expect(answered.result.tools.length).toBe(tools.length);
    expect(raw.errorsWithoutId.map((error) => error.code)).toEqual([-32700]);
    expect(raw.unsolicited).toEqual([
      expect.objectContaining({ id: "bad-1", error: expect.objectContaining({ code: -32600 }) }),
    ]);
    // A known method with params of the wrong shape: invalid params, not an internal error.
    const shape = await raw.request("tools/call", { name: "terminal_list", arguments: [1, 2] });
    expect(shape.error.code).toBe(-32602);
    expect(shape.error.message).toContain("arguments");
    // One message of 17 MB: refused by id; the server used to close its transport (and exit) on it.
    const big = await raw.request("tools/call", {
      name: "terminal_list",
      arguments: { pad: "x".repeat(17 * 1024 * 1024) },
    });
    expect(big.error.code).toBe(-32600);
    expect(big.error.message).toContain("longer than");
    expect((await raw.request("tools/list", {})).result.tools.length).toBe(tools.length);
  });

  test("hand-chosen realistic calls: a REPL, a shell command's status, re-reading by offset, a full-screen view", async () => {
    const python = ensureProgram("python3");
    if (!python) return console.warn("skipped: python3 not available");
    const repl = await ok("terminal_start", {
      command: [python, "-q", "-i"],
      name: "raw-py",
      ready_regex: ">>> ",
    });
    const sent = await ok("terminal_send", { id: "raw-py", text: "6*7", until: "^42" });
    expect(sent.outcome).toBe("matched");
    expect(sent.matched.kind).toBe("until");
    expect(sent.text).toContain("42");
    expect(sent.new_output).toBe(true);
    expect(sent.running).toBe(true);
    expect(sent.end_offset).toBeGreaterThan(sent.start_offset);
    // The same bytes again by offset, without moving the cursor.
    const again = await ok("terminal_read", { id: repl.id, from_offset: sent.start_offset });
    expect(again.text).toContain("42");
    const nothing = await ok("terminal_read", { id: repl.id, yield_ms: 0 });
    expect(nothing.outcome).toBe("no_wait");
    // A failing command: stop pattern ends the wait early.
    const failing = await ok("terminal_send", {
      id: repl.id,
      text: "raise ValueError('boom')",
      stop: ["ValueError: boom"],
      yield_ms: 20_000,
    });
    expect(failing.outcome).toBe("stopped");
    expect(failing.matched.kind).toBe("stop");

    const exec = await ok("terminal_exec", { command: "echo out; (exit 3)" });
    expect(exec.exit_code).toBe(3);
    expect(exec.output).toContain("out");
    expect(exec.timed_out).toBe(false);
    const cd = await ok("terminal_exec", { command: "cd /tmp && pwd" });
    expect(cd.output).toContain("/tmp");
    expect((await ok("terminal_exec", { command: "pwd" })).output).toContain("/tmp"); // the shell persists

    const screen = await ok("terminal_screen", { id: repl.id, cursor: true });
    expect(screen.lines.join("\n")).toContain("42");
    expect(screen.alternate_screen).toBe(false);

    const job = await ok("terminal_start", { command: ["sh", "-c", "read x; exit 7"] });
    await ok("terminal_send", { id: job.id, text: "go", yield_ms: 0 });
    const waited = await ok("terminal_wait", { ids: [job.id], timeout_ms: 30_000 });
    expect(waited).toMatchObject({ outcome: "exited", id: job.id, exit_code: 7 });

    const sleeper = await ok("terminal_start", {
      command: ["sh", "-c", "trap 'echo got-int' INT; while :; do sleep 1; done"],
    });
    await ok("terminal_signal", { id: sleeper.id });
    const trapped = await ok("terminal_read", { id: sleeper.id, until: "got-int", yield_ms: 20_000 });
    expect(trapped.outcome).toBe("matched");

    const listed = await ok("terminal_list", {});
    const ids = listed.sessions.map((s: any) => s.id);
    expect(ids).toEqual(expect.arrayContaining([repl.id, job.id, sleeper.id]));
    const closed = await ok("terminal_close", { owned: true });
    expect(closed.closed).toEqual(expect.arrayContaining([repl.id, sleeper.id]));
  });

  test("a read that starts past output lost to retention says so in its text, not only in its fields", async () => {
    const id = Number(
      await bg.start(["--max-buffer", "64K", "--", "sh", "-c", "seq 1 100000; echo END-OF-SEQ; exec cat"]),
    );
    startedIds.add(id);
    await bg.readUntil(String(id), /END-OF-SEQ/, 60_000, "probe"); // its own reader: the default cursor stays at 0
    const result = await call("terminal_read", { id, yield_ms: 0, max_output_tokens: 100 });
    expect(result.isError).toBeFalsy();
    const read = result.structuredContent!;
    expect(read.truncated).toBe(true);
    expect(read.dropped_bytes).toBeGreaterThan(0);
    expect(result.content[0]!.text).toContain(`${read.dropped_bytes} bytes dropped by retention`);
  });

  test("resources: list, the template, and read of the sessions record and a screen", async () => {
    const shell = await ok("terminal_start", { command: ["sh"], yield_ms: 0 });
    await ok("terminal_send", { id: shell.id, text: "echo resource-$((2+3))", until: "resource-5" });
    const list = await client.request("resources/list", {});
    expect(list.result.resources.some((r: any) => r.uri === "bgterm://sessions")).toBe(true);
    const templates = await client.request("resources/templates/list", {});
    const template = templates.result.resourceTemplates.find((t: any) => t.uriTemplate.includes("{id}"));
    expect(template).toBeDefined();
    const sessions = await client.request("resources/read", { uri: "bgterm://sessions" });
    const body = JSON.parse(sessions.result.contents[0].text);
    expect(JSON.stringify(body)).toContain(`"id":${shell.id}`);
    const screenUri = template.uriTemplate.replace("{id}", String(shell.id));
    const screen = await client.request("resources/read", { uri: screenUri });
    expect(screen.result.contents[0].uri).toBe(screenUri);
    expect(screen.result.contents[0].text).toContain("resource-5");
    const missing = await client.request("resources/read", { uri: "bgterm://session/999999/screen" });
    expect(missing.error?.message ?? "").not.toBe("");
    await ok("terminal_close", { ids: [shell.id] });
  });
});
