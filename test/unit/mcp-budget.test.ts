// The MCP output budget: head and tail kept, omitted bytes/lines/offsets exact,
// cuts never inside a UTF-8 character or an escape sequence.
import { describe, expect, test } from "bun:test";
import { BudgetCapture, budgetBuffer, safeHeadEnd, safeTailStart } from "../../src/mcp/budget.ts";

describe("budget", () => {
  test("small output passes whole", () => {
    const result = budgetBuffer(Buffer.from("hello\n"), 10, 100);
    expect(result.omitted).toBeNull();
    expect(result.head.toString()).toBe("hello\n");
  });

  test("large output keeps head and tail and counts what is left out", () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join("");
    const capture = new BudgetCapture(1000);
    // Delivered in uneven chunks, starting at absolute offset 500.
    const bytes = Buffer.from(lines);
    for (let at = 0; at < bytes.length; at += 77) capture.write(bytes.subarray(at, at + 77), 500 + at);
    const { head, tail, omitted } = capture.finish();
    expect(head.length + tail.length).toBeLessThanOrEqual(1000);
    expect(head.toString().startsWith("line 0\n")).toBe(true);
    expect(tail.toString().endsWith("line 999\n")).toBe(true);
    // Cuts fall at line ends, and the omitted range is exactly what is missing.
    expect(head.toString().endsWith("\n")).toBe(true);
    expect(omitted).not.toBeNull();
    const o = omitted!;
    expect(o.from_offset).toBe(500 + head.length);
    expect(o.to_offset).toBe(500 + bytes.length - tail.length);
    expect(o.bytes).toBe(bytes.length - head.length - tail.length);
    const middle = bytes.subarray(o.from_offset - 500, o.to_offset - 500).toString();
    expect(o.lines).toBe(middle.split("\n").length - 1);
    expect(head.toString() + middle + tail.toString()).toBe(lines);
  });

  test("never cuts inside a UTF-8 character", () => {
    const text = Buffer.from("é".repeat(3000)); // 2 bytes each, no newlines
    for (const budget of [101, 102, 333, 1000]) {
      const { head, tail, omitted } = budgetBuffer(text, 0, budget);
      expect(head.toString()).not.toContain("\uFFFD");
      expect(tail.toString()).not.toContain("\uFFFD");
      expect(omitted!.bytes % 2).toBe(0);
    }
  });

  test("never cuts inside an escape sequence", () => {
    const unit = "\x1b[38;5;196mred\x1b[0m \x1b]0;title\x07";
    const text = Buffer.from(unit.repeat(400));
    for (let budget = 50; budget < 400; budget += 7) {
      const { head, tail } = budgetBuffer(text, 0, budget);
      // A kept part starts at a unit boundary or inside plain text, and
      // every ESC it holds begins a sequence that ends inside it.
      for (const part of [head, tail]) {
        const s = part.toString();
        expect(/\x1b(\[[0-9;]*m|\]0;title\x07)/.test(s) || !s.includes("\x1b")).toBe(true);
        const stripped = s.replace(/\x1b\[[0-9;]*m|\x1b\]0;title\x07/g, "");
        expect(stripped).not.toContain("\x1b");
        expect(stripped).not.toMatch(/^[0-9;]*m|^;title|^0;/);
      }
    }
  });

  test("safe cuts step around a sequence", () => {
    const bytes = Buffer.from("abc\x1b[31mdef");
    expect(safeHeadEnd(bytes, 6)).toBe(3);
    expect(safeTailStart(bytes, 6)).toBe(8);
  });
});
