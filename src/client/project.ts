// bgterm.toml: named sessions declared in a file, started by `up` in
// dependency order and closed by `down`. The file is found in the current
// directory or its parents (up to the repository root) and parsed with Bun's
// built-in TOML parser; every session is checked before anything starts.
import fs from "node:fs";
import path from "node:path";
import { BgtermError, usageError } from "../errors.ts";
import { checkName } from "../shared/refs.ts";
import { type LifecycleInput, buildLifecycle } from "./lifecycle-options.ts";
import { parseDuration } from "../cli/kinds.ts";
import type { SessionSpec } from "../shared/session-files.ts";
import { checkWorkingDir, commandArgv, resolveProgram } from "./command-line.ts";
import { parseSize } from "../cli/args.ts";

export const PROJECT_FILE = "bgterm.toml";
const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;
const DEFAULT_READY_TIMEOUT_MS = 30_000;

// The keys a [sessions.NAME] table may hold.
const LIFECYCLE_KEYS = [
  "ready",
  "ready_port",
  "ready_file",
  "ready_url",
  "max_runtime",
  "ttl",
  "restart",
  "backoff",
  "max_restarts",
  "health_url",
  "health_port",
  "health_cmd",
  "health_interval",
  "health_threshold",
  "health_timeout",
  "health_start_period",
] as const;
const SESSION_KEYS = new Set<string>([
  "command",
  "cwd",
  "env",
  "cols",
  "rows",
  "max_buffer",
  "backend",
  "after",
  "labels",
  "ready_timeout",
  ...LIFECYCLE_KEYS,
]);

export interface ProjectSession {
  name: string;
  after: string[];
  spec: SessionSpec;
  readyTimeoutMs: number;
}

export interface Project {
  file: string;
  dir: string;
  // The value of every session's `project` label (projectLabel(dir)).
  label: string;
  sessions: Map<string, ProjectSession>;
}

// A label value holds at most 256 bytes: a longer directory path is kept as
// "…" plus its tail and "#" plus 12 hex digits of the whole path's SHA-256,
// 256 bytes in all, so `up` and `down` still find the project's sessions.
const MAX_LABEL_BYTES = 256;
export function projectLabel(dir: string): string {
  if (Buffer.byteLength(dir, "utf8") <= MAX_LABEL_BYTES) return dir;
  const hash = new Bun.CryptoHasher("sha256").update(dir).digest("hex").slice(0, 12);
  const suffix = `#${hash}`;
  const room = MAX_LABEL_BYTES - Buffer.byteLength(`\u2026${suffix}`, "utf8");
  const chars = [...dir];
  let tail = "";
  for (let i = chars.length - 1; i >= 0; i--) {
    const next = chars[i]! + tail;
    if (Buffer.byteLength(next, "utf8") > room) break;
    tail = next;
  }
  return `\u2026${tail}${suffix}`;
}

// The nearest bgterm.toml from `start` upwards, stopping after a directory
// that holds .git (the repository root) or at /.
export function findProjectFile(start: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const file = path.join(dir, PROJECT_FILE);
    if (fs.existsSync(file)) return file;
    if (fs.existsSync(path.join(dir, ".git")) || path.dirname(dir) === dir) break;
  }
  throw usageError(`no ${PROJECT_FILE} in ${path.resolve(start)} or its parents (up to the repository root)`);
}

// Bun's TOML parser. Its own errors carry no position, but the module loader
// reports line and column, so a file that fails to parse is loaded once more
// through it, from a private copy with a fresh name (the loader caches by path,
// and a long-lived caller such as the MCP server must see edits).
let tomlCopies = 0;
async function parseToml(file: string, source: string): Promise<unknown> {
  try {
    return Bun.TOML.parse(source);
  } catch (error) {
    // node:os only on this error path: start imports this module on every call.
    const copy = path.join((await import("node:os")).tmpdir(), `bgterm-${process.pid}-${++tomlCopies}.toml`);
    let position: { line?: number; column?: number } | undefined;
    let message = (error as Error).message;
    try {
      fs.writeFileSync(copy, source, { mode: 0o600 });
      await import(copy, { with: { type: "toml" } });
    } catch (located) {
      position = (located as { position?: { line?: number; column?: number } }).position;
      if (position?.line) message = (located as Error).message;
    } finally {
      fs.rmSync(copy, { force: true });
    }
    const where = position?.line ? `:${position.line}:${position.column ?? 0}` : "";
    throw usageError(`${file}${where}: ${message.replace(/^TOML Parse error: /, "")}`);
  }
}

// The line where `key` is assigned, to point at it in an error (best effort).
function lineOf(source: string, key: string): string {
  const lines = source.split("\n");
  const at = lines.findIndex((line) =>
    new RegExp(`^\\s*"?${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"?\\s*=`).test(line),
  );
  return at < 0 ? "" : `:${at + 1}`;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

// A scalar option as the text the CLI parsers take (numbers are ms or counts).
function text(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw usageError(`${where} takes a string or a number`);
}

function stringTable(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isTable(value)) throw usageError(`${where} takes a table of strings`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string" && typeof item !== "number" && typeof item !== "boolean") {
      throw usageError(`${where}.${key} takes a string`);
    }
    out[key] = String(item);
  }
  return out;
}

