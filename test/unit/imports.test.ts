// The source tree follows the import rules, and the checker catches each kind
// of break (run on small trees written for the purpose).
import { afterAll, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkImportRules, importsOf } from "../import-rules.ts";

const SRC = path.resolve(import.meta.dir, "..", "..", "src");
const fixtures = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-imports-"));
afterAll(() => fs.rmSync(fixtures, { recursive: true, force: true }));

// A tree of files { "a/b.ts": "source" } under a fresh folder.
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(fixtures, "src-"));
  for (const [name, source] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), source);
  }
  return root;
}

const legal = {
  "main.ts": 'import "./commands/index.ts";',
  "commands/_supervise.ts": 'import { Supervisor } from "../supervisor/supervisor.ts";',
  "commands/send.ts": 'import * as api from "../client/api.ts";\nimport { x } from "../shared/protocol.ts";',
  "client/api.ts": 'import { y } from "../shared/protocol.ts";\nimport { z } from "../cli/output.ts";',
  "supervisor/supervisor.ts":
    'import { OutputLog } from "./output-log.ts";\nimport { p } from "../shared/protocol.ts";',
  "supervisor/output-log.ts": 'import type { Ring } from "../shared/ring.ts";',
  "shared/protocol.ts": 'import { utf8 } from "../text/utf8.ts";',
  "shared/ring.ts": "export const ring = 1;",
  "text/utf8.ts": "export const utf8 = 1;",
};

test("src/ follows the import rules", () => {
  expect(checkImportRules(SRC)).toEqual([]);
});

test("a legal tree passes", () => {
  expect(checkImportRules(tree(legal))).toEqual([]);
});

test("a command other than _supervise importing supervisor/ fails", () => {
  const root = tree({
    ...legal,
    "commands/screen.ts": 'import { ScreenFeeder } from "../supervisor/screen-feeder.ts";',
  });
  expect(checkImportRules(root)).toEqual([
    "commands/screen.ts imports supervisor/screen-feeder.ts (only commands/_supervise.ts may import supervisor/)",
  ]);
});

test("client/ importing supervisor/ fails, also through a dynamic import", () => {
  const root = tree({ ...legal, "client/api.ts": 'const s = await import("../supervisor/supervisor.ts");' });
  expect(checkImportRules(root)).toEqual([
    "client/api.ts imports supervisor/supervisor.ts (only commands/_supervise.ts may import supervisor/)",
  ]);
});

test("supervisor/ importing client/ or cli/ fails, type-only imports too", () => {
  const root = tree({
    ...legal,
    "supervisor/output-log.ts": 'import type { SessionRecord } from "../client/record.ts";',
    "supervisor/server.ts": 'export { printJson } from "../cli/output.ts";',
  });
  expect(checkImportRules(root).sort()).toEqual([
    "supervisor/output-log.ts imports client/record.ts (supervisor/ never imports client/)",
    "supervisor/server.ts imports cli/output.ts (supervisor/ never imports cli/)",
  ]);
});

test("shared/ importing client/, cli/ or supervisor/ fails", () => {
  const root = tree({
    ...legal,
    "shared/ring.ts": [
      'import { a } from "../client/registry.ts";',
      'import { b } from "../cli/output.ts";',
      'import {\n  c,\n} from "../supervisor/readers.ts";',
    ].join("\n"),
  });
  expect(checkImportRules(root)).toEqual([
    "shared/ring.ts imports client/registry.ts (shared/ never imports client/)",
    "shared/ring.ts imports cli/output.ts (shared/ never imports cli/)",
    "shared/ring.ts imports supervisor/readers.ts (only commands/_supervise.ts may import supervisor/)",
    "shared/ring.ts imports supervisor/readers.ts (shared/ never imports supervisor/)",
  ]);
});

test("import forms: static, type-only, re-export, side effect, dynamic, multi-line", () => {
  const source = [
    'import a from "./a.ts";',
    'import type { B } from "./b.ts";',
    'export { c } from "./c.ts";',
    'import "./d.ts";',
    'const e = await import("./e.ts");',
    'import {\n  f,\n  g,\n} from "./f.ts";',
    "// not an import: from './x.ts'",
  ].join("\n");
  expect(importsOf(source).sort()).toEqual(["./a.ts", "./b.ts", "./c.ts", "./d.ts", "./e.ts", "./f.ts"]);
});
