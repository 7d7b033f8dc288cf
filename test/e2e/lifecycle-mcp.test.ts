// Lifecycle through the MCP server: terminal_start takes labels, a time limit,
// a restart policy and health checks; the records show labels, restarts,
// health and why bgterm ended the program.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Bg, BIN, eventually } from "../helpers.ts";

const bg = new Bg();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-home-"));
let client: Client | undefined;

afterAll(async () => {
  await client?.close().catch(() => {});
  await bg.cleanup();
  fs.rmSync(home, { recursive: true, force: true });
});

type Result = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: any };

async function call(name: string, args: Record<string, unknown>): Promise<Result> {
  if (!client) {
    client = new Client({ name: "lifecycle-agent", version: "1.0.0" });
    await client.connect(
      new StdioClientTransport({ command: BIN, args: ["mcp"], env: bg.env({ HOME: home }), stderr: "ignore" }),
    );
  }
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as Result;
}

describe("lifecycle over MCP", () => {
  test("labels, restart policy and max runtime on terminal_start; the record shows them", async () => {
    const crashing = await call("terminal_start", {
      command: ["sh", "-c", "echo try; exit 3"],
      labels: { suite: "mcp" },
      restart: "on-failure",
      max_restarts: 1,
      yield_ms: 0,
    });
    expect(crashing.isError).toBeFalsy();
    const id = crashing.structuredContent.id;
    expect(crashing.structuredContent.labels).toMatchObject({ suite: "mcp" });
    await eventually(async () => (await bg.json(["info", String(id)])).state === "exited", "both runs to end");
    expect((await bg.json(["info", String(id)])).runs).toHaveLength(2);
    const list = await call("terminal_list", {});
    const listed = list.structuredContent.sessions.find((s: { id: number }) => s.id === id);
    expect(listed).toMatchObject({ restart_count: 1, labels: { suite: "mcp" } });
    const limited = await call("terminal_start", { command: ["sleep", "600"], max_runtime_ms: 500, yield_ms: 0 });
    const limitedId = String(limited.structuredContent.id);
    expect((await bg.run(["wait", limitedId, "--timeout", "30s"])).code).toBe(143);
    expect((await bg.json(["info", limitedId])).ended_by).toBe("max-runtime");
    const bad = await call("terminal_start", { command: ["true"], backoff: true, yield_ms: 0 });
    expect(bad.isError).toBe(true);
    expect(bad.content[0]!.text).toMatch(/backoff needs restart/);
    const badUrl = await call("terminal_start", { command: ["true"], health_url: "ftp://x/", yield_ms: 0 });
    expect(badUrl.isError).toBe(true);
    expect(badUrl.content[0]!.text).toMatch(/health_url takes an http/);
  });
});
