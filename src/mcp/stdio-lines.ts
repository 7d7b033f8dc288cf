// The line filter between stdin and the SDK's stdio transport. The transport
// drops a line that is not JSON or not a JSON-RPC message without a word (a
// client waiting on that request's id hangs until its own timeout), and closes
// itself, ending the server, when a line outgrows its buffer. Here each line is
// checked first: a bad one gets the JSON-RPC error it deserves (-32700 parse
// error, -32600 invalid request, with the request's id when one can be read),
// an oversized one is skipped to its end and refused the same way, and only
// well-formed messages reach the transport. The server keeps serving.
import { PassThrough, type Readable } from "node:stream";
import { ClientRequestSchema, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

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

// The reply a line gets instead of reaching the transport, or undefined when it is a valid message.
export function refusalFor(line: string): string | undefined {
  if (line.trim() === "") return "";
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch (error) {
    return errorLine(null, -32700, `Parse error: not JSON (${(error as Error).message})`);
  }
  const object = message !== null && typeof message === "object" && !Array.isArray(message) ? message : {};
  const id = (object as { id?: unknown }).id;
  if (JSONRPCMessageSchema.safeParse(message).success) {
    const method = (object as { method?: unknown }).method;
    const schema = id === undefined || typeof method !== "string" ? undefined : REQUESTS.get(method);
    const checked = schema?.safeParse(message);
    if (!checked || checked.success) return undefined;
    const problems = (checked.error?.issues ?? []).map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    return errorLine(id, -32602, `Invalid params for ${method}: ${problems.join("; ")}`);
  }
  // A malformed notification (no id) gets no answer, as JSON-RPC says of notifications.
  if (id === undefined && "method" in object) return "";
  return errorLine(id, -32600, "Invalid Request: not a JSON-RPC 2.0 request, notification or response");
}

// A stream of the well-formed lines of `input`; refusals go to `reply`.
export function filterLines(input: Readable, reply: Reply, maxLineBytes = MAX_LINE_BYTES): PassThrough {
  const output = new PassThrough();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false; // inside an oversized line: drop bytes up to its newline
  let skippedHead = "";

  const finishLine = (line: Buffer) => {
    const text = line.toString("utf8").replace(/\r$/, "");
    const refusal = refusalFor(text);
    if (refusal === undefined) output.write(`${text}\n`);
    else if (refusal !== "") reply(refusal);
  };

  input.on("data", (chunk: Buffer) => {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, end === -1 ? chunk.length : end);
      if (skipping) {
        if (end !== -1) {
          skipping = false;
          reply(
            errorLine(leadingId(skippedHead), -32600, `Invalid Request: message longer than ${maxLineBytes} bytes`),
          );
          skippedHead = "";
        }
      } else if (pendingBytes + piece.length > maxLineBytes) {
        skippedHead = Buffer.concat([...pending, piece])
          .subarray(0, 4096)
          .toString("utf8");
        pending = [];
        pendingBytes = 0;
        skipping = true;
        continue; // re-examine from the same position in skipping mode
      } else if (end === -1) {
        pending.push(piece);
        pendingBytes += piece.length;
      } else {
        const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
        pending = [];
        pendingBytes = 0;
        finishLine(line);
      }
      if (end === -1) break;
      start = end + 1;
    }
  });
  input.on("end", () => {
    if (!skipping && pendingBytes > 0) finishLine(Buffer.concat(pending));
    output.end();
  });
  input.on("error", (error) => output.destroy(error));
  return output;
}
