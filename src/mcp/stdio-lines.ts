// The line reader between stdin and the SDK. The SDK's stdio transport drops
// a line that is not JSON or not a JSON-RPC message without a word (a client
// waiting on that request's id hangs until its own timeout), and closes
// itself, ending the server, when a line outgrows its buffer. Here each line is
// checked first: a bad one gets the JSON-RPC error it deserves (-32700 parse
// error, -32600 invalid request, with the request's id when one can be read),
// an oversized one is skipped to its end and refused the same way, and only
// well-formed messages reach the SDK, already parsed (parsing and validating
// each line once, not here and again in the transport). The server keeps serving.
import { ClientRequestSchema, type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

// The longest line (one message) accepted; a text parameter is capped at 1 MiB
// characters, so 16 MiB leaves room for any honest request.
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

type Reply = (line: string) => void;

// Each MCP request's schema by method. The SDK answers a request whose params
// do not fit with -32603 (internal error) and a dump of the validator's
// findings; checked here it gets -32602 (invalid params) and a short sentence.
type RequestSchema = { safeParse(value: unknown): { success: boolean; error?: { issues: Issue[] } } };
type Issue = { path: PropertyKey[]; message: string };
const REQUESTS = new Map<string, RequestSchema>(
  (ClientRequestSchema as unknown as { options: { shape: { method: { value: string } } }[] }).options.map((option) => [
    option.shape.method.value,
    option as unknown as RequestSchema,
  ]),
);

function errorLine(id: unknown, code: number, message: string): string {
  const safeId = typeof id === "string" || typeof id === "number" ? id : null;
  return `${JSON.stringify({ jsonrpc: "2.0", id: safeId, error: { code, message } })}\n`;
}

// The id of a request too large to parse, read from its first bytes: only a
// top-level "id" ahead of "params" (a nested one could name another request).
function leadingId(head: string): unknown {
  const params = head.indexOf('"params"');
  const before = params === -1 ? head : head.slice(0, params);
  const match = /^\s*\{(?:[^{}[\]]*?,)?\s*"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")/.exec(before);
  if (!match) return null;
  try {
    return JSON.parse(match[1]!);
  } catch {
    return null;
  }
}

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const isRequestId = (value: unknown) => typeof value === "string" || Number.isSafeInteger(value);

// A tools/call request in its plain form, the shape of nearly every call:
// only jsonrpc, id, method and params; params only name, arguments and a
// _meta holding only a progress token. The zod checks below accept every such
// message and cost ten times as much, so this one is checked by hand; anything
// else (a task, a related task, an unusual key) goes through them.
function isPlainToolCall(message: PlainObject): boolean {
  for (const key in message) {
    if (key !== "jsonrpc" && key !== "id" && key !== "method" && key !== "params") return false;
  }
  if (message.jsonrpc !== "2.0" || message.method !== "tools/call" || !isRequestId(message.id)) return false;
  const params = message.params;
  if (!isPlainObject(params) || typeof params.name !== "string") return false;
  for (const key in params) if (key !== "name" && key !== "arguments" && key !== "_meta") return false;
  const meta = params._meta;
  if (meta !== undefined) {
    if (!isPlainObject(meta)) return false;
    for (const key in meta) if (key !== "progressToken") return false;
    if (meta.progressToken !== undefined && !isRequestId(meta.progressToken)) return false;
  }
  const args = params.arguments;
  // JSON.parse makes "__proto__" an own key; left to zod, which decides what it means.
  return args === undefined || (isPlainObject(args) && !Object.hasOwn(args, "__proto__"));
}

// A line's message, or the reply it gets instead ("" for none: a blank line, a bad notification).
export type CheckedLine = { message: JSONRPCMessage } | { refusal: string };

export function checkLine(line: string): CheckedLine {
  if (line.trim() === "") return { refusal: "" };
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch (error) {
    return { refusal: errorLine(null, -32700, `Parse error: not JSON (${(error as Error).message})`) };
  }
  const object: PlainObject = isPlainObject(message) ? message : {};
  if (object === message && isPlainToolCall(object)) return { message: message as JSONRPCMessage };
  const id = object.id;
  const parsed = JSONRPCMessageSchema.safeParse(message);
  if (parsed.success) {
    const method = object.method;
    const schema = id === undefined || typeof method !== "string" ? undefined : REQUESTS.get(method);
    const checked = schema?.safeParse(message);
    if (!checked || checked.success) return { message: parsed.data };
    const problems = (checked.error?.issues ?? []).map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    return { refusal: errorLine(id, -32602, `Invalid params for ${method}: ${problems.join("; ")}`) };
  }
  // A malformed notification (no id) gets no answer, as JSON-RPC says of notifications.
  if (id === undefined && "method" in object) return { refusal: "" };
  return {
    refusal: errorLine(id, -32600, "Invalid Request: not a JSON-RPC 2.0 request, notification or response"),
  };
}

// The reply a line gets instead of reaching the SDK, or undefined when it is a valid message.
export function refusalFor(line: string): string | undefined {
  const checked = checkLine(line);
  return "refusal" in checked ? checked.refusal : undefined;
}

// Splits stdin's chunks into lines: well-formed messages go to `deliver`, refusals to `reply`.
export class LineReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false; // inside an oversized line: drop bytes up to its newline
  private skippedHead = "";

  constructor(
    private readonly reply: Reply,
    private readonly deliver: (message: JSONRPCMessage) => void,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, end === -1 ? chunk.length : end);
      if (this.skipping) {
        if (end !== -1) {
          this.skipping = false;
          this.reply(
            errorLine(
              leadingId(this.skippedHead),
              -32600,
              `Invalid Request: message longer than ${this.maxLineBytes} bytes`,
            ),
          );
          this.skippedHead = "";
        }
      } else if (this.pendingBytes + piece.length > this.maxLineBytes) {
        this.skippedHead = Buffer.concat([...this.pending, piece])
          .subarray(0, 4096)
          .toString("utf8");
        this.pending = [];
        this.pendingBytes = 0;
        this.skipping = true;
        continue; // re-examine from the same position in skipping mode
      } else if (end === -1) {
        this.pending.push(piece);
        this.pendingBytes += piece.length;
      } else {
        const line = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
        this.pending = [];
        this.pendingBytes = 0;
        this.finishLine(line);
      }
      if (end === -1) break;
      start = end + 1;
    }
  }

  // End of input: a last line without a newline still counts.
  end(): void {
    if (!this.skipping && this.pendingBytes > 0) this.finishLine(Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private finishLine(line: Buffer): void {
    const checked = checkLine(line.toString("utf8").replace(/\r$/, ""));
    if ("message" in checked) this.deliver(checked.message);
    else if (checked.refusal !== "") this.reply(checked.refusal);
  }
}
