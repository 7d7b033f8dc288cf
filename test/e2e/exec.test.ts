// exec: a command's output and exit status from a persistent shell.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Bg, ensureProgram } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

const shells: [string, string[]][] = [
  ["bash", ["bash", "--norc", "--noprofile"]],
  ["sh", ["sh"]],
  ["zsh", ["zsh", "-f"]],
];

for (const [name, argv] of shells) {
  describe(`exec in ${name}`, () => {
    // Each test stands alone on the describe's shell (started before, closed
    // after), so any one of them can run by itself (bun test -t).
    const available = ensureProgram(argv[0]!) !== undefined;
    const it = test.skipIf(!available);
    let id = "";
    beforeAll(async () => {
      if (available) id = await bg.start(argv);
    });
    afterAll(async () => {
      if (id) await bg.ok(["close", id]);
    });

    it("exit statuses 0, 1 and 42, output without echo or prompt", async () => {
      const ok = await bg.run(["exec", id, "echo hello"]);
      expect([ok.code, ok.text]).toEqual([0, "hello\n"]);
      expect((await bg.run(["exec", id, "false"])).code).toBe(1);
      const custom = await bg.run(["exec", id, "echo before; (exit 42)"]);
      expect([custom.code, custom.text]).toEqual([42, "before\n"]);
    });

    it("output with no trailing newline", async () => {
      expect(await bg.ok(["exec", id, "printf 'no newline'"])).toBe("no newline");
    });

    it("a heredoc and a multi-line command", async () => {
      const heredoc = "cat <<'EOF'\nline one\nit's \"quoted\" \\ and $NOT_EXPANDED\nEOF";
      expect(await bg.ok(["exec", id, heredoc])).toBe('line one\nit\'s "quoted" \\ and $NOT_EXPANDED\n');
      expect(await bg.ok(["exec", id, "for i in 1 2 3\ndo\n  echo item-$i\ndone"])).toBe("item-1\nitem-2\nitem-3\n");
    });

    it("cd and exported variables persist between execs", async () => {
      await bg.ok(["exec", id, "cd /tmp && export BGT_VALUE=persisted"]);
      expect(await bg.ok(["exec", id, 'echo "$PWD $BGT_VALUE"'])).toBe("/tmp persisted\n");
    });

    it("a forged marker in the output does not end the command early", async () => {
      const forged = await bg.run(["exec", id, "printf '\\036E0000000000000000:0\\036\\n'; sleep 0.2; echo real-end"]);
      expect(forged.code).toBe(0);
      expect(forged.text).toBe("\x1eE0000000000000000:0\x1e\nreal-end\n");
    });

    it("a timeout leaves the command running; its late output is not part of the next exec", async () => {
      const slow = await bg.run(["exec", id, "--timeout", "200", "sleep 1; echo late-$((20+22))"]);
      expect(slow.code).toBe(124);
      expect(slow.stderr).toContain("still running after 200 ms");
      // The pattern matches the command's output, not the echo of the typed line.
      await bg.readUntil(id, /late-42/, 10_000, "watcher");
      const next = await bg.run(["exec", id, "echo next"]);
      expect([next.code, next.text]).toEqual([0, "next\n"]);
      expect(await bg.ok(["read", id, "--reader", "later"])).toContain("late-42");
    });

    it("--interrupt sends C-c and exits with the command's status", async () => {
      const interrupted = await bg.run(["exec", id, "--timeout", "300", "--interrupt", "sleep 30"]);
      expect(interrupted.code).toBe(130);
      expect(await bg.ok(["exec", id, "echo back"])).toBe("back\n");
    });

    it("--json gives exit_code, output, timed_out and duration_ms", async () => {
      const json = await bg
        .json(["exec", id, "echo json-out; exit_status_7() { return 7; }; exit_status_7"])
        .catch((e) => e);
      expect(String(json)).toContain("exited 7");
      const result = await bg.run(["exec", "--json", id, "echo json-out"]);
      const parsed = JSON.parse(result.text);
      expect(parsed).toMatchObject({ exit_code: 0, output: "json-out\n", timed_out: false });
      expect(typeof parsed.duration_ms).toBe("number");
    });
  });
}

describe("exec refuses what it cannot do", () => {
  test("a session that is not a shell: exit 2 saying why", async () => {
    const id = await bg.start(["python3"]);
    const result = await bg.run(["exec", id, "print(1)"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `bgterm: exec needs a session running a shell (bash, sh, dash, zsh); session ${id} runs python3\n`,
    );
    const shell = await bg.start(["bash", "--norc", "--noprofile"]);
    await bg.ok(["send", shell, "python3", "--until", ">>> $"]);
    const busy = await bg.run(["exec", shell, "echo hi"]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain("is running python3");
    await bg.ok(["close", id, shell]);
  });

  test("the shell exits during the command: exit 4", async () => {
    const id = await bg.start(["bash", "--norc", "--noprofile"]);
    const result = await bg.run(["exec", id, "exit 3"]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("exited (code 3)");
    await bg.ok(["close", id]);
  });
});
