// Being a real terminal (issue 10): queries answered, Unicode widths, screen
// during a flood and past retention, screen --ansi replayable, lines as a
// terminal of the session's width shows them, patterns on visible text,
// --plain without control bytes, quiet EPIPE.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, Bg, ensureProgram, eventually } from "../helpers.ts";

const bg = new Bg();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-term-"));
afterAll(async () => {
  await bg.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function screenText(id: string): Promise<string> {
  return (await bg.json(["screen", id])).lines.join("\n");
}

async function screenUntil(id: string, check: (text: string) => boolean, what: string): Promise<string> {
  let last = "";
  await eventually(
    async () => {
      last = await screenText(id);
      return check(last);
    },
    `${what}; last screen:\n${last}`,
    20_000,
  );
  return last;
}

// A bash script run in a session (bash for read -s -d).
function script(name: string, body: string): string {
  const file = path.join(tmp, `${name}.sh`);
  fs.writeFileSync(file, body);
  return file;
}

describe("terminal queries are answered", () => {
  test("CPR and DA1 round trips through a shell's read, not echoed, not recorded as input", async () => {
    const file = script(
      "cpr",
      `stty -echo; printf 'ab\\e[6n'; IFS= read -rs -d R pos; printf '\\e[c'; IFS= read -rs -d c da
printf '\\npos=%s da=%s\\n' "\${pos#?}" "\${da#?}"; exec sleep 60\n`,
    );
    const id = await bg.start(["--", "bash", file]);
    await bg.readUntil(id, /da=/);
    const text = await screenText(id);
    expect(text).toContain("pos=[1;3 da=[?1;2");
    // Answers are terminal input, not a user's: the recording has no input event.
    const cast = await bg.ok(["export", id]);
    expect(cast.split("\n").filter((line) => line.includes('"i"'))).toEqual([]);
    await bg.ok(["close", id]);
  });

  test("ipython starts with no CPR warning", async () => {
    const ipython = ensureProgram("ipython3");
    if (!ipython) return console.warn("ipython3 missing: skipped");
    const home = fs.mkdtempSync(path.join(tmp, "home-"));
    const id = await bg.start(["-e", `HOME=${home}`, "--", ipython, "--no-banner", "--HistoryManager.enabled=False"]);
    await screenUntil(id, (text) => /In \[1\]:/.test(text), "ipython's prompt");
    await bg.ok(["send", id, "print(6 * 7)"]);
    await screenUntil(id, (text) => /^42$/m.test(text) && /In \[2\]:/.test(text), "the answer and the next prompt");
    const lines = await bg.ok(["lines", id]);
    expect(lines).not.toContain("CPR");
    expect(lines).not.toContain("WARNING");
    await bg.ok(["close", id]);
  });

  test("vttest: the first menu and the cursor-movement screen render", async () => {
    const vttest = ensureProgram("vttest");
    if (!vttest) return console.warn("vttest missing: skipped");
    const id = await bg.start(["--", vttest]);
    await screenUntil(id, (text) => /Enter choice number \(0 - \d+\)/.test(text), "vttest's menu");
    expect(await screenText(id)).toContain("1. Test of cursor movements");
    await bg.ok(["send", id, "1"]);
    // The first test draws a frame of '*' and '+' around the screen and a frame of E's in the middle.
    const drawn = await screenUntil(id, (text) => /\*{10}/.test(text) && /EEEEE/.test(text), "the border test");
    const rows = drawn.split("\n");
    expect(rows[0]).toMatch(/^\*{80}$/);
    expect(rows[23]).toMatch(/^\*{80}$/);
    expect(rows[1]).toMatch(/^\*\+{78}\*$/);
    await bg.ok(["close", id]);
  });
});

describe("Unicode widths and the screen", () => {
  test("emoji take two cells in screen and in the cursor position", async () => {
    const id = await bg.start(["--", "sh", "-c", "printf '😀🚀#\\033[20G|\\n😀😀'; exec sleep 60"]);
    const json = await eventually(async () => (await screenText(id)).includes("😀😀"), "the emoji").then(() =>
      bg.json(["screen", id]),
    );
    expect(json.lines[0]).toBe(`😀🚀#${" ".repeat(14)}|`);
    expect([json.cursor_x, json.cursor_y]).toEqual([4, 1]);
    await bg.ok(["close", id]);
  });

  test("DECCOLM after ?40h clears the screen and homes the cursor", async () => {
    const id = await bg.start(["--", "sh", "-c", "printf 'old text\\033[?40h\\033[?3lNEW'; exec sleep 60"]);
    await screenUntil(id, (text) => text.includes("NEW"), "NEW");
    const json = await bg.json(["screen", id]);
    expect(json.lines[0]).toBe("NEW");
    expect(json.lines.slice(1).every((line: string) => line === "")).toBe(true);
    await bg.ok(["close", id]);
  });

  test("screen answers during a flood, naming the offset it shows", async () => {
    const id = await bg.start(["--", "yes", "flood"]);
    await bg.readUntil(id, /flood/);
    for (let i = 0; i < 3; i++) {
      const json = await bg.json(["screen", id]);
      expect(json.lines[0]).toBe("flood");
      expect(json.end_offset).toBeGreaterThan(0);
      const info = await bg.json(["info", id]);
      expect(info.end_offset).toBeGreaterThanOrEqual(json.end_offset);
    }
    await bg.ok(["close", id]);
  });

  test("during a never-ending flood, screen shows exactly the output up to the end_offset it names", async () => {
    // Line n is "%08d\r\n": 10 bytes, so byte offset k falls in line floor(k / 10) + 1.
    const id = await bg.start(["--", "awk", 'BEGIN { for (i = 1; ; i++) printf "%08d\\n", i }']);
    await bg.readUntil(id, /00000100/);
    const pad = (n: number) => String(n).padStart(8, "0");
    let previous = 0;
    for (let i = 0; i < 3; i++) {
      const json = await bg.json(["screen", id]);
      const info = await bg.json(["info", id]);
      expect(info.state).toBe("running");
      const offset: number = json.end_offset;
      expect(offset).toBeGreaterThanOrEqual(Math.max(previous, 1000));
      expect(offset).toBeLessThanOrEqual(info.end_offset);
      previous = offset;
      // The last rows are the lines before end_offset, the last one cut where
      // end_offset falls: after its "\n" the cursor starts the next row, after
      // its "\r" it is back at column 0, else it stands after the digits.
      const full = Math.floor(offset / 10);
      const part = offset % 10;
      const expected =
        part === 0
          ? [pad(full - 2), pad(full - 1), pad(full)]
          : [pad(full - 1), pad(full), pad(full + 1).slice(0, Math.min(part, 8))];
      const rows: string[] = json.lines;
      const last = rows.findLastIndex((line) => line !== "");
      expect(rows.slice(last - 2, last + 1)).toEqual(expected);
      expect([json.cursor_y, json.cursor_x]).toEqual(
        part === 0 ? [last + 1, 0] : [last, part === 9 ? 0 : Math.min(part, 8)],
      );
    }
    await bg.ok(["close", id]);
  });

  test("the screen is exact after output ran past retention before anyone looked", async () => {
    const file = script(
      "retention",
      `printf '\\e[?1049h\\e[H\\e[2JHEADER LINE\\n'; for i in $(seq 1 20000); do printf '\\e[5;1Hcount %d\\e[K' $i; done; printf '\\e[6;1Hdone'; exec sleep 60\n`,
    );
    const id = await bg.start(["--max-buffer", "64K", "--", "bash", file]);
    await bg.readUntil(id, /done/, 60_000);
    const json = await bg.json(["screen", id]);
    expect(json.alternate_screen).toBe(true);
    expect(json.approximate).toBe(false);
    expect(json.lines.slice(0, 6)).toEqual(["HEADER LINE", "", "", "", "count 20000", "done"]);
    await bg.ok(["close", id]);
  });

  test("screen --ansi: exactly rows lines, and replaying it gives the same screen", async () => {
    const draw = script(
      "draw",
      `printf 'main screen line\\n'; printf '\\e[?1049h\\e[H\\e[2J\\e[7m first row reversed \\e[m\\n\\e[1;31mbold red\\e[m plain \\e[38;5;46mgreen\\e[m\\n'
printf '\\e[5;10H\\e[44m  blue bg  \\e[m\\e[10;1H日本語 😀 x\\e[24;1H\\e[4munderlined last row\\e[m\\e[3;1H'; exec sleep 60\n`,
    );
    const id = await bg.start(["--", "bash", draw]);
    await screenUntil(id, (text) => text.includes("underlined last row"), "the drawing");
    const ansi = await bg.ok(["screen", id, "--ansi"]);
    const rows = ansi.replace(/\n$/, "").split("\n");
    expect(rows.length).toBe(24);
    expect(rows[0]).toBe("\x1b[0;7m first row reversed \x1b[0m");
    expect(ansi).not.toContain("main screen line");
    expect(ansi).not.toContain("\x1b[?1049h");
    fs.writeFileSync(path.join(tmp, "replay.txt"), rows.join("\n"));
    const replay = await bg.start([
      "--",
      "sh",
      "-c",
      `printf '\\033[H\\033[2J'; cat '${path.join(tmp, "replay.txt")}'; exec sleep 60`,
    ]);
    await screenUntil(replay, (text) => text.includes("underlined last row"), "the replay");
    const original = await bg.json(["screen", id]);
    const replayed = await bg.json(["screen", replay]);
    expect(replayed.lines).toEqual(original.lines);
    expect(await bg.ok(["screen", replay, "--ansi"])).toBe(ansi);
    await bg.ok(["close", id, replay]);
  });
});

describe("lines: as a terminal of the session's width shows them", () => {
  test("erase, cursor motion, wide and combining characters, tabs, soft wraps", async () => {
    const body = [
      "Downloading file.tar.gz ...\\r\\e[Kdone",
      "abc\\r\\e[2Kx",
      "hello\\e[3D\\e[Kz",
      "x\\e[10Cy",
      "abcdef\\e[3GZ",
      "日本語\\rab",
      "e\\314\\201a\\rX",
      "a\\tb",
      "%050d\\rZZ",
      "\\e[1;31mred\\e[0m plain",
      "😀🚀#\\e[20G|",
    ];
    const file = script("lines", `printf '${body.join("\\n")}\\n' 0; exec sleep 60\n`);
    const id = await bg.start(["--cols", "40", "--", "bash", file]);
    await bg.readUntil(id, /plain/);
    await eventually(async () => (await bg.ok(["lines", id])).includes("|"), "the last line");
    const lines = (await bg.ok(["lines", id])).replace(/\n$/, "").split("\n");
    expect(lines).toEqual([
      "done",
      "x",
      "hez",
      `x${" ".repeat(10)}y`,
      "abZdef",
      "ab本語",
      "Xa",
      `a${" ".repeat(7)}b`,
      // 50 columns on a 40-column terminal: the CR goes to the start of the last row.
      `${"0".repeat(40)}ZZ${"0".repeat(8)}`,
      "red plain",
      `😀🚀#${" ".repeat(14)}|`,
    ]);
    expect(await bg.ok(["lines", id, "--tail", "2"])).toBe(`red plain\n😀🚀#${" ".repeat(14)}|\n`);
    expect(await bg.ok(["export", id, "--format", "txt"])).toBe(`${lines.join("\n")}\n`);
    await bg.ok(["close", id]);
  });
});

describe("patterns match the text a user sees", () => {
  test("--ready and --until see through colours; --match-raw matches bytes", async () => {
    const prompt = "printf 'In [\\033[0;92;1m1\\033[0;32m]: '; exec sleep 60";
    const id = await bg.start(["--ready", "In \\[1\\]: ", "--ready-timeout", "20000", "--", "sh", "-c", prompt]);
    // Each poll its own reader: every one sees the whole output.
    const poll = (reader: string, ...args: string[]) => bg.run(["poll", id, "--reader", reader, ...args]);
    expect((await poll("a", "--until", "^In \\[1\\]: $", "--yield", "20000")).text).toContain("In [");
    expect((await poll("b", "--until", "In \\[1\\]", "--match-raw", "--yield", "300")).code).toBe(124);
    expect((await poll("c", "--until", "92;1m1", "--match-raw", "--yield", "20000")).code).toBe(0);
    // Lines are text as shown: colours gone, trailing blanks too.
    expect(await bg.ok(["grep", "--regex", "^In \\[1\\]:$", id])).toBe(`${id}:0:In [1]:\n`);
    await bg.ok(["close", id]);
  });

  test("--plain leaves no control byte but newline and tab", async () => {
    const bytes = "one\\r\\r\\ntwo\\rthree\\036\\tfour\\b\\a\\033[1mbold\\033[m\\033]0;title\\007\\n";
    const id = await bg.start(["--", "sh", "-c", `printf '${bytes}'; exec sleep 60`]);
    await bg.readUntil(id, /bold/, 15_000, "probe");
    const plain = await bg.run(["read", id, "--plain"]);
    expect(plain.text).toBe("one\ntwo\nthree\tfourbold\n");
    expect(/[\x00-\x08\x0b-\x1f\x7f]/.test(plain.text)).toBe(false);
    await bg.ok(["close", id]);
  });
});

describe("a closed stdout", () => {
  test("exits quietly, and a read whose output could not be written leaves the cursor", async () => {
    const id = await bg.start(["--", "sh", "-c", "seq 1 100000; exec sleep 60"]);
    await bg.readUntil(id, /^100000$/m, 20_000, "probe");
    const env = bg.env();
    for (const command of [["lines", id], ["read", id], ["ls"], ["export", id]]) {
      const pipeline = Bun.spawn(
        ["bash", "-c", `"$0" "$@" | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}" >&2`, BIN, ...command],
        {
          env,
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const [stderr] = await Promise.all([new Response(pipeline.stderr).text(), pipeline.exited]);
      expect(stderr.trim()).toMatch(/^(0|141)$/);
    }
    // The read above could not write everything: the cursor did not move.
    const json = await bg.json(["read", id, "--limit", "10"]);
    expect(json.start_offset).toBe(0);
    await bg.ok(["close", id]);
  });
});
