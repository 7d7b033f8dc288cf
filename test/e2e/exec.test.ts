// exec: a command's output and exit status from a persistent shell, through
// bgterm's shell integration (bash, zsh, fish) or its hidden wrapper (sh/dash).
// Every test runs with a temporary HOME, so no real history file is touched.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Bg, ensureProgram } from "../helpers.ts";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-home-"));
const bg = new Bg(undefined, { HOME: home, ZDOTDIR: undefined, HISTFILE: undefined, XDG_DATA_HOME: undefined });
afterAll(async () => {
  await bg.cleanup();
  fs.rmSync(home, { recursive: true, force: true });
});

// Text that only bgterm's machinery would leave behind.
const BGTERM_TEXT = /bgterm=[0-9a-f]|__bgterm|133;[ABCDE];|eval "\$\(printf|\x1e/;

// [label, argv, how exec reaches it]: started by bgterm with hooks, hooks typed
// on the first exec (-f), or the wrapper (sh).
const shells: [string, string[], boolean][] = [
  ["bash", ["bash"], false],
  ["bash --norc", ["bash", "--norc", "--noprofile"], false],
  ["zsh", ["zsh"], false],
  ["zsh -f (hooks typed on first exec)", ["zsh", "-f"], false],
  ["fish", ["fish"], true],
  ["sh (dash)", ["sh"], false],
];

for (const [label, argv, fish] of shells) {
  describe(`exec in ${label}`, () => {
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
      const custom = await bg.run(["exec", id, "echo before; sh -c 'exit 42'"]);
      expect([custom.code, custom.text]).toEqual([42, "before\n"]);
    });

    it("output with no trailing newline", async () => {
      expect(await bg.ok(["exec", id, "printf 'no newline'"])).toBe("no newline");
    });

    it("a multi-line command (and a heredoc where the shell has them)", async () => {
      if (fish) {
        expect(await bg.ok(["exec", id, "for i in 1 2 3\n  echo item-$i\nend"])).toBe("item-1\nitem-2\nitem-3\n");
        return;
      }
      const heredoc = "cat <<'EOF'\nline one\nit's \"quoted\" \\ and $NOT_EXPANDED\nEOF";
      expect(await bg.ok(["exec", id, heredoc])).toBe('line one\nit\'s "quoted" \\ and $NOT_EXPANDED\n');
      expect(await bg.ok(["exec", id, "for i in 1 2 3\ndo\n  echo item-$i\ndone"])).toBe("item-1\nitem-2\nitem-3\n");
    });

    it("cd and exported variables persist between execs", async () => {
      await bg.ok([
        "exec",
        id,
        fish ? "cd /tmp; and set -gx BGT_VALUE persisted" : "cd /tmp && export BGT_VALUE=persisted",
      ]);
      expect(await bg.ok(["exec", id, 'echo "$PWD $BGT_VALUE"'])).toBe("/tmp persisted\n");
    });

    it("a mark without the session's nonce passes through and does not end the command", async () => {
      // Built by printf, so the typed line itself holds no mark-like text.
      const forged = await bg.run([
        "exec",
        id,
        "printf '\\033]13%s;D;0;bgterm%s0000\\007\\n' 3 =; sleep 0.2; echo real-end",
      ]);
      expect(forged.code).toBe(0);
      expect(forged.text).toBe("\x1b]133;D;0;bgterm=0000\x07\nreal-end\n");
    });

    it("PAGER is cat for exec'd commands, the user's with --pager", async () => {
      if (label.startsWith("sh")) return; // the wrapper leaves the environment alone
      expect(await bg.ok(["exec", id, 'echo "[$PAGER]"'])).toBe("[cat]\n");
      expect(await bg.ok(["exec", id, "--pager", 'echo "[$PAGER]"'])).not.toBe("[cat]\n");
    });

    it("a timeout leaves the command running; its late output is not part of the next exec", async () => {
      const late = fish ? "sleep 1; echo late-(math 20+22)" : "sleep 1; echo late-$((20+22))";
      const slow = await bg.run(["exec", id, "--timeout", "300", late]);
      expect(slow.code).toBe(124);
      expect(slow.stderr).toContain("still running after 300 ms");
      await bg.readUntil(id, /late-42/, 10_000, "watcher");
      const next = await bg.run(["exec", id, "echo next"]);
      expect([next.code, next.text]).toEqual([0, "next\n"]);
    });

    it("--interrupt sends C-c and exits with the command's status", async () => {
      const interrupted = await bg.run(["exec", id, "--timeout", "300", "--interrupt", "sleep 30"]);
      expect(interrupted.code).toBe(130);
      expect(await bg.ok(["exec", id, "echo back"])).toBe("back\n");
    });

    it("--json gives exit_code, output, timed_out and duration_ms", async () => {
      const result = await bg.run(["exec", "--json", id, "echo json-out"]);
      const parsed = JSON.parse(result.text);
      expect(parsed).toMatchObject({ exit_code: 0, output: "json-out\n", timed_out: false });
      expect(typeof parsed.duration_ms).toBe("number");
    });

    it("no bgterm text in lines, screen, grep or export", async () => {
      await bg.ok(["exec", id, "echo json-out"]);
      const lines = await bg.ok(["lines", id]);
      expect(lines).toContain("json-out");
      expect(lines).not.toMatch(BGTERM_TEXT);
      expect(await bg.ok(["screen", id])).not.toMatch(BGTERM_TEXT);
      expect(await bg.ok(["export", id, "--format", "txt"])).not.toMatch(BGTERM_TEXT);
      const raw = await bg.ok(["read", id, "--from", "0"]);
      expect(raw).not.toMatch(/bgterm=[0-9a-f]{32}/);
      expect((await bg.run(["grep", "bgterm=", id])).code).toBe(1);
    });

    it("every command is a record: history, info --json, lines --command", async () => {
      await bg.ok(["exec", id, "echo json-out"]);
      if (label.startsWith("sh")) {
        // The wrapper reports start and end too.
        const records = await bg.json(["history", id]);
        expect(records.at(-1)).toMatchObject({ command: "echo json-out", exit_code: 0, source: "exec" });
        return;
      }
      await bg.ok(["send", id, "echo typed-by-send"]);
      const records = await bg.json(["history", id]);
      const typed = records.at(-1);
      expect(typed).toMatchObject({ command: "echo typed-by-send", exit_code: 0, source: "typed" });
      const exec = records.find((r: { command: string }) => r.command === "echo json-out");
      expect(exec).toMatchObject({ source: "exec", exit_code: 0 });
      const info = await bg.json(["info", id]);
      expect(info.last_command.n).toBe(typed.n);
      expect(await bg.ok(["lines", id, "--command", String(exec.n)])).toBe("json-out\n");
    });
  });
}

