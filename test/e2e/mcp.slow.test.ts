// bgterm mcp: a wait longer than the progress interval, with a progress token,
// sends progress notifications while it waits (slow: ~12 s).
import { afterAll, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Bg, BIN } from "../helpers.ts";

const bg = new Bg();
const home = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-home-"));
let client: Client | undefined;

afterAll(async () => {
  await client?.close().catch(() => {});
  await bg.cleanup();
  fs.rmSync(home, { recursive: true, force: true });
});

test("progress notifications during a long wait", async () => {
  client = new Client({ name: "slow-agent", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({ command: BIN, args: ["mcp"], env: bg.env({ HOME: home }), stderr: "ignore" }),
  );
  const started: any = await client.callTool({
    name: "terminal_start",
    arguments: { command: "sleep 12; echo DONE-$((4*4)); sleep 30", yield_ms: 0 },
  });
  const progress: { progress: number }[] = [];
  const result: any = await client.callTool(
    { name: "terminal_read", arguments: { id: started.structuredContent.id, until: "DONE-16", yield_ms: 60_000 } },
    undefined,
    { timeout: 120_000, onprogress: (p) => void progress.push(p) },
  );
  expect(result.structuredContent.outcome).toBe("matched");
  expect(result.structuredContent.yield_ms).toBe(60_000);
  expect(progress.length).toBeGreaterThanOrEqual(1);
  expect(progress[0]!.progress).toBeGreaterThanOrEqual(9_000);
});
