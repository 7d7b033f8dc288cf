// The import rules that keep the two processes apart, checked over a source
// tree: only the hidden `_supervise` command imports supervisor/; supervisor/
// never imports the CLI side (client/, cli/, commands/); shared/, pty/, text/
// and export/ hold no process's code and import none of those folders.
import fs from "node:fs";
import path from "node:path";

const CLI_SIDE = ["client", "cli", "commands"];
const RULES: { from: string; forbidden: string[] }[] = [
  { from: "supervisor", forbidden: CLI_SIDE },
  ...["shared", "pty", "text", "export"].map((from) => ({ from, forbidden: [...CLI_SIDE, "supervisor"] })),
];
const SUPERVISOR_ENTRY = "commands/_supervise.ts";

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

// Every module specifier a file imports: static, re-exported, type-only, dynamic.
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

// The top folder of a path under root ("supervisor", "main.ts" for a top-level file).
function topOf(root: string, file: string): string {
  return path.relative(root, file).split(path.sep)[0]!;
}

// One line per broken rule: "FILE imports TARGET (RULE)".
export function checkImportRules(root: string): string[] {
  const problems: string[] = [];
  for (const file of sourceFiles(root)) {
    const relative = path.relative(root, file).split(path.sep).join("/");
    const from = topOf(root, file);
    for (const specifier of importsOf(fs.readFileSync(file, "utf8"))) {
      if (!specifier.startsWith(".")) continue;
      const target = path.resolve(path.dirname(file), specifier);
      const to = topOf(root, target);
      const shown = `${relative} imports ${path.relative(root, target).split(path.sep).join("/")}`;
      if (to === "supervisor" && from !== "supervisor" && relative !== SUPERVISOR_ENTRY) {
        problems.push(`${shown} (only ${SUPERVISOR_ENTRY} may import supervisor/)`);
      }
      const rule = RULES.find((candidate) => candidate.from === from);
      if (rule?.forbidden.includes(to)) problems.push(`${shown} (${from}/ never imports ${to}/)`);
    }
  }
  return problems;
}
