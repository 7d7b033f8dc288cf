// Terminal fidelity with real full-screen programs: screen snapshots, keys in
// the encodings programs expect, bracketed paste, lines and grep.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { Bg, ensureProgram, eventually } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

async function screen(id: string): Promise<{
  lines: string[];
  alternate_screen: boolean;
  cursor_x: number;
  cursor_y: number;
  rows: number;
  cols: number;
}> {
  return bg.json(["screen", id]);
}

// Waits until the rendered screen satisfies check (programs redraw at their own pace).
async function screenUntil(id: string, check: (text: string, alternate: boolean) => boolean, what: string) {
  let last = "";
  await eventually(
    async () => {
      const s = await screen(id);
      last = s.lines.join("\n");
      return check(last, s.alternate_screen);
    },
    `${what}; last screen:\n${last}`,
    15_000,
  );
  return last;
}

describe("screen", () => {
  test("vim: alternate screen while it runs, the shell's screen after; :wq writes the file", async () => {
    ensureProgram("vim");
    const file = path.join(bg.stateDir, "note.txt");
    const id = await bg.start(["--cols", "80", "--rows", "24", "bash", "--norc", "--noprofile"]);
    await bg.ok(["send", id, "echo before-vim"]);
    await bg.ok(["send", id, `vim -u NONE -N ${file}`, "--yield", "0"]);
    await screenUntil(id, (text, alt) => alt && text.includes("~"), "vim's alternate screen with empty-line markers");
    await bg.ok(["send", id, "i", "--no-enter", "--yield", "0"]);
    await bg.ok(["send", id, "hello from vim", "--no-enter", "--yield", "0"]);
    await bg.ok(["send", id, "-k", "Escape", "--yield", "0"]);
    await screenUntil(id, (text) => text.includes("hello from vim"), "the typed text on vim's screen");
    await bg.ok(["send", id, ":wq", "--yield", "0"]);
    await eventually(
      () => fs.existsSync(file) && fs.readFileSync(file, "utf8") === "hello from vim\n",
      "vim to write the file",
    );
    const after = await screenUntil(
      id,
      (text, alt) => !alt && text.includes("before-vim"),
      "the shell's screen after vim quits",
    );
    expect(after).not.toContain("hello from vim");
    await bg.ok(["close", id]);
  });

  test("less on a 200-line file: first page, PageDown moves it, q quits", async () => {
    ensureProgram("less");
    const file = path.join(bg.stateDir, "long.txt");
    fs.writeFileSync(
      file,
      Array.from({ length: 200 }, (_, i) => `row ${String(i + 1).padStart(3, "0")}`).join("\n") + "\n",
    );
    const id = await bg.start(["--rows", "24", "-e", "LESS=", "less", file]);
    const first = await screenUntil(id, (text) => text.includes("row 001"), "less's first page");
    expect(first).toContain("row 023");
    expect(first).not.toContain("row 030");
    await bg.ok(["send", id, "-k", "PageDown", "--yield", "0"]);
    const second = await screenUntil(
      id,
      (text) => !text.includes("row 001") && text.includes("row 030"),
      "the next page",
    );
    expect(second).toContain("row 024");
    await bg.ok(["send", id, "q", "--no-enter", "--yield", "0"]);
    expect((await bg.run(["wait", id, "--timeout", "10000"])).code).toBe(0);
    await bg.ok(["close", id]);
  });

  test("top: the screen has its header", async () => {
    ensureProgram("top", "procps");
    const id = await bg.start(["top", "-d", "1"]);
    await screenUntil(id, (text) => /^top - /m.test(text) && /Tasks:/.test(text), "top's header");
    await bg.ok(["send", id, "q", "--no-enter", "--yield", "0"]);
    await bg.ok(["close", id]);
  });

  test("--json shape, cursor, and --scrollback", async () => {
    const id = await bg.start([
      "--cols",
      "40",
      "--rows",
      "5",
      "sh",
      "-c",
      "for i in 1 2 3 4 5 6 7 8; do echo line$i; done; printf 'prompt> '; sleep 30",
    ]);
    await bg.readUntil(id, /prompt> /);
    const json = await screen(id);
    expect(Object.keys(json).sort()).toEqual(
      ["alternate_screen", "approximate", "cols", "cursor_x", "cursor_y", "end_offset", "lines", "rows"].sort(),
    );
    expect([json.rows, json.cols, json.cursor_x, json.cursor_y, json.alternate_screen]).toEqual([5, 40, 8, 4, false]);
    expect(json.lines).toEqual(["line5", "line6", "line7", "line8", "prompt>"]);
    const withHistory = await bg.json(["screen", id, "--scrollback", "2"]);
    expect(withHistory.lines.slice(0, 3)).toEqual(["line3", "line4", "line5"]);
    expect(await bg.ok(["screen", id, "--cursor"])).toEndWith("prompt>\n[cursor row 4 col 8]\n");
    await bg.ok(["close", id]);
  });

  test("keys follow application cursor mode; the screen stays right after the program exits", async () => {
    // In application cursor mode (ESC [ ? 1 h) Up must arrive as ESC O A.
    const id = await bg.start([
      "sh",
      "-c",
      "stty raw -echo; printf '\\033[?1h'; echo ready; head -c 6 | od -An -tx1; sleep 30",
    ]);
    await bg.readUntil(id, /ready/);
    await bg.ok(["send", id, "-k", "Up", "-k", "Left", "--yield", "0"]);
    expect((await bg.readUntil(id, /1b/)).replace(/\s+/g, " ").trim()).toBe("1b 4f 41 1b 4f 44");
    await bg.ok(["close", id]);
    const ended = await bg.start(["sh", "-c", "printf 'final words\\n'"]);
    await bg.ok(["wait", ended]);
    expect((await screen(ended)).lines[0]).toBe("final words");
    await bg.ok(["close", ended]);
  });
});

