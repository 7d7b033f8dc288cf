// From what the user typed after `start` to the argv the PTY runs, checked up
// front so that a missing program or directory fails now with 127/126/2
// instead of as a session that dies at once.
import fs from "node:fs";
import path from "node:path";
import { cannotExecute, commandNotFound, usageError } from "../errors.ts";

// Characters that mean the single word is a shell command line, not a program name.
const SHELL_SYNTAX = /[\s|&;<>()$`\\"'*?[\]#~{}!]/;

export function commandArgv(words: string[], env: Record<string, string>): string[] {
  if (words.length === 0) return [env.SHELL || "/bin/sh"];
  if (words.length === 1 && SHELL_SYNTAX.test(words[0]!)) return ["/bin/sh", "-c", words[0]!];
  return words;
}

export function checkWorkingDir(dir: string): string {
  const resolved = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw usageError(`working directory ${resolved} does not exist`);
  }
  if (!stat.isDirectory()) throw usageError(`working directory ${resolved} is not a directory`);
  return resolved;
}

function isExecutableFile(file: string): "ok" | "missing" | "not-executable" {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return "missing";
  }
  if (stat.isDirectory()) return "not-executable";
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return "ok";
  } catch {
    return "not-executable";
  }
}

// The program's path, as execvp would find it, or exit 127 (not found) / 126 (cannot execute).
export function resolveProgram(program: string, cwd: string, env: Record<string, string>): string {
  if (program.includes("/")) {
    const file = path.resolve(cwd, program);
    const check = isExecutableFile(file);
    if (check === "missing") throw commandNotFound(program);
    if (check === "not-executable") throw cannotExecute(program, "permission denied or not a file");
    return file;
  }
  let denied: string | undefined;
  for (const dir of (env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":")) {
    const file = path.resolve(cwd, dir || ".", program);
    const check = isExecutableFile(file);
    if (check === "ok") return file;
    if (check === "not-executable" && fs.existsSync(file) && !fs.statSync(file).isDirectory()) denied ??= file;
  }
  if (denied) throw cannotExecute(denied, "permission denied");
  throw commandNotFound(program);
}
