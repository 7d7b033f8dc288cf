// The text modules: key encoding, --plain filtering, UTF-8 boundaries.
import { describe, expect, test } from "bun:test";
import { BgtermError } from "../../src/errors.ts";
import { bracketPaste, encodeKey, KEY_NAMES } from "../../src/text/keys.ts";
import { PlainFilter } from "../../src/text/plain.ts";
import { incompleteUtf8Suffix } from "../../src/text/utf8.ts";

describe("key encoding", () => {
  test.each([
    ["Enter", "\r"],
    ["tab", "\t"],
    ["C-c", "\x03"],
    ["c-A", "\x01"],
    ["C-]", "\x1d"],
    ["C-?", "\x7f"],
    ["M-x", "\x1bx"],
    ["M-Up", "\x1b\x1b[A"],
    ["Up", "\x1b[A"],
    ["F1", "\x1bOP"],
    ["F12", "\x1b[24~"],
    ["PageDown", "\x1b[6~"],
    ["q", "q"],
    ["Q", "Q"],
    [":", ":"],
    ["é", "é"],
  ])("%s", (name, bytes) => {
    expect(encodeKey(name)).toBe(bytes);
  });

  test("every name completions offer encodes; aliases encode like their key", () => {
    expect(KEY_NAMES).toContain("Escape");
    expect(KEY_NAMES).toContain("F12");
    for (const name of KEY_NAMES) expect(encodeKey(name).length).toBeGreaterThan(0);
    expect([encodeKey("esc"), encodeKey("ppage"), encodeKey("npage"), encodeKey("dc")]).toEqual([
      encodeKey("Escape"),
      encodeKey("PageUp"),
      encodeKey("PageDown"),
      encodeKey("Delete"),
    ]);
  });

  test("cursor keys follow application cursor mode; others do not", () => {
    const app = { applicationCursor: true };
    expect(encodeKey("Up", app)).toBe("\x1bOA");
    expect(encodeKey("home", app)).toBe("\x1bOH");
    expect(encodeKey("PageUp", app)).toBe("\x1b[5~");
    expect(encodeKey("M-Left", app)).toBe("\x1b\x1bOD");
  });

  test("an unknown key is a usage error naming it", () => {
    let error: unknown;
    expect(() => encodeKey("\x07")).toThrow(BgtermError); // one character, but a control character
    try {
      encodeKey("Hyper-x");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BgtermError);
    expect((error as BgtermError).exitCode).toBe(2);
    expect((error as BgtermError).message).toStartWith("unknown key 'Hyper-x'");
  });

  test("bracketed paste wraps the bytes unchanged", () => {
    expect(bracketPaste(Buffer.from("a\nb")).toString()).toBe("\x1b[200~a\nb\x1b[201~");
  });
});

describe("--plain filtering", () => {
  const plain = (...chunks: string[]) => {
    const filter = new PlainFilter();
    return Buffer.concat([...chunks.map((chunk) => filter.push(Buffer.from(chunk))), filter.flush()]).toString();
  };

  test("CSI, OSC (BEL and ST), short escapes and charset selection go; text stays", () => {
    expect(plain("\x1b[1;31mred\x1b[0m \x1b]0;title\x07x \x1b]8;;url\x1b\\link\x1b]8;;\x1b\\ \x1b=\x1b(Bok")).toBe(
      "red x link ok",
    );
  });

  test("CRLF becomes LF, a lone CR starts a line, also across chunks (issue 10: no C0 but \\n, \\t)", () => {
    expect(plain("a\r\nb\rc")).toBe("a\nb\nc");
    expect(plain("a\r", "\nb")).toBe("a\nb");
    expect(plain("end\r")).toBe("end");
  });

  test("a sequence split across chunks is removed whole", () => {
    expect(plain("x\x1b", "[3", "2mgreen\x1b]0;t", "itle\x07y")).toBe("xgreeny");
  });

  test("CSI as a UTF-8 C1 control (C2 9B) is removed, also split across chunks", () => {
    expect(plain("a\u009b2Jb")).toBe("ab");
    const filter = new PlainFilter();
    const out = [
      filter.push(Buffer.from([0x61, 0xc2])),
      filter.push(Buffer.from([0x9b, 0x32, 0x4a, 0x62])),
      filter.flush(),
    ];
    expect(Buffer.concat(out).toString()).toBe("ab");
  });

  test("characters whose UTF-8 holds a 9B byte survive (ě is C4 9B); a trailing C2 is kept", () => {
    expect(plain("děkuji ě £")).toBe("děkuji ě £");
    const filter = new PlainFilter();
    expect([...Buffer.concat([filter.push(Buffer.from([0x41, 0xc2])), filter.flush()])]).toEqual([0x41, 0xc2]);
  });
});

describe("UTF-8 boundaries", () => {
  const suffix = (hex: string) => incompleteUtf8Suffix(Buffer.from(hex.replace(/ /g, ""), "hex"));

  test("whole characters leave nothing to cut", () => {
    expect(suffix("")).toBe(0);
    expect(suffix("41 42")).toBe(0);
    expect(suffix("c3 a9")).toBe(0); // é
    expect(suffix("e2 82 ac")).toBe(0); // €
    expect(suffix("f0 9f 98 80")).toBe(0); // 😀
  });

  test("the incomplete start of a character is cut", () => {
    expect(suffix("41 c3")).toBe(1);
    expect(suffix("41 e2 82")).toBe(2);
    expect(suffix("f0 9f 98")).toBe(3);
    expect(suffix("f0")).toBe(1);
  });

  test("invalid bytes are not held back (they decode to U+FFFD either way)", () => {
    expect(suffix("41 ff")).toBe(0);
    expect(suffix("41 c0")).toBe(0); // overlong lead
    expect(suffix("80 80 80")).toBe(0); // continuations without a lead
    expect(suffix("41 f5")).toBe(0); // beyond U+10FFFF
  });
});
