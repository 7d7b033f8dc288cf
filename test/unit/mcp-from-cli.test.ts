// MCP parameters that mirror CLI options take type, bounds and help from the
// CLI's declarations, without what only applies on a command line.
import { expect, test } from "bun:test";
import { z } from "zod";
import startCommand from "../../src/commands/start.ts";
import { cli, toolHelp } from "../../src/mcp/from-cli.ts";
import { startInput } from "../../src/mcp/schemas.ts";

test("bounds and help come from the CLI declaration", () => {
  const cols = startCommand.options.cols!;
  expect(cli.start.cols.safeParse(cols.max).success).toBe(true);
  expect(cli.start.cols.safeParse(cols.max! + 1).success).toBe(false);
  expect(cli.start.cols.safeParse(0).success).toBe(false);
  expect(cli.start.cols.description).toStartWith(cols.help);
  const schema = z.toJSONSchema(startInput) as any;
  expect(schema.properties.ready_port.maximum).toBe(65535);
  expect(schema.additionalProperties).toBe(false);
});

test("CLI-only remarks are left out of tool help", () => {
  expect(toolHelp("Wait until new output matches this regex (exit 124 if the yield ends first)")).toBe(
    "Wait until new output matches this regex",
  );
  expect(toolHelp("Give up after this long: exit 124, the command keeps running")).toBe("Give up after this long");
  expect(toolHelp("Return once quiet (default 150, 0 with --until; 0 returns at once)")).toBe("Return once quiet");
  expect(cli.wait.until.description).not.toContain("exit 124");
});
