// The stdin line filter of `bgterm mcp`: well-formed JSON-RPC lines pass
// through unchanged (split across chunks or not); a line that is not JSON, not
// a JSON-RPC message, or too long gets a JSON-RPC error (with the request's id
// when it can be read) and is not passed on.
import { describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { filterLines, refusalFor } from "../../src/mcp/stdio-lines.ts";

async function run(chunks: (string | Buffer)[], maxLineBytes?: number): Promise<{ passed: string; replies: any[] }> {
  const input = new PassThrough();
  const replies: any[] = [];
  const output = filterLines(input, (line) => replies.push(JSON.parse(line)), maxLineBytes);
  const collected: Buffer[] = [];
  output.on("data", (chunk: Buffer) => collected.push(chunk));
  const done = new Promise((resolve) => output.on("end", resolve));
  for (const chunk of chunks) input.write(chunk);
  input.end();
  await done;
  return { passed: Buffer.concat(collected).toString("utf8"), replies };
}

const request = (id: unknown, extra = {}) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", ...extra });

describe("mcp stdin line filter", () => {
  test("valid messages pass through, also when split across chunks and with CRLF", async () => {
    const a = request(1);
    const b = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
    const { passed, replies } = await run([a.slice(0, 5), `${a.slice(5)}\n${b}\r`, "\n", "\n"]);
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

  test("an oversized line is skipped with an error naming its id; the next line still passes", async () => {
    const big = request(7, { params: { pad: "x".repeat(5000) } });
    const after = request(8);
    const { passed, replies } = await run([big.slice(0, 1000), big.slice(1000), `\n${after}\n`], 2048);
    expect(passed).toBe(`${after}\n`);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ id: 7, error: { code: -32600 } });
    expect(replies[0].error.message).toContain("longer than 2048 bytes");
  });

  test("an oversized line's nested id is not taken for the request's", async () => {
    const big = JSON.stringify({ jsonrpc: "2.0", method: "tools/call", params: { arguments: { id: 3 } }, id: 9 });
    const { replies } = await run([`${big}${" ".repeat(300)}\n`], 100);
    expect(replies[0]).toMatchObject({ id: null, error: { code: -32600 } });
  });
});
