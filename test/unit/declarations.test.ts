// The command declarations drive completions, help and schema: a new option
// shows up everywhere without touching that code, and what is printed is well
// formed.
import { describe, expect, test } from "bun:test";
import { command, sessionArg } from "../../src/cli/command.ts";
import { completionScript } from "../../src/cli/completions.ts";
import { cittyArgs } from "../../src/cli/help.ts";
import { s } from "../../src/cli/json-schema.ts";
import { checkSchema, validate } from "../../src/cli/json-schema.ts";
import { allSchemas, argumentsSchema, commandSchema } from "../../src/cli/schema.ts";
import { visibleCommands } from "../../src/commands/index.ts";

// A command nobody wrote completion code for.
const fake = command({
  name: "frob",
  summary: "A command that exists only in this test",
  args: [sessionArg, { name: "level", kind: "enum", values: ["low", "high"], help: "How hard" }],
  options: {
    "frobnicate-depth": { kind: "duration", help: "How long to frobnicate" },
    "frob-key": { kind: "key", short: "K", repeat: true, help: "Keys" },
    "frob-mode": { kind: "enum", values: ["gentle", "brutal"], help: "Mode" },
    quiet: { kind: "boolean", negatable: true, help: "Say less" },
  },
  output: s.object({ id: s.integer(), frobbed: s.boolean() }),
  async run() {},
});

describe("completions come from the declarations", () => {
  test("bash and zsh: a new command, its options, --no-X, and value completions by kind", () => {
    for (const shell of ["bash", "zsh"] as const) {
      const script = completionScript(shell, [fake]);
      expect(script).toContain("frob)");
      expect(script).toContain("--frobnicate-depth");
      expect(script).toContain("--no-quiet");
      expect(script).toContain("-K=keys");
      expect(script).toContain("--frob-mode=values:gentle,brutal");
      expect(script).toContain('args="sessions values:low,high"');
    }
  });
  test("fish: options with their values and descriptions", () => {
    const script = completionScript("fish", [fake]);
    expect(script).toContain("-l frobnicate-depth");
    expect(script).toContain("-s K -l frob-key -x -a 'Enter");
    expect(script).toContain("-l frob-mode -x -a 'gentle brutal'");
    expect(script).toContain("-l no-quiet");
    expect(script).toContain("(__bgterm_sessions)");
  });
  test("hidden commands and options stay out", async () => {
    const hidden = command({ name: "_secret", summary: "x", hidden: true, async run() {} });
    expect(completionScript("bash", [fake, hidden])).not.toContain("_secret");
    const names = (await visibleCommands()).map((c) => c.name);
    expect(names).not.toContain("_supervise");
    expect(names).toEqual(expect.arrayContaining(["start", "send", "schema", "help", "completions"]));
  });
});

describe("help and schema come from the declarations", () => {
  test("help lists every option with its kind's placeholder", () => {
    const args = cittyArgs(fake);
    expect(Object.keys(args)).toEqual(expect.arrayContaining(["frobnicate-depth", "frob-key", "json", "help"]));
    expect((args["frobnicate-depth"] as { valueHint?: string }).valueHint).toBe("duration");
  });
  test("a repeatable option says so once, whatever its own help says", async () => {
    for (const declared of await visibleCommands()) {
      for (const [key, arg] of Object.entries(cittyArgs(declared))) {
        const text = `${declared.name} --${key}: ${arg.description}`;
        expect(text).not.toMatch(/repeatable.*repeatable/);
      }
    }
  });
  test("the arguments schema accepts what the parser accepts and rejects what it refuses", () => {
    const schema = argumentsSchema(fake);
    expect(checkSchema(schema)).toEqual([]);
    expect(validate(schema, { session: "3", level: "low", "frobnicate-depth": "2s", "frob-key": ["Up"] })).toEqual([]);
    expect(validate(schema, { session: 3, level: "high", "frobnicate-depth": 500, quiet: false })).toEqual([]);
    expect(validate(schema, { level: "low" })).not.toEqual([]); // session missing
    expect(validate(schema, { session: "3", level: "medium" })).not.toEqual([]);
    expect(validate(schema, { session: "3", level: "low", "frobnicate-depth": "2 days" })).not.toEqual([]);
    expect(validate(schema, { session: "3", level: "low", bogus: true })).not.toEqual([]);
  });
  test("every command's schema is well-formed draft 2020-12 (for the keywords used)", async () => {
    const commands = await visibleCommands();
    for (const c of commands) expect({ [c.name]: checkSchema(commandSchema(c)) }).toEqual({ [c.name]: [] });
    const all = allSchemas(commands) as { $defs: Record<string, unknown> };
    expect(checkSchema(all)).toEqual([]);
    expect(Object.keys(all.$defs)).toEqual(commands.map((c) => c.name));
  });
  test("the schema checker and validator can fail", () => {
    expect(checkSchema({ type: "strnig" })).not.toEqual([]);
    expect(checkSchema({ properties: { a: { typo: 1 } } })).not.toEqual([]);
    expect(validate(s.object({ a: s.nullable(s.integer()) }), { a: "x" })).not.toEqual([]);
    expect(validate(s.object({ a: s.nullable(s.integer()) }), { a: null })).toEqual([]);
    expect(validate(s.array(s.literal(["x"])), ["x", "y"])).not.toEqual([]);
  });
});