describe("REPLs", () => {
  // Skipped (and counted as skipped) when ipython3 is missing and cannot be installed.
  const ipython = fs.existsSync("/usr/bin/ipython3")
    ? "/usr/bin/ipython3"
    : ensureProgram("ipython3") && fs.existsSync("/usr/bin/ipython3")
      ? "/usr/bin/ipython3"
      : undefined;
  test.skipIf(!ipython)(
    "ipython (prompt_toolkit): a multi-line function pasted with --stdin, then called",
    async () => {
      const id = await bg.start([ipython!, "--no-banner", "--colors=NoColor"]);
      await bg.readUntil(id, /In \[1\]/, 30_000);
      await bg.ok(["send", id, "--stdin", "--idle", "300"], {
        stdin: "def double_plus(x):\n    y = x * 2\n    return y + 1\n",
      });
      await bg.ok(["send", id, "--idle", "300"]); // the empty line that ends the block
      await bg.ok(["send", id, "double_plus(20)", "--idle", "300"]);
      // prompt_toolkit draws with cursor movements: read the rendered screen.
      const text = await screenUntil(id, (t) => t.includes("Out[2]: 41"), "ipython's answer");
      expect(text).toContain("Out[2]: 41");
      expect(text).toContain("   ...:     return y + 1");
      await bg.ok(["close", id]);
    },
  );

  test("sqlite3: create a table, insert, select", async () => {
    ensureProgram("sqlite3");
    const id = await bg.start(["sqlite3"]);
    await bg.readUntil(id, /sqlite> $/);
    await bg.ok(["send", id, "create table pets (name text, legs int);"]);
    await bg.ok(["send", id, "insert into pets values ('cat', 4), ('bird', 2);"]);
    const out = await bg.ok([
      "send",
      id,
      "select name || '=' || legs from pets order by legs;",
      "--until",
      "cat=4",
      "--plain",
    ]);
    expect(out).toContain("bird=2\ncat=4\n");
    await bg.ok(["close", id]);
  });
});

describe("lines and grep", () => {
  test("numbering across 10,000 lines, ranges, --tail, and lines dropped by retention", async () => {
    const id = await bg.start([
      "--max-buffer",
      "64K",
      "sh",
      "-c",
      "i=0; while [ $i -lt 10000 ]; do echo line-$i; i=$((i+1)); done; sleep 30",
    ]);
    await bg.readUntil(id, /line-9999\n/, 30_000);
    const all = await bg.json(["lines", id]);
    expect(all.line_count).toBe(10000);
    expect(all.end_line).toBe(10000);
    expect(all.dropped_lines).toBe(all.start_line);
    expect(all.start_line).toBeGreaterThan(0);
    all.lines.forEach((line: string, i: number) => {
      expect(line).toBe(`line-${all.start_line + i}`);
    });
    expect(await bg.ok(["lines", id, "9000:9003"])).toBe("line-9000\nline-9001\nline-9002\n");
    expect(await bg.ok(["lines", id, "--tail", "2", "-n"])).toBe("9998\tline-9998\n9999\tline-9999\n");
    await bg.ok(["close", id]);
  });

  test("carriage-return progress bars resolve to their final text", async () => {
    const id = await bg.start([
      "sh",
      "-c",
      "printf 'abcdef\\rXY\\n'; for p in 10 50 100; do printf '\\rprogress %s%%' $p; done; printf '\\ndone\\n'; sleep 30",
    ]);
    await bg.readUntil(id, /done/);
    expect(await bg.ok(["lines", id])).toBe("XYcdef\nprogress 100%\ndone\n");
    await bg.ok(["close", id]);
  });

  test("grep over three sessions: ID:LINE:text, --json, -i, --regex, exit 1 on no match", async () => {
    const ids = [];
    for (const word of ["apple", "Banana", "cherry apple"]) {
      const id = await bg.start(["sh", "-c", `echo first; echo ${word}; sleep 30`]);
      await bg.readUntil(id, new RegExp(word.split(" ")[0]!));
      ids.push(id);
    }
    expect(await bg.ok(["grep", "apple", ...ids])).toBe(`${ids[0]}:1:apple\n${ids[2]}:1:cherry apple\n`);
    expect(await bg.ok(["grep", "-i", "banana", ...ids])).toBe(`${ids[1]}:1:Banana\n`);
    expect(await bg.json(["grep", "^ch.rry", "--regex", ...ids])).toEqual([
      { id: Number(ids[2]), name: null, line: 1, text: "cherry apple" },
    ]);
    const none = await bg.run(["grep", "durian", ...ids]);
    expect(none.code).toBe(1);
    await bg.ok(["close", ...ids]);
  });
});
