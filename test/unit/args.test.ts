// Argument parsing and value parsers: pure functions, no binary needed.
import { describe, expect, test } from "bun:test";
import { parseArgs, parseInteger, parseMs, parseSize } from "../../src/cli/args.ts";
import { BgtermError } from "../../src/errors.ts";

const def = {
  session: { type: "positional", required: true },
  text: { type: "positional", required: false },
  key: { type: "string", alias: "k" },
  enter: { type: "boolean", default: true },
} as const;

function usageCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof BgtermError ? error.exitCode : -1;
  }
  return undefined;
}

describe("parseArgs", () => {
  test("positionals, aliases, repeatable options and --no-", () => {
    const args = parseArgs(["3", "hi", "-k", "Up", "--key=Down", "--no-enter"], def as never, { repeatable: ["key"] });
    expect(args.session).toBe("3");
    expect(args.text).toBe("hi");
    expect(args.key).toEqual(["Up", "Down"]);
    expect(args.enter).toBe(false);
  });
  test("unknown options, surplus arguments and missing values are usage errors (2)", () => {
    expect(usageCode(() => parseArgs(["3", "--bogus"], def as never))).toBe(2);
    expect(usageCode(() => parseArgs(["3", "a", "b"], def as never))).toBe(2);
    expect(usageCode(() => parseArgs(["3", "-k"], def as never))).toBe(2);
    expect(usageCode(() => parseArgs([], def as never))).toBe(2);
  });
  test("everything after -- is positional", () => {
    expect(parseArgs(["3", "--", "--bogus"], def as never).text).toBe("--bogus");
  });
});

describe("value parsers", () => {
  test("sizes are powers of 1024", () => {
    expect(parseSize("512K", "--max-buffer")).toBe(512 * 1024);
    expect(parseSize("16M", "--max-buffer")).toBe(16 * 1024 ** 2);
    expect(parseSize("1GiB", "--max-buffer")).toBe(1024 ** 3);
    expect(usageCode(() => parseSize("0", "--max-buffer"))).toBe(2);
    expect(usageCode(() => parseSize("12X", "--max-buffer"))).toBe(2);
  });
  test("milliseconds and bounded integers", () => {
    expect(parseMs("250", "--idle")).toBe(250);
    expect(parseMs(undefined, "--idle")).toBeUndefined();
    expect(usageCode(() => parseMs("-1", "--idle"))).toBe(2);
    expect(parseInteger("80", "--cols", 1, 1000)).toBe(80);
    expect(usageCode(() => parseInteger("0", "--cols", 1, 1000))).toBe(2);
  });
});