describe("exec never types into a program", () => {
  test("--interrupt on less sends C-c only: no file appears, exit 4 or 124 naming less", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-less-"));
    const sh = await bg.start(["-C", dir, "bash"]);
    try {
      const result = await bg.run(["exec", sh, "--timeout", "1000", "--interrupt", "seq 1 500 | less"]);
      expect([4, 124]).toContain(result.code);
      expect(result.stderr).toContain("less");
      // Whatever happens next, nothing is typed into less.
      const refused = await bg.run(["exec", sh, "--no-wait", "echo hi"]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain("less");
      await bg.ok(["send", sh, "--no-enter", "q"]);
      expect(await bg.ok(["exec", sh, "echo back"])).toBe("back\n");
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      await bg.run(["close", sh]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a Python REPL in front: exec refuses naming python3; --no-wait on a busy shell names the program", async () => {
    const sh = await bg.start(["bash"]);
    await bg.ok(["send", sh, "python3", "--until", ">>> $"]);
    const refused = await bg.run(["exec", sh, "echo hi"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("python3 is waiting for input");
    await bg.ok(["send", sh, "exit()"]);
    await bg.ok(["send", sh, "sleep 5", "--idle", "0", "--yield", "0"]);
    const busy = await bg.run(["exec", sh, "--no-wait", "echo hi"]);
    expect(busy.code).toBe(4);
    expect(busy.stderr).toContain("sleep");
    // Without --no-wait the exec waits for the shell to come back.
    expect(await bg.ok(["exec", sh, "--timeout", "20000", "echo after-sleep"])).toBe("after-sleep\n");
    await bg.ok(["close", sh]);
  });

  test("10 concurrent execs each return their own output", async () => {
    const sh = await bg.start(["bash"]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => bg.run(["exec", sh, `sleep 0.0${i}; echo out-${i}`])),
    );
    for (const [i, result] of results.entries()) expect([result.code, result.text]).toEqual([0, `out-${i}\n`]);
    await bg.ok(["close", sh]);
  });

  test("a nested shell gets the hooks on its first exec; exiting it ends the outer command", async () => {
    const sh = await bg.start(["bash"]);
    await bg.ok(["send", sh, "bash --norc"]);
    expect(await bg.ok(["exec", sh, "echo nested-$SHLVL"])).toMatch(/^nested-\d\n$/);
    expect(await bg.ok(["exec", sh, "echo again"])).toBe("again\n");
    await bg.ok(["send", sh, "exit"]);
    expect(await bg.ok(["exec", sh, "echo outer"])).toBe("outer\n");
    expect(await bg.ok(["lines", sh])).not.toMatch(BGTERM_TEXT);
    await bg.ok(["close", sh]);
  });

  test("exec bash replaces the hooked shell: reported, then the new shell is hooked on the next exec", async () => {
    const sh = await bg.start(["bash"]);
    const replaced = await bg.run(["exec", sh, "exec bash --norc"]);
    expect(replaced.code).toBe(4);
    expect(replaced.stderr).toContain("bash is waiting for input");
    expect(await bg.ok(["exec", sh, "echo rehooked-$((2*3))"])).toBe("rehooked-6\n");
    expect(await bg.ok(["lines", sh])).not.toMatch(BGTERM_TEXT);
    await bg.ok(["close", sh]);
  });

  test("a 20 KB command (beyond the terminal's 4095-byte line) works in bash and sh", async () => {
    const long = `echo ${"x".repeat(20_000)} | wc -c`;
    for (const shell of ["bash", "sh"]) {
      const id = await bg.start([shell]);
      expect((await bg.ok(["exec", id, "--timeout", "60000", long])).trim()).toBe("20001");
      await bg.ok(["close", id]);
    }
  });

  test("--allow-interactive waits for a command that reads the terminal; send answers it", async () => {
    const sh = await bg.start(["bash"]);
    const reading = bg.run(["exec", sh, "--allow-interactive", "read -r answer; echo got-$answer"]);
    await bg.readUntil(sh, /read -r answer/, 15_000, "watch");
    await bg.ok(["send", sh, "hello", "--idle", "0", "--yield", "0"]);
    const result = await reading;
    expect([result.code, result.text]).toEqual([0, "hello\ngot-hello\n"]);
    // Without the flag the same command is reported, and left waiting.
    const refused = await bg.run(["exec", sh, "read -r answer; echo got-$answer"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("bash is waiting for input on the terminal");
    await bg.ok(["send", sh, "later", "--idle", "0", "--yield", "0"]);
    expect(await bg.ok(["exec", sh, "--no-wait", "echo idle-shell"])).toBe("idle-shell\n");
    await bg.ok(["close", sh]);
  });

  test("hooks survive set -u, set -e, PROMPT_COMMAND and a two-line prompt", async () => {
    const sh = await bg.start(["bash"]);
    await bg.ok(["exec", sh, "set -u; PROMPT_COMMAND='true'; PS1='first line\\n\\$ '; PS0=''"]);
    expect(await bg.ok(["exec", sh, "echo still-$((6*7))"])).toBe("still-42\n");
    await bg.ok(["exec", sh, "set -e"]);
    expect((await bg.run(["exec", sh, "false || echo recovered"])).text).toBe("recovered\n");
    await bg.ok(["close", sh]);
  });
});

describe("exec refuses what it cannot do", () => {
  test("a session that is not a shell: exit 2 saying why", async () => {
    const id = await bg.start(["python3"]);
    const result = await bg.run(["exec", id, "print(1)"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`session ${id} runs python3`);
    await bg.ok(["close", id]);
  });

  test("the shell exits during the command: exit 4 with its status", async () => {
    const id = await bg.start(["bash"]);
    const result = await bg.run(["exec", id, "exit 3"]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("exited (code 3)");
    await bg.ok(["close", id]);
  });
});

describe("history files stay clean", () => {
  for (const [shell, file, rc] of [
    ["bash", ".bash_history", undefined],
    ["zsh", ".zsh_history", ["HISTFILE=~/.zsh_history", "SAVEHIST=1000", "HISTSIZE=1000"].join("\n")],
    ["fish", ".local/share/fish/fish_history", undefined],
  ] as const) {
    const it = ensureProgram(shell) ? test : test.skip;
    it(`${shell}: 50 execs leave no bgterm text in lines, screen, export or ${file}; a typed command is kept`, async () => {
      const own = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-hist-"));
      if (rc) fs.writeFileSync(path.join(own, ".zshrc"), `${rc}\n`);
      const local = new Bg(undefined, { HOME: own, ZDOTDIR: undefined, HISTFILE: undefined, XDG_DATA_HOME: undefined });
      try {
        const id = await local.start([shell]);
        for (let i = 0; i < 50; i++) expect(await local.ok(["exec", id, `echo exec-${i}`])).toBe(`exec-${i}\n`);
        await local.ok(["send", id, "echo typed-by-a-person"]);
        for (const view of [
          ["lines", id],
          ["screen", id],
          ["export", id, "--format", "txt"],
        ]) {
          expect(await local.ok(view)).not.toMatch(BGTERM_TEXT);
        }
        await local.ok(["send", id, "exit"]);
        await local.run(["wait", id, "--timeout", "10000"]);
        const history = fs.readFileSync(path.join(own, file), "utf8");
        expect(history).toContain("echo typed-by-a-person");
        expect(history).not.toContain("exec-");
        expect(history).not.toMatch(BGTERM_TEXT);
      } finally {
        await local.cleanup();
        fs.rmSync(own, { recursive: true, force: true });
      }
    });
  }
});
