// Argument parsing from a command declaration, and the value parsers: pure
// functions, no binary needed.
import { describe, expect, test } from "bun:test";
import { parseArgs, parseInteger, parseJsonArgs, parseMs, parseSize } from "../../src/cli/args.ts";
import { command, sessionArg } from "../../src/cli/command.ts";
import { BgtermError } from "../../src/errors.ts";

const send = command({
  name: "send-like",
  summary: "test",
  args: [sessionArg, { name: "text", optional: true, help: "text" }],
  options: {
    key: { kind: "key", short: "k", repeat: true, help: "keys" },
    enter: { kind: "boolean", default: true, help: "enter" },
    flag: { kind: "boolean", help: "a plain flag" },
    yield: { kind: "duration", default: 10_000, help: "wait" },
    size: { kind: "size", help: "bytes" },
    cols: { kind: "integer", min: 1, max: 1000, help: "cols" },
    format: { kind: "enum", values: ["cast", "txt"], help: "format" },
    until: { kind: "regex", help: "pattern" },
    env: { kind: "pair", short: "e", repeat: true, help: "KEY=VALUE" },
  },
  async run() {},
});

const start = command({
  name: "start-like",
  summary: "test",
  args: [{ name: "command", kind: "command", optional: true, help: "program" }],
  options: { name: { kind: "name", short: "n", help: "name" } },
  async run() {},
});

const many = command({
  name: "close-like",
  summary: "test",
  args: [{ name: "sessions", kind: "session", many: true, help: "sessions" }],
  async run() {},
});

function usageCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof BgtermError ? error.exitCode : -1;
  }
  return undefined;
}

