// The client API in-process, as the MCP server and `bgterm rpc` use it: results
// have the fields of the CLI's --json output, failures are BgtermError with the
// CLI's exit codes (ResultError when output came with them), and every request
// honours its deadline. Sessions are real (supervisors run src/main.ts).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as api from "../../src/client/api.ts";
import { BgtermError } from "../../src/errors.ts";
import { Bg, eventually } from "../helpers.ts";

const bg = new Bg();
let cat = 0;
let sh = 0;

beforeAll(async () => {
  process.env.BGTERM_DIR = bg.stateDir;
  cat = (await api.start({ command: ["cat"], name: "api-cat" })).id;
  sh = (await api.start({ command: ["sh"], env: { PS1: "$ " } })).id;
});
afterAll(() => bg.cleanup());

// The exit code a rejected call carries.
async function failure(call: Promise<unknown>): Promise<BgtermError> {
  const error = await call.then(
    () => undefined,
    (caught) => caught,
  );
  if (!(error instanceof BgtermError)) throw new Error(`expected a BgtermError, got ${error}`);
  return error;
}

test("records are those of info --json and ls --json", async () => {
  const { age_ms: _a, ...fromApi } = await api.info(cat);
  // info --json adds the last command of an integrated shell (history's last record).
  const { age_ms: _b, last_command: _c, ...fromCli } = await bg.json(["info", String(cat)]);
  expect(fromApi).toEqual(fromCli);
  expect(fromApi.name).toBe("api-cat");
  expect((await api.list()).map((record) => record.id)).toEqual(
    (await bg.json(["ls"])).map((r: { id: number }) => r.id),
  );
});

describe("reading and writing", () => {
  test("send waits for its reply; the result has poll --json's fields", async () => {
    const reply = await api.send(cat, { text: "hello api", until: "hello api[^]*hello api" });
    expect(reply.matched).toBe(true);
    expect(reply.text).toContain("hello api");
    expect(Object.keys(reply).sort()).toEqual(
      Object.keys(await bg.json(["read", String(cat)]))
        .concat("matched", "input_end")
        .sort(),
    );
  });

  test("a kept connection serves several calls; send says where its input began", async () => {
    const connection = await api.leaseConnection(cat);
    const reply = await api.send(cat, { text: "kept one", until: "kept one[^]*kept one", reader: "kept", connection });
    expect(reply.matched).toBe(true);
    // The input began inside what this read delivered (the reader started at 0).
    expect(reply.input_end).toBeGreaterThanOrEqual(reply.start_offset);
    expect(reply.input_end).toBeLessThan(reply.end_offset);
    const fromInput = await api.read(cat, { from: reply.input_end, limit: reply.end_offset - reply.input_end! });
    expect(fromInput.text).toContain("kept one");
    // Released after the call, the same connection serves the next one.
    const again = await api.leaseConnection(cat);
    expect(again.channel).toBe(connection.channel);
    const offsets: number[] = [];
    const next = await api.poll(cat, {
      reader: "kept",
      yield_ms: 0,
      connection: again,
      sink: { write: (_, at) => void offsets.push(at) },
    });
    expect(next.running).toBe(true);
    const third = await api.leaseConnection(cat);
    expect(third.channel).toBe(connection.channel);
    third.release(false);
    expect(offsets.every((at) => at >= reply.end_offset)).toBe(true);
  });

  test("a read on a kept connection returns before its acknowledgement is confirmed; info and list show the moved cursor", async () => {
    for (let round = 0; round < 20; round++) {
      const connection = await api.leaseConnection(cat);
      const token = `deferred-${round}x`;
      const reply = await api.send(cat, { text: token, until: `${token}[^]*${token}`, connection });
      expect(reply.matched).toBe(true);
      const record = await api.info(cat);
      expect(record.cursor).toBeGreaterThanOrEqual(reply.end_offset);
      const listed = (await api.list()).find((entry) => entry.id === cat);
      expect(listed?.cursor).toBeGreaterThanOrEqual(reply.end_offset);
    }
  });

  test("forgetting a session's connections also ends the one still waiting for its confirmation", async () => {
    const connection = await api.leaseConnection(cat);
    await api.send(cat, { text: "forgotten", until: "forgotten[^]*forgotten", connection });
    api.forgetConnection(cat); // at once: the acknowledgement is written, maybe not confirmed yet
    await api.acksSettled(cat);
    expect(connection.channel.closed).toBe(true);
    const next = await api.leaseConnection(cat);
    expect(next.channel).not.toBe(connection.channel);
    next.release(false);
  });

  test("read --peek leaves the cursor; read moves it", async () => {
    // The send reads with its own reader: with yield 0 it may already hold the
    // echo, and the default reader must still see both copies.
    await api.send(cat, { text: "peeked", yield_ms: 0, reader: "sender" });
    const echoed = async () => (await api.read("api-cat", { peek: true })).text.split("peeked").length === 3;
    await eventually(echoed, "the echo and cat's copy, unread");
    const first = await api.read("api-cat", { peek: true });
    const second = await api.read("api-cat", {});
    expect(second.text).toBe(first.text);
    expect(second.start_offset).toBe(first.start_offset);
    expect((await api.read(cat, {})).text).toBe("");
  });

  test("an --until that never matches is a ResultError 124 holding the output", async () => {
    await api.send(cat, { text: "something else", until: "something else[^]*something else" });
    const error = await failure(api.send(cat, { text: "no match here", until: "^never$", yield_ms: 300 }));
    expect(error).toBeInstanceOf(api.ResultError);
    expect(error.exitCode).toBe(124);
    const result = (error as api.ResultError<api.ReadOutput>).result;
    expect(result.matched).toBe(false);
    expect(result.text).toContain("no match here");
  });

  test("the deadline ends a request that would wait longer, with 124", async () => {
    const error = await failure(api.poll(cat, { yield_ms: 60_000, until: "^never$", timeout_ms: 300 }));
    expect(error.exitCode).toBe(124);
    expect(error.message).toBe(`session ${cat} did not answer within 300 ms`);
  });

  test("exec, screen, lines and grep", async () => {
    const run = await api.exec(sh, { command: "echo $((6 * 7)); false", timeout_ms: 30_000 });
    expect(run).toMatchObject({ exit_code: 1, output: "42\n", timed_out: false });
    const screen = await api.screen(sh);
    expect(screen.lines.join("\n")).toContain("42");
    // The transcript reads like a terminal session: the output on its own line, no markers.
    const lines = await api.lines(sh, { tail: 50 });
    expect(lines.lines).toContain("42");
    expect(await api.grep({ pattern: "^42$", regex: true, sessions: [sh] })).toEqual([
      { id: sh, name: null, line: lines.lines.indexOf("42") + lines.start_line, text: "42" },
    ]);
    expect(api.history(sh).at(-1)).toMatchObject({ command: "echo $((6 * 7)); false", exit_code: 1, source: "exec" });
  });

  test("exec with raw: the sink gets the terminal's bytes at their stream offset", async () => {
    let raw = Buffer.alloc(0);
    let at = -1;
    const sink = {
      write: (chunk: Uint8Array, offset: number) => {
        raw = Buffer.from(chunk);
        at = offset;
      },
    };
    const run = await api.exec(sh, { command: "echo raw-$((1 + 1))", timeout_ms: 30_000, sink, raw: true });
    expect(run).toMatchObject({ exit_code: 0, output: "", running: true, start_offset: at });
    expect(raw.toString()).toContain("raw-2\r\n");
    const stored = await api.read(sh, { from: at, limit: raw.length, reader: "raw" });
    expect(stored.text).toBe(raw.toString());
  });
});

