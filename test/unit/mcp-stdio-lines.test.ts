// The stdin line reader of `bgterm mcp`: well-formed JSON-RPC lines reach the
// SDK as parsed messages (split across chunks or not); a line that is not JSON, not
// a JSON-RPC message, or too long gets a JSON-RPC error (with the request's id
// when it can be read) and is not passed on.
import { describe, expect, test } from "bun:test";
import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { checkLine, LineReader, refusalFor } from "../../src/mcp/stdio-lines.ts";

function run(chunks: (string | Buffer)[], maxLineBytes?: number): { passed: string; replies: any[] } {
  const replies: any[] = [];
  const messages: unknown[] = [];
  const reader = new LineReader(
    (line) => replies.push(JSON.parse(line)),
    (message) => messages.push(message),
    maxLineBytes,
  );
  for (const chunk of chunks) reader.push(Buffer.from(chunk));
  reader.end();
  return { passed: messages.map((message) => `${JSON.stringify(message)}\n`).join(""), replies };
}

const request = (id: unknown, extra = {}) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", ...extra });

describe("mcp stdin line filter", () => {
  test("valid messages pass through, also when split across chunks and with CRLF", () => {
    const a = request(1);
    const b = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
    const { passed, replies } = run([a.slice(0, 5), `${a.slice(5)}\n${b}\r`, "\n", "\n"]);
    expect(passed).toBe(`${a}\n${b}\n`);
    expect(replies).toEqual([]);
  });

  test("not JSON: a parse error with id null", () => {
    expect(JSON.parse(refusalFor("{not json")!)).toMatchObject({ id: null, error: { code: -32700 } });
  });

  test("JSON but not JSON-RPC: invalid request, with the id when it has one", () => {
    const bad = JSON.stringify({ jsonrpc: "2.0", id: "x1", method: "tools/call", params: "garbage" });
    expect(JSON.parse(refusalFor(bad)!)).toMatchObject({ id: "x1", error: { code: -32600 } });
    expect(JSON.parse(refusalFor("[1,2]")!)).toMatchObject({ id: null, error: { code: -32600 } });
    // A malformed notification gets no answer.
    expect(refusalFor(JSON.stringify({ jsonrpc: "2.0", method: "x", params: 3 }))).toBe("");
    expect(refusalFor(request(3))).toBeUndefined();
  });

  test("a known request with params that do not fit: invalid params (-32602) naming the field", () => {
    const bad = request(4, { method: "tools/call", params: { name: "terminal_list", arguments: [1, 2] } });
    const reply = JSON.parse(refusalFor(bad)!);
    expect(reply).toMatchObject({ id: 4, error: { code: -32602 } });
    expect(reply.error.message).toContain("params.arguments");
    // Fitting params, and methods the filter does not know, pass on.
    expect(refusalFor(request(5, { method: "tools/call", params: { name: "x", arguments: {} } }))).toBeUndefined();
    expect(refusalFor(request(6, { method: "no/such/method", params: { x: 1 } }))).toBeUndefined();
  });

  test("an oversized line is skipped with an error naming its id; the next line still passes", () => {
    const big = request(7, { params: { pad: "x".repeat(5000) } });
    const after = request(8);
    const { passed, replies } = run([big.slice(0, 1000), big.slice(1000), `\n${after}\n`], 2048);
    expect(passed).toBe(`${after}\n`);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ id: 7, error: { code: -32600 } });
    expect(replies[0].error.message).toContain("longer than 2048 bytes");
  });

  test("an oversized line's nested id is not taken for the request's", () => {
    const big = JSON.stringify({ jsonrpc: "2.0", method: "tools/call", params: { arguments: { id: 3 } }, id: 9 });
    const { replies } = run([`${big}${" ".repeat(300)}\n`], 100);
    expect(replies[0]).toMatchObject({ id: null, error: { code: -32600 } });
  });

  test("a plain tools/call is passed on as the SDK's schema would parse it; near misses are still refused", () => {
    const call = (extra: object, params: object = { name: "terminal_send", arguments: { id: 1, text: "x" } }) =>
      JSON.stringify({ jsonrpc: "2.0", id: 10, method: "tools/call", params, ...extra });
    for (const line of [
      call({}),
      call({ id: "a" }),
      call({}, { name: "terminal_list" }),
      call({}, { name: "terminal_list", arguments: {}, _meta: { progressToken: 7 } }),
    ]) {
      const checked = checkLine(line);
      expect("message" in checked && checked.message).toEqual(JSONRPCMessageSchema.parse(JSON.parse(line)));
    }
    expect(JSON.parse(refusalFor(call({ id: 1.5 }))!)).toMatchObject({ error: { code: -32600 } });
    expect(JSON.parse(refusalFor(call({ extra: 1 }))!)).toMatchObject({ id: 10, error: { code: -32600 } });
    expect(JSON.parse(refusalFor(call({}, { arguments: {} }))!).error.message).toContain("params.name");
    expect(JSON.parse(refusalFor(call({}, { name: "x", arguments: "no" }))!)).toMatchObject({ id: 10 });
    expect(refusalFor(call({}, { name: "x", _meta: { progressToken: 1.5 } }))).toBeDefined();
  });
});
