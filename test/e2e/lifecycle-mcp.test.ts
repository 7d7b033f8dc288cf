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

  test("labels select on terminal_list and terminal_close (AND); records carry runs, ended_at and stats; terminal_prune", async () => {
    const start = async (labels: Record<string, string>, command: string[]) => {
      const started = await call("terminal_start", { command, labels, yield_ms: 0 });
      expect(started.isError).toBeFalsy();
      return started.structuredContent.id as number;
    };
    const web = await start({ app: "shop", tier: "web" }, ["sleep", "600"]);
    const db = await start({ app: "shop", tier: "db" }, ["sleep", "600"]);
    const job = await start({ app: "blog" }, ["sh", "-c", "exit 4"]);
    const listed = async (labels: Record<string, string>) =>
      (await call("terminal_list", { labels })).structuredContent.sessions.map((s: { id: number }) => s.id).sort();
    expect(await listed({ app: "shop" })).toEqual([web, db].sort());
    expect(await listed({ app: "shop", tier: "db" })).toEqual([db]);
    expect(await listed({ app: "none" })).toEqual([]);
    const badLabel = await call("terminal_list", { labels: { "bad key": "x" } });
    expect(badLabel.isError).toBe(true);
    expect(badLabel.content[0]!.text).toMatch(/invalid label key/);
    const closed = await call("terminal_close", { labels: { app: "shop", tier: "web" } });
    expect(closed.structuredContent.closed).toEqual([web]);
    expect(await listed({ app: "shop" })).toEqual([db]);
    const waited = await call("terminal_wait", { ids: [job], timeout_ms: 30_000 });
    expect(waited.structuredContent).toMatchObject({ outcome: "exited", exit_code: 4 });
    const sessions = (await call("terminal_list", {})).structuredContent.sessions;
    const ended = sessions.find((s: { id: number }) => s.id === job);
    expect(ended.runs).toHaveLength(1);
    expect(ended.runs[0]).toMatchObject({ exit_code: 4, start_offset: 0 });
    expect(typeof ended.ended_at).toBe("string");
    expect([ended.ended_by, ended.cpu_percent, ended.rss_bytes]).toEqual([null, null, null]);
    const running = sessions.find((s: { id: number }) => s.id === db);
    expect(running.rss_bytes).toBeGreaterThan(0);
    expect(typeof running.cpu_percent).toBe("number");
    expect(running.runs[0].ended_at).toBeNull();
    // prune: only ended sessions, only old enough ones, only matching labels.
    expect((await call("terminal_prune", { older_than_ms: 3_600_000 })).structuredContent.removed).toEqual([]);
    expect((await call("terminal_prune", { labels: { app: "shop" } })).structuredContent.removed).toEqual([]);
    const pruned = await call("terminal_prune", { labels: { app: "blog" } });
    expect(pruned.structuredContent.removed).toMatchObject([{ id: job, state: "exited", exit_code: 4 }]);
    expect(await listed({ app: "blog" })).toEqual([]);
    expect((await call("terminal_close", { labels: { app: "shop" } })).structuredContent.closed).toEqual([db]);
  });

  test("terminal_start wait_ready: false returns at once; terminal_wait ready: true waits for readiness", async () => {
    const started = await call("terminal_start", {
      command: ["sh", "-c", "read line; echo READY; sleep 600"],
      ready_regex: "^READY",
      wait_ready: false,
      yield_ms: 0,
    });
    expect(started.isError).toBeFalsy();
    expect(started.structuredContent.ready).toBeNull();
    const id = started.structuredContent.id;
    const early = await call("terminal_wait", { ids: [id], ready: true, timeout_ms: 300 });
    expect(early.structuredContent.outcome).toBe("timeout");
    await call("terminal_send", { id, text: "go", yield_ms: 0 });
    const ready = await call("terminal_wait", { ids: [id], ready: true, timeout_ms: 30_000 });
    expect(ready.structuredContent).toMatchObject({ outcome: "ready", id });
    const plain = await call("terminal_start", { command: ["sleep", "600"], yield_ms: 0 });
    const noCheck = await call("terminal_wait", { ids: [plain.structuredContent.id], ready: true, timeout_ms: 1000 });
    expect(noCheck.isError).toBe(true);
    expect(noCheck.content[0]!.text).toMatch(/no readiness check/);
    await call("terminal_close", { ids: [id, plain.structuredContent.id] });
  });

  test("ttl_ms and max_runtime_ms of 0 are refused; health_start_period_ms is taken", async () => {
    const before = (await bg.json(["ls"])).length;
    for (const [key, name] of [
      ["ttl_ms", /ttl_ms must be more than 0/],
      ["max_runtime_ms", /max_runtime_ms must be more than 0/],
    ] as const) {
      const refused = await call("terminal_start", { command: ["sleep", "60"], [key]: 0, yield_ms: 0 });
      expect(refused.isError).toBe(true);
      expect(refused.content[0]!.text).toMatch(name);
    }
    expect((await bg.json(["ls"])).length).toBe(before);
    // The start grace of health checks is a parameter too.
    const graced = await call("terminal_start", {
      command: ["sleep", "60"],
      health_cmd: "false",
      health_interval_ms: 200,
      health_start_period_ms: 600_000,
      yield_ms: 0,
    });
    expect(graced.isError).toBeFalsy();
    await call("terminal_close", { ids: [graced.structuredContent.id] });
  });

  test("terminal_up and terminal_down bring a bgterm.toml up (dependencies ready first) and down", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-mcp-up-"));
    try {
      fs.mkdirSync(path.join(dir, ".git"));
      fs.writeFileSync(
        path.join(dir, "bgterm.toml"),
        [
          "[sessions.mcpdb]",
          "command = \"sh -c 'echo accepting; sleep 600'\"",
          'ready = "accepting"',
          "[sessions.mcpapp]",
          'command = "sleep 600"',
          'after = ["mcpdb"]',
          "",
        ].join("\n"),
      );
      const up = await call("terminal_up", { cwd: dir });
      expect(up.isError).toBeFalsy();
      expect(up.structuredContent.sessions).toMatchObject([
        { name: "mcpdb", action: "started", state: "running", ready_by: "output /accepting/" },
        { name: "mcpapp", action: "started", state: "running", ready_by: null },
      ]);
      const again = await call("terminal_up", { cwd: dir, names: ["mcpapp"] });
      expect(again.structuredContent.sessions.map((s: { action: string }) => s.action)).toEqual(["reused", "reused"]);
      expect((await bg.json(["info", "mcpapp"])).labels).toEqual({ project: dir });
      const unknown = await call("terminal_up", { cwd: dir, names: ["nosuch"] });
      expect(unknown.isError).toBe(true);
      expect(unknown.content[0]!.text).toMatch(/no session named 'nosuch'/);
      const down = await call("terminal_down", { cwd: dir });
      expect(down.structuredContent.closed.sort()).toEqual(
        up.structuredContent.sessions.map((s: { id: number }) => s.id).sort(),
      );
      expect(await bg.json(["ls", "--label", `project=${dir}`])).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
