// The output path's mark filter: marks with the session's nonce are removed
// and reported in order, even split across chunks; others pass untouched.
import { expect, test } from "bun:test";
import { parseMark, type ShellMark, ShellMarks } from "../../src/supervisor/shell-marks.ts";

function collect() {
  const events: (string | ShellMark)[] = [];
  const marks = new ShellMarks("n0nce", {
    output: (bytes) => events.push(Buffer.from(bytes).toString("latin1")),
    mark: (mark) => events.push(mark),
  });
  return { marks, events, text: () => events.filter((e) => typeof e === "string").join("") };
}

test("own marks are removed and reported; foreign ones pass through", () => {
  const { marks, events, text } = collect();
  marks.feed(
    Buffer.from("a\x1b]133;A;bgterm=n0nce;pid=7\x07b\x1b]133;D;0;bgterm=other\x07c\x1b]133;D;3;bgterm=n0nce\x1b\\d"),
  );
  expect(text()).toBe("ab\x1b]133;D;0;bgterm=other\x07cd");
  expect(events.filter((e) => typeof e !== "string")).toEqual([
    { kind: "A", pid: 7 },
    { kind: "D", status: 3 },
  ]);
});

test("a mark split across chunks at every byte is still removed", () => {
  const whole = "x\x1b]133;C;bgterm=n0nce;cmd=ls -l\x07y";
  for (let cut = 1; cut < whole.length; cut++) {
    const { marks, events, text } = collect();
    marks.feed(Buffer.from(whole.slice(0, cut), "latin1"));
    marks.feed(Buffer.from(whole.slice(cut), "latin1"));
    expect(text()).toBe("xy");
    expect(events.find((e) => typeof e !== "string")).toEqual({ kind: "C", command: "ls -l" });
  }
});

test("hidden output is replaced when the awaited mark arrives", () => {
  const { marks, text } = collect();
  marks.feed(Buffer.from("$ "));
  marks.hideUntil("C", "echo hi\r\n", 1000);
  marks.feed(Buffer.from(" printf wrapper line\r\n\x1b]133;C;bgterm=n0nce\x07hi\r\n"));
  expect(text()).toBe("$ echo hi\r\nhi\r\n");
});

test("parseMark needs the exact nonce field", () => {
  expect(parseMark("A;bgterm=n0nce", "n0nce")).toEqual({ kind: "A" });
  expect(parseMark("A;bgterm=n0nceX", "n0nce")).toBeUndefined();
  expect(parseMark("C;bgterm=x;cmd=;bgterm=n0nce", "n0nce")).toBeUndefined();
  expect(parseMark("Z;bgterm=n0nce", "n0nce")).toBeUndefined();
});
