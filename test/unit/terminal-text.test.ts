// Pure pieces of terminal fidelity: --plain filtering, the query scanner on
// the output path, and the line model behind lines/grep/export txt.
import { describe, expect, test } from "bun:test";
import { renderLines } from "../../src/shared/line-model.ts";
import { createTerminal, parseNow } from "../../src/shared/terminal.ts";
import { QueryScanner } from "../../src/supervisor/query-scanner.ts";
import { PlainFilter } from "../../src/text/plain.ts";

function plainOf(...chunks: string[]): string {
  const filter = new PlainFilter();
  const parts = chunks.map((chunk) => filter.push(Buffer.from(chunk, "latin1")).toString("latin1"));
  return parts.join("") + filter.flush().toString("latin1");
}

describe("PlainFilter", () => {
  test("no C0 byte but \\n and \\t; CR runs before LF collapse; a lone CR starts a line", () => {
    expect(plainOf("a\r\r\nb\rc\x1e\td\b\x07\x7fe\n")).toBe("a\nb\nc\tde\n");
    expect(plainOf("\rstart\n\r\nend\r")).toBe("start\n\nend");
  });

  test("escape sequences go whole, also split across chunks", () => {
    expect(plainOf("x\x1b[", "1;31", "mred\x1b]0;ti", "tle\x07 \x1bP$q", "m\x1b\\ok")).toBe("xred ok");
    // An ESC inside a string ends it and starts a new sequence.
    expect(plainOf("\x1b]0;title\x1b[1mbold")).toBe("bold");
  });

  test("UTF-8 continuation bytes are text, not C1 controls", () => {
    expect(plainOf(Buffer.from("›団", "utf8").toString("latin1"))).toBe(Buffer.from("›団", "utf8").toString("latin1"));
  });
});

describe("QueryScanner", () => {
  test("finds queries, also split across chunks, and ignores other sequences", () => {
    const scanner = new QueryScanner();
    expect(scanner.scan(Buffer.from("plain \x1b[1mtext\x1b[K\x1b[2J"))).toBe(false);
    expect(scanner.scan(Buffer.from("ab\x1b[6n"))).toBe(true);
    expect(scanner.scan(Buffer.from("ab\x1b["))).toBe(false);
    expect(scanner.scan(Buffer.from(">c"))).toBe(true);
    expect(scanner.scan(Buffer.from("\x1b]11;"))).toBe(false);
    expect(scanner.scan(Buffer.from("?\x1b\\"))).toBe(true);
    expect(scanner.scan(Buffer.from("\x1b]0;title?\x07"))).toBe(false);
    for (const query of ["\x1b[c", "\x1b[5n", "\x1b[?2004$p", "\x1b[>q", "\x1b[18t", "\x1bP$qm\x1b\\"]) {
      expect(new QueryScanner().scan(Buffer.from(query))).toBe(true);
    }
  });
});

describe("line model", () => {
  test("each logical line as a terminal of that width shows it", async () => {
    const lines = await renderLines(20, [
      "Downloading ...\r\x1b[Kdone",
      "x\x1b[3Cy",
      "日本語\rab",
      "e\u0301a\rX",
      "a\tb",
      `${"0".repeat(25)}\rZZ`,
      "\x1b[1mplain\x1b[m text",
      "abc\x1b[Adef",
    ]);
    expect(lines).toEqual([
      "done",
      "x   y",
      "ab本語",
      "Xa",
      "a       b",
      `${"0".repeat(20)}ZZ000`,
      "plain text",
      "abc",
    ]);
  });
});

describe("the emulator", () => {
  test("answers the queries a modern xterm answers, from its state", async () => {
    const answers: string[] = [];
    const term = await createTerminal({ cols: 40, rows: 10, scrollback: 0, answer: (data) => answers.push(data) });
    parseNow(term, "\x1b[3;5Hab\x1b[6n\x1b[c\x1b[>c\x1b[5n\x1b[?2004$p\x1b[>q");
    parseNow(term, "\x1b]11;?\x07\x1b]4;1;?;244;?\x1b\\\x1b[18t\x1b[14t");
    expect(answers).toEqual([
      "\x1b[3;7R",
      "\x1b[?1;2c",
      "\x1b[>0;276;0c",
      "\x1b[0n",
      "\x1b[?2004;2$y",
      "\x1bP>|bgterm(0.1.0)\x1b\\",
      "\x1b]11;rgb:0000/0000/0000\x1b\\",
      "\x1b]4;1;rgb:cdcd/0000/0000\x1b\\",
      "\x1b]4;244;rgb:8080/8080/8080\x1b\\",
      "\x1b[8;10;40t",
      "\x1b[4;160;320t",
    ]);
  });

  test("Unicode 11 widths and DECCOLM", async () => {
    const term = await createTerminal({ cols: 40, rows: 5, scrollback: 0 });
    parseNow(term, "😀🚀#\x1b[20G|");
    expect(term.buffer.active.getLine(0)!.translateToString(true)).toBe(`😀🚀#${" ".repeat(14)}|`);
    parseNow(term, "\r\nold text\x1b[?3l");
    expect(term.buffer.active.getLine(1)!.translateToString(true)).toBe("old text");
    parseNow(term, "\x1b[?40h\x1b[?3lNEW");
    expect([0, 1].map((y) => term.buffer.active.getLine(y)!.translateToString(true))).toEqual(["NEW", ""]);
  });
});
