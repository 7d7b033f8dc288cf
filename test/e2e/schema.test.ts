// `bgterm schema`: the published schemas are well formed, and what commands
// really print with --json validates against them (output on stdout, errors on
// stderr), so the schema cannot drift from the code.
import { afterAll, describe, expect, test } from "bun:test";
import { checkSchema, validate } from "../../src/cli/json-schema.ts";
import { Bg } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

type Doc = { $schema: string; title: string; $defs: Record<string, any> };
const schemas = new Map<string, Doc>();

async function schemaOf(command: string): Promise<Doc> {
  if (!schemas.has(command)) schemas.set(command, JSON.parse(await bg.ok(["schema", command])));
  return schemas.get(command)!;
}

// Runs `bgterm CMD --json ARGS` (before start's program) and checks stdout
// against the command's output schema.
async function checked(args: string[], code = 0): Promise<any> {
  const result = await bg.run([args[0]!, "--json", ...args.slice(1)]);
  expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code, stderr: "" });
  const value = JSON.parse(result.text);
  const schema = (await schemaOf(args[0]!)).$defs.output;
  expect({ args, problems: validate(schema, value) }).toEqual({ args, problems: [] });
  return value;
}

describe("bgterm schema", () => {
  test("schema send: a draft 2020-12 document with the arguments and the output", async () => {
    const doc = await schemaOf("send");
    expect(doc.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(checkSchema(doc)).toEqual([]);
    const args = doc.$defs.arguments;
    expect(args.required).toEqual(["session"]);
    expect(Object.keys(args.properties)).toEqual(
      expect.arrayContaining(["session", "text", "key", "enter", "yield", "until", "json"]),
    );
    expect(args.properties.key.type).toBe("array");
    expect(args.properties.yield["x-bgterm-kind"]).toBe("duration");
    expect(validate(args, { session: "web", text: "ls", key: ["Enter"], yield: "2s" })).toEqual([]);
    expect(validate(args, { session: "web", yield: "soon" })).not.toEqual([]);
    expect(doc.$defs.output.required).toEqual(expect.arrayContaining(["id", "text", "running", "end_offset"]));
  });

  test("schema without a command covers every command; unknown commands are usage errors", async () => {
    const all = JSON.parse(await bg.ok(["schema"]));
    expect(checkSchema(all)).toEqual([]);
    const help = await bg.ok(["--help"]);
    for (const name of Object.keys(all.$defs)) expect(help).toContain(`  ${name} `);
    expect(Object.keys(all.$defs)).not.toContain("_supervise");
    expect((await bg.run(["schema", "frobnicate"])).code).toBe(2);
  });

  test("real --json output of the commands validates against their schemas", async () => {
    const started = await checked(["start", "-n", "schema-demo", "sh", "-c", "echo hello; cat"]);
    const id = String(started.id);
    await bg.readUntil(id, /hello/, 15_000, "probe");
    await checked(["info", id]);
    expect((await checked(["ls"])).length).toBe(1);
    await checked(["read", id, "--peek"]);
    const sent = await checked(["send", id, "ping", "--until", "ping"]);
    expect(sent.matched).toBe(true);
    await checked(["poll", id, "--yield", "0"]);
    await checked(["screen", id]);
    await checked(["lines", id]);
    expect((await checked(["grep", "hello", id]))[0]).toMatchObject({ id: Number(id), name: "schema-demo" });
    expect(await checked(["resize", id, "100", "30"])).toEqual({ id: Number(id), cols: 100, rows: 30 });
    expect(await checked(["kill", id, "TERM"])).toEqual({ id: Number(id), signal: "SIGTERM" });
    expect(await checked(["wait", id], 143)).toEqual({ id: Number(id), exit_code: 143 });
    await checked(["completions", "fish"]);
    await checked(["help", "send"]);
    expect(await checked(["close", id])).toEqual({ closed: [Number(id)] });

    const shell = await bg.start(["sh"]);
    expect((await checked(["exec", shell, "echo hi"])).output).toBe("hi\n");
    await bg.ok(["close", shell]);
  });

  test("errors with --json validate against the error schema", async () => {
    for (const args of [
      ["info", "4242"],
      ["poll", "x", "--bogus"],
      ["grep", "nothing-at-all"],
    ]) {
      const result = await bg.run([...args, "--json"]);
      expect(result.code).not.toBe(0);
      const schema = (await schemaOf(args[0]!)).$defs.error;
      expect(validate(schema, JSON.parse(result.stderr))).toEqual([]);
    }
  });
});
