// Script and Makefile workflows: readiness, idempotent named starts, waiting
// on several sessions, and a Makefile that drives a server.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import path from "node:path";
import { BIN, Bg, ROOT } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

// A free TCP port on loopback, chosen by the kernel.
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe("readiness", () => {
  test("--ready-port waits for a real HTTP server on loopback", async () => {
    const port = await freePort();
    const id = await bg.start([
      "--ready-port",
      String(port),
      "--",
      "python3",
      "-m",
      "http.server",
      String(port),
      "--bind",
      "127.0.0.1",
    ]);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(200);
    // Readiness did not consume output: the server's banner is still unread.
    expect(await bg.ok(["read", id])).toContain("Serving HTTP");
    await bg.ok(["close", id]);
  });

  test("--ready REGEX returns once the output matches", async () => {
    const id = await bg.start([
      "--ready",
      "listening on \\d+",
      "sh",
      "-c",
      "sleep 0.3; echo listening on 42; sleep 30",
    ]);
    expect(await bg.ok(["read", id])).toBe("listening on 42\r\n");
    await bg.ok(["close", id]);
  });

  test("--ready-file returns once the file exists", async () => {
    const flag = path.join(bg.stateDir, "ready.flag");
    const id = await bg.start(["--ready-file", flag, "sh", "-c", `sleep 0.3; touch ${flag}; sleep 30`]);
    expect((await bg.json(["info", id])).state).toBe("running");
    await bg.ok(["close", id]);
  });

  test("timeout: exit 124, the session's last output on stderr, the session keeps running", async () => {
    const result = await bg.run([
      "start",
      "--ready",
      "NEVER",
      "--ready-timeout",
      "300",
      "sh",
      "-c",
      "echo warming up; sleep 30",
    ]);
    expect(result.code).toBe(124);
    const id = /session (\d+) was not ready after 300 ms/.exec(result.stderr)?.[1];
    expect(id).toBeDefined();
    expect(result.stderr).toBe(`warming up\nbgterm: session ${id} was not ready after 300 ms (it is still running)\n`);
    expect((await bg.json(["info", id!])).state).toBe("running");
    await bg.ok(["close", id!]);
  });

  test("the child exits first: exit 4 with its exit code in the message", async () => {
    const result = await bg.run([
      "start",
      "--ready-port",
      String(await freePort()),
      "sh",
      "-c",
      "echo failing; exit 3",
    ]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^failing\nbgterm: session \d+ exited \(code 3\) before it was ready\n$/);
    // The ended session stays, so its output can be read; close removes it.
    const id = /session (\d+)/.exec(result.stderr)![1]!;
    expect((await bg.json(["info", id])).exit_code).toBe(3);
    await bg.ok(["close", id]);
  });
});

describe("named, idempotent starts", () => {
  test("--reuse returns the live session; --replace closes it and starts anew", async () => {
    const first = await bg.start(["-n", "svc", "cat"]);
    expect(await bg.start(["-n", "svc", "--reuse", "cat"])).toBe(first);
    const replaced = await bg.start(["-n", "svc", "--replace", "cat"]);
    expect(replaced).not.toBe(first);
    expect((await bg.run(["info", first])).code).toBe(3);
    expect((await bg.json(["info", "svc"])).id).toBe(Number(replaced));
    const plain = await bg.run(["start", "-n", "svc", "cat"]);
    expect(plain.code).toBe(2);
    expect((await bg.run(["start", "--reuse", "cat"])).code).toBe(2);
    await bg.ok(["close", "svc"]);
  });
});

describe("waiting on several sessions", () => {
  test("wait --any returns the first to exit with its id and code", async () => {
    const slow = await bg.start(["sh", "-c", "sleep 30"]);
    const quick = await bg.start(["sh", "-c", "sleep 0.3; exit 5"]);
    const result = await bg.run(["wait", "--any", slow, quick, "--timeout", "20000"]);
    expect([result.code, result.text]).toEqual([5, `${quick} 5\n`]);
    const timeout = await bg.run(["wait", "--any", slow, "--timeout", "100"]);
    expect(timeout.code).toBe(124);
    expect((await bg.run(["wait", slow, quick])).code).toBe(2);
    await bg.ok(["close", slow, quick]);
  });

  test("poll --any returns the first session with unread output, its id first", async () => {
    const late = await bg.start(["sh", "-c", "sleep 2; echo late; sleep 30"]);
    const early = await bg.start(["sh", "-c", "sleep 0.3; echo early; sleep 30"]);
    const result = await bg.run(["poll", "--any", late, early, "--yield", "10000"]);
    expect([result.code, result.text]).toEqual([0, `${early}\nearly\r\n`]);
    // Nothing was consumed from the other session.
    expect(await bg.readUntil(late, /late/)).toBe("late\r\n");
    const none = await bg.run(["poll", "--any", late, early, "--yield", "200"]);
    expect(none.code).toBe(124);
    await bg.ok(["close", late, early]);
  });
});

describe("a Makefile", () => {
  test("starts a server, waits until ready, checks it and closes it", async () => {
    const port = await freePort();
    const result = Bun.spawnSync(
      ["make", "-s", "-f", path.join(ROOT, "test/fixtures/server.mk"), `BGTERM=${BIN}`, `PORT=${port}`, "check"],
      {
        env: bg.env(),
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    expect(result.stderr.toString()).toBe("");
    expect(result.stdout.toString()).toBe("server check exit 0\n");
    expect(result.exitCode).toBe(0);
    expect((await bg.json(["ls"])).filter((r: { name: string | null }) => r.name === "web")).toEqual([]);
  });
});