function checkSession(
  name: string,
  table: Record<string, unknown>,
  dir: string,
  source: string,
  file: string,
): ProjectSession {
  const where = (key: string) => `${path.basename(file)}: sessions.${name}.${key}`;
  for (const key of Object.keys(table)) {
    if (!SESSION_KEYS.has(key)) {
      throw usageError(`${file}${lineOf(source, key)}: unknown key '${key}' in [sessions.${name}]`);
    }
  }
  checkName(name, `session name in ${path.basename(file)}`);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TERM: "xterm-256color",
    ...stringTable(table.env, where("env")),
  };
  const cwdText = text(table.cwd, where("cwd"));
  const cwd = checkWorkingDir(path.resolve(dir, cwdText ?? "."));
  let words: string[];
  if (typeof table.command === "string" && table.command.trim() !== "") words = [table.command];
  else if (
    Array.isArray(table.command) &&
    table.command.length > 0 &&
    table.command.every((w) => typeof w === "string")
  ) {
    words = table.command as string[];
  } else throw usageError(`${where("command")} is required: a command line or an array of words`);
  const argv = commandArgv(words, env);
  try {
    resolveProgram(argv[0]!, cwd, env);
  } catch (error) {
    // start's message and exit code, saying which session it is about.
    if (!(error instanceof BgtermError)) throw error;
    throw new BgtermError(error.exitCode, `${where("command")}: ${error.message}`);
  }
  const after = table.after ?? [];
  if (!Array.isArray(after) || !after.every((item) => typeof item === "string")) {
    throw usageError(`${where("after")} takes an array of session names`);
  }
  const input: LifecycleInput = { labels: [] };
  for (const key of LIFECYCLE_KEYS) {
    const value = table[key];
    if (value === undefined) continue;
    if (key === "backoff") {
      if (typeof value !== "boolean") throw usageError(`${where(key)} takes true or false`);
      input.backoff = value;
    } else (input as Record<string, unknown>)[key] = text(value, where(key));
  }
  const labels = { ...stringTable(table.labels, where("labels")), project: projectLabel(dir) };
  input.labels = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  const lifecycle = buildLifecycle(input, cwd, (key) => where(key));
  const whole = (key: "cols" | "rows", fallback: number) => {
    const value = table[key];
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 1000) {
      throw usageError(`${where(key)} takes a whole number from 1 to 1000`);
    }
    return value;
  };
  const maxBuffer = text(table.max_buffer, where("max_buffer"));
  const readyTimeout = text(table.ready_timeout, where("ready_timeout"));
  return {
    name,
    after: after as string[],
    readyTimeoutMs:
      readyTimeout === undefined ? DEFAULT_READY_TIMEOUT_MS : parseDuration(readyTimeout, where("ready_timeout")),
    spec: {
      ...lifecycle,
      name,
      command: argv,
      cwd,
      env,
      cols: whole("cols", 80),
      rows: whole("rows", 24),
      max_buffer: maxBuffer === undefined ? DEFAULT_MAX_BUFFER : parseSize(maxBuffer, where("max_buffer")),
      backend: text(table.backend, where("backend")) ?? process.env.BGTERM_BACKEND ?? "bun",
    },
  };
}

// Reads and checks the whole file: syntax (with line and column), unknown
// keys, values, unknown `after` names, cycles. Nothing starts on any error.
export async function loadProject(file: string): Promise<Project> {
  let source: string;
  try {
    source = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw usageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const data = await parseToml(file, source);
  const dir = path.dirname(file);
  if (!isTable(data)) throw usageError(`${file}: expected tables`);
  for (const key of Object.keys(data)) {
    if (key !== "sessions")
      throw usageError(`${file}${lineOf(source, key)}: unknown key '${key}' (sessions go in [sessions.NAME])`);
  }
  const tables = data.sessions ?? {};
  if (!isTable(tables)) throw usageError(`${file}: 'sessions' must be a table of [sessions.NAME] tables`);
  const sessions = new Map<string, ProjectSession>();
  for (const [name, table] of Object.entries(tables)) {
    if (!isTable(table)) throw usageError(`${file}: sessions.${name} must be a table`);
    sessions.set(name, checkSession(name, table, dir, source, file));
  }
  for (const session of sessions.values()) {
    for (const dep of session.after) {
      if (!sessions.has(dep))
        throw usageError(`${file}: sessions.${session.name}.after names '${dep}', which is not declared`);
    }
  }
  startOrder(sessions, [...sessions.keys()], file);
  return { file, dir, label: projectLabel(dir), sessions };
}

// The selected sessions and everything they need, dependencies first; a
// cycle is a usage error that names it.
export function startOrder(sessions: Map<string, ProjectSession>, wanted: string[], file: string): ProjectSession[] {
  const order: ProjectSession[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(name)), name].join(" -> ");
      throw usageError(`${file}: dependency cycle: ${cycle}`);
    }
    const session = sessions.get(name);
    if (!session) throw usageError(`no session named '${name}' in ${file}`);
    state.set(name, "visiting");
    for (const dep of session.after) visit(dep, [...trail, name]);
    state.set(name, "done");
    order.push(session);
  };
  for (const name of wanted) visit(name, []);
  return order;
}