describe("control", () => {
  test("resize and kill answer with what they did", async () => {
    expect(await api.resize(cat, { cols: 100, rows: 30 })).toEqual({ id: cat, cols: 100, rows: 30 });
    expect((await api.info(cat)).cols).toBe(100);
    const done = await api.start({ command: ["sleep", "600"] });
    expect(await api.kill(done.id, { signal: "TERM" })).toEqual({ id: done.id, signal: "SIGTERM" });
    expect(await api.wait(done.id, { timeout_ms: 30_000 })).toEqual({ id: done.id, exit_code: 143 });
  });

  test("errors carry the CLI's exit codes", async () => {
    expect((await failure(Promise.resolve().then(() => api.info("no-such-session")))).exitCode).toBe(3);
    expect((await failure(api.resize(cat, { cols: 0, rows: 10 }))).exitCode).toBe(2);
    expect((await failure(api.kill(cat, { signal: "SIGWHAT" }))).exitCode).toBe(2);
    const ended = await api.start({ command: ["true"] });
    await api.wait(ended.id, { timeout_ms: 30_000 });
    expect((await failure(api.send(ended.id, { text: "x" }))).exitCode).toBe(4);
  });

  test("subscribe shows the screen, then streams what follows", async () => {
    const view = await api.subscribe(cat);
    let seen = "";
    const ended = view.follow((bytes) => {
      seen += Buffer.from(bytes).toString();
    });
    await view.input(Buffer.from("streamed\r"));
    await eventually(() => seen.includes("streamed"), "the echo of the input on the subscription");
    view.close();
    expect(await ended).toBeNull();
  });

  test("close ends sessions and says which", async () => {
    const extra = await api.start({ command: ["cat"] });
    expect(await api.close([extra.id], { grace_ms: 500 })).toEqual({ closed: [extra.id] });
    expect((await api.list()).some((record) => record.id === extra.id)).toBe(false);
  });
});

describe("deadlines of follow, up, down and prune", () => {
  test("each takes timeout_ms and fails with 124 when it passes", async () => {
    const sleeper = await api.start({ command: ["sleep", "600"] });
    const follow = await failure(api.follow(sleeper.id, { timeout_ms: 300 }, { write: () => {} }));
    expect(follow.exitCode).toBe(124);
    expect(follow.message).toMatch(/still running after 300 ms/);
    await api.close([sleeper.id], { grace_ms: 500 });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-api-up-"));
    try {
      fs.mkdirSync(path.join(dir, ".git"));
      fs.writeFileSync(
        path.join(dir, "bgterm.toml"),
        '[sessions.never]\ncommand = "sleep 600"\nready = "never printed"\nready_timeout = "60s"\n',
      );
      const up = await failure(api.up({ cwd: dir, timeout_ms: 500 }));
      expect(up.exitCode).toBe(124);
      expect(up.message).toMatch(/up did not finish within 500 ms \(at sessions\.never/);
      expect((await api.down({ cwd: dir, timeout_ms: 30_000 })).closed).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const ended = await api.start({ command: ["true"] });
    await api.wait(ended.id, { timeout_ms: 30_000 });
    const prune = await failure(api.prune({ timeout_ms: 0 }));
    expect(prune.exitCode).toBe(124);
    expect((await api.list()).some((record) => record.id === ended.id)).toBe(true);
    expect((await api.prune({ timeout_ms: 30_000 })).removed.map((r) => r.id)).toContain(ended.id);
  });
});
