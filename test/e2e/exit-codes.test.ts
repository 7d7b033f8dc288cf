// Every row of the README's exit-code table, exercised through the binary; and
// the same condition exits the same in every command (a session that never
// started is 4 everywhere).
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, Bg, ROOT } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

// The codes the README documents, from its table ("| 4 | ..."; N for wait).
function documentedCodes(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const table = readme.slice(readme.indexOf("## Exit codes"), readme.indexOf("## JSON shapes"));
  return [...table.matchAll(/^\| (\d+|N) \|/gm)].map((match) => match[1]!);
}

const exercised = new Set<string>();
async function expectExit(code: number | "N", args: string[], stderr?: RegExp, env?: Record<string, string>) {
  const result = await bg.run(args, { env });
  expect({ args, code: result.code }).toEqual({ args, code: code === "N" ? result.code : code });
  if (stderr) expect(result.stderr).toMatch(stderr);
  exercised.add(String(code));
  return result;
}

describe("the exit-code table", () => {
  test("0, 1, 2, 3, 126, 127", async () => {
    await expectExit(0, ["ls"]);
    // 1: an unsafe state directory; grep with no match.
    const unsafe = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-"));
    fs.chmodSync(unsafe, 0o777);
    await expectExit(1, ["ls"], /refusing state directory/, { BGTERM_DIR: unsafe });
    fs.rmSync(unsafe, { recursive: true });
    await expectExit(1, ["grep", "no-such-text-anywhere"], /^bgterm: no line matched\n$/);
    // 2: usage.
    await expectExit(2, ["poll", "1", "--frobnicate"], /unknown option '--frobnicate'/);
    await expectExit(2, ["start", "--yield", "1s", "cat"], /unknown option/);
    await expectExit(2, ["send", "1", "--yield", "soon"], /--yield takes a whole number of milliseconds or a duration/);
    // 3: no such session.
    await expectExit(3, ["info", "4242"], /no session with id 4242/);
    await expectExit(3, ["poll", "nobody"], /no session named 'nobody'/);
    // 126 / 127: start cannot execute / cannot find the program.
    const notExecutable = path.join(bg.stateDir, "not-executable");
    fs.writeFileSync(notExecutable, "echo hi\n", { mode: 0o644 });
    await expectExit(126, ["start", notExecutable], /cannot execute/);
    await expectExit(127, ["start", "bgterm-no-such-program"], /command not found/);
  });

  test("4: input to an exited session, --until unmatched at exit, exit before --ready, the shell exits during exec", async () => {
    const ended = await bg.start(["sh", "-c", "echo bye"]);
    await bg.ok(["wait", ended]);
    await expectExit(4, ["send", ended, "x"], /is not running/);
    await expectExit(4, ["poll", ended, "--until", "never-printed"], /ended .* before --until matched/);
    await expectExit(4, ["start", "--ready", "never-printed", "sh", "-c", "exit 3"], /before it was ready/);
    const shell = await bg.start(["sh"]);
    await expectExit(4, ["exec", shell, "exit 5"], /shell exited/);
  });

  test("124: wait --timeout, --until at the end of the yield, readiness, exec --timeout, poll --any", async () => {
    const id = await bg.start(["cat"]);
    const other = await bg.start(["cat"]);
    await expectExit(124, ["wait", id, "--timeout", "200ms"], /still running/);
    await expectExit(124, ["poll", id, "--until", "never", "--yield", "0.2s"], /did not match/);
    await expectExit(124, ["start", "--ready", "never", "--ready-timeout", "300", "cat"], /not ready/);
    const shell = await bg.start(["sh"]);
    await expectExit(124, ["exec", shell, "sleep 30", "--timeout", "300ms"], /still running/);
    await expectExit(124, ["poll", "--any", id, other, "--yield", "200"], /none of the sessions/);
    await bg.ok(["close", id, other, shell]);
  });

  test("141: standard output closed by its reader, quietly", async () => {
    const id = await bg.start(["sh", "-c", "seq 1 200000; exec sleep 60"]);
    await bg.readUntil(id, /^200000$/m, 20_000, "probe");
    // bash reports the first command's status of `bgterm lines ID | head -c 1`.
    const pipeline = Bun.spawn(
      ["bash", "-c", '"$0" "$@" | head -c 1 >/dev/null; exit "${PIPESTATUS[0]}"', BIN, "lines", id],
      {
        env: bg.env(),
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    const [stderr, code] = await Promise.all([new Response(pipeline.stderr).text(), pipeline.exited]);
    expect({ code, stderr }).toEqual({ code: 141, stderr: "" });
    exercised.add("141");
    await bg.ok(["close", id]);
  });

  test("N: wait exits with the program's code, 128+n for signal n", async () => {
    const id = await bg.start(["sh", "-c", "exit 17"]);
    expect((await expectExit("N", ["wait", id])).code).toBe(17);
    const killed = await bg.start(["sleep", "60"]);
    await bg.ok(["kill", killed, "TERM"]);
    expect((await expectExit("N", ["wait", killed])).code).toBe(143);
  });

  test("every documented code is exercised above", () => {
    const documented = documentedCodes();
    expect(documented).toEqual(expect.arrayContaining(["0", "1", "2", "3", "4", "124", "N"]));
    for (const code of documented) expect({ code, exercised: exercised.has(code) }).toEqual({ code, exercised: true });
  });
});

describe("one condition, one exit code", () => {
  test("a session that never started is 4 in every command that needs it started", async () => {
    // A session folder with a spec but no record: its supervisor never started it.
    const real = await bg.start(["cat"]);
    const sessions = path.join(bg.stateDir, "sessions");
    const never = "4000";
    fs.mkdirSync(path.join(sessions, never), { mode: 0o700 });
    fs.copyFileSync(path.join(sessions, real, "spec.json"), path.join(sessions, never, "spec.json"));
    await bg.ok(["close", real]);
    const commands = [
      ["send", never, "x"],
      ["send", never, "-k", "Up"],
      ["poll", never, "--yield", "0"],
      ["read", never],
      ["wait", never, "--timeout", "1s"],
      ["exec", never, "true"],
      ["kill", never],
      ["resize", never, "10", "10"],
      ["screen", never],
      ["lines", never],
      ["export", never],
    ];
    for (const args of commands) {
      const result = await bg.run(args);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({
        args,
        code: 4,
        stderr: `bgterm: session ${never} never started\n`,
      });
    }
    fs.rmSync(path.join(sessions, never), { recursive: true });
  });
});