describe("parseArgs", () => {
  test("positionals, short options, repeatable options, --no- and defaults", () => {
    const args = parseArgs(["3", "hi", "-k", "Up", "--key=Down", "--no-enter", "-k=Tab"], send);
    expect(args.session).toBe("3");
    expect(args.text).toBe("hi");
    expect(args.key).toEqual(["Up", "Down", "Tab"]);
    expect(args.enter).toBe(false);
    expect(args.yield).toBe(10_000);
    expect(args.flag).toBeUndefined();
    expect(parseArgs(["3"], send).key).toEqual([]);
  });
  test("values are checked and converted by kind", () => {
    const args = parseArgs(["3", "--yield", "2s", "--size", "512K", "--cols", "80", "--format", "txt"], send);
    expect(args.yield).toBe(2000);
    expect(args.size).toBe(512 * 1024);
    expect(args.cols).toBe(80);
    expect(args.format).toBe("txt");
    expect(usageCode(() => parseArgs(["3", "--format", "pdf"], send))).toBe(2);
    expect(usageCode(() => parseArgs(["3", "--cols", "0"], send))).toBe(2);
    expect(usageCode(() => parseArgs(["3", "--until", "a("], send))).toBe(2);
    expect(usageCode(() => parseArgs(["3", "-e", "novalue"], send))).toBe(2);
    expect(parseArgs(["3", "-e", "A=1", "-e", "B=x=y"], send).env).toEqual(["A=1", "B=x=y"]);
  });
  test("unknown options, surplus arguments, missing values and values on flags are usage errors (2)", () => {
    expect(usageCode(() => parseArgs(["3", "--bogus"], send))).toBe(2);
    expect(usageCode(() => parseArgs(["3", "a", "b"], send))).toBe(2);
    expect(usageCode(() => parseArgs(["3", "-k"], send))).toBe(2);
    expect(usageCode(() => parseArgs([], send))).toBe(2);
    expect(usageCode(() => parseArgs(["3", "--flag=yes"], send))).toBe(2);
    // --no- only for booleans that declare it (or default to true).
    expect(usageCode(() => parseArgs(["3", "--no-flag"], send))).toBe(2);
    // A long option is not reachable by its short letter and vice versa.
    expect(usageCode(() => parseArgs(["3", "--k", "Up"], send))).toBe(2);
  });
  test("every command takes --json, --plain and --help; --help wins over missing arguments", () => {
    const args = parseArgs(["--json", "--plain", "3"], send);
    expect([args.json, args.plain]).toEqual([true, true]);
    expect(parseArgs(["--help"], send).help).toBe(true);
    expect(parseArgs(["-h"], many).help).toBe(true);
  });
  test("everything after -- is positional", () => {
    expect(parseArgs(["3", "--", "--bogus"], send).text).toBe("--bogus");
  });
  test("a command argument stops option parsing: the program's flags stay its own", () => {
    const args = parseArgs(["-n", "web", "python3", "-m", "http.server", "--json"], start);
    expect(args.name).toBe("web");
    expect(args.command).toEqual(["python3", "-m", "http.server", "--json"]);
    expect(args.json).toBeUndefined();
    expect(parseArgs([], start).command).toEqual([]);
  });
  test("a many argument collects the rest and is required unless optional", () => {
    expect(parseArgs(["1", "2", "web"], many).sessions).toEqual(["1", "2", "web"]);
    expect(usageCode(() => parseArgs([], many))).toBe(2);
  });
  test("declarations are checked when they are made", () => {
    const bad = () =>
      command({
        name: "bad",
        summary: "x",
        args: [
          { name: "rest", many: true, help: "x" },
          { name: "after", help: "x" },
        ],
        async run() {},
      });
    expect(bad).toThrow(/must be the last/);
    expect(() =>
      command({ name: "bad", summary: "x", options: { a: { short: "h", help: "clashes with -h" } }, async run() {} }),
    ).toThrow();
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
  test("durations: bare number = ms, or ms/s/m/h suffixes", () => {
    expect(parseMs("250", "--idle")).toBe(250);
    expect(parseMs("250ms", "--idle")).toBe(250);
    expect(parseMs("2s", "--idle")).toBe(2000);
    expect(parseMs("1.5s", "--idle")).toBe(1500);
    expect(parseMs("2m", "--idle")).toBe(120_000);
    expect(parseMs("1h", "--idle")).toBe(3_600_000);
    expect(parseMs(undefined, "--idle")).toBeUndefined();
    expect(usageCode(() => parseMs("-1", "--idle"))).toBe(2);
    expect(usageCode(() => parseMs("1.5", "--idle"))).toBe(2);
    expect(usageCode(() => parseMs("2d", "--idle"))).toBe(2);
    expect(usageCode(() => parseMs("1000h", "--idle"))).toBe(2); // beyond setTimeout's range
  });
  test("bounded integers", () => {
    expect(parseInteger("80", "--cols", 1, 1000)).toBe(80);
    expect(usageCode(() => parseInteger("0", "--cols", 1, 1000))).toBe(2);
    expect(usageCode(() => parseInteger("1e3", "--cols", 1, 1000))).toBe(2);
  });
});

describe("parseJsonArgs", () => {
  test("a JSON object of arguments gives run() what the command line gives it", () => {
    const fromJson = parseJsonArgs(
      { session: 3, text: "hi", key: ["Up"], enter: false, yield: "2s", size: "1K" },
      send,
    );
    const fromLine = parseArgs(["3", "hi", "-k", "Up", "--no-enter", "--yield", "2s", "--size", "1K"], send);
    expect(fromJson).toEqual(fromLine);
    expect(parseJsonArgs({ command: ["python3", "-q"], name: "py" }, start)).toEqual(
      parseArgs(["-n", "py", "python3", "-q"], start),
    );
  });
  test("what the schema refuses, or the kind cannot convert, is a usage error", () => {
    expect(usageCode(() => parseJsonArgs({ text: "no session" }, send))).toBe(2);
    expect(usageCode(() => parseJsonArgs({ session: "3", bogus: 1 }, send))).toBe(2);
    expect(usageCode(() => parseJsonArgs({ session: "3", cols: 0 }, send))).toBe(2);
    expect(usageCode(() => parseJsonArgs({ session: "3", yield: "soon" }, send))).toBe(2);
    expect(usageCode(() => parseJsonArgs([], send))).toBe(2);
  });
});
