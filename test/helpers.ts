import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dir, "..");
// BGTERM_TEST_BIN runs the suite against another build (e.g. an older one, to
// see a regression test fail without the fix).
export const BIN = process.env.BGTERM_TEST_BIN ?? path.join(ROOT, "dist", "bgterm");

export interface RunResult {
  code: number;
  stdout: Buffer;
  text: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: Uint8Array | string;
  cwd?: string;
}

// Tests that need root (other users, mounts) are skipped, visibly, without it.
export const isRoot = process.getuid?.() === 0;

// A private state dir (short, so socket paths stay under the 108-byte limit).
export function makeStateDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "bgt-"));
}

// Notes every pid the sessions of a state dir ran (supervisors and children).
function recordPids(stateDir: string, pids: Set<number>): void {
  const sessions = path.join(stateDir, "sessions");
  if (!fs.existsSync(sessions)) return;
  for (const id of fs.readdirSync(sessions)) {
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(sessions, id, "meta.json"), "utf8"));
      // Tests may point a record at this runner on purpose; never wait for ourselves.
      for (const pid of [meta.pid, meta.supervisor_pid]) if (pid !== process.pid) pids.add(pid);
    } catch {
      // Not started yet, or removed already.
    }
  }
}

export class Bg {
  // Every pid this state dir's sessions ran, checked by cleanup(): only this
  // Bg's, so one test's cleanup never waits on another's sessions.
  private readonly pids = new Set<number>();

  constructor(
    readonly stateDir: string = makeStateDir(),
    readonly baseEnv: Record<string, string | undefined> = {},
  ) {}

  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string | undefined> = {
      ...process.env,
      BGTERM_DIR: this.stateDir,
      NO_COLOR: "1",
      ...this.baseEnv,
      ...extra,
    };
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    return env as Record<string, string>;
  }

  async run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const child = Bun.spawn([BIN, ...args], {
      env: this.env(options.env),
      cwd: options.cwd ?? ROOT,
      stdin: options.stdin === undefined ? "ignore" : Buffer.from(options.stdin),
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).arrayBuffer(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    recordPids(this.stateDir, this.pids);
    const out = Buffer.from(stdout);
    return { code, stdout: out, text: out.toString("utf8"), stderr };
  }

  // Runs and expects exit 0; returns stdout as text.
  async ok(args: string[], options: RunOptions = {}): Promise<string> {
    const result = await this.run(args, options);
    if (result.code !== 0) {
      throw new Error(`bgterm ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
    }
    return result.text;
  }

  async start(args: string[], options: RunOptions = {}): Promise<string> {
    return (await this.ok(["start", ...args], options)).trim();
  }

  async json(args: string[], options: RunOptions = {}): Promise<any> {
    return JSON.parse(await this.ok([...args, "--json"], options));
  }

  // Polls until the accumulated output of `reader` matches, within a deadline.
  async readUntil(id: string, pattern: RegExp, timeoutMs = 15_000, reader = "default"): Promise<string> {
    const result = await this.run([
      "poll",
      id,
      "--until",
      pattern.source,
      "--yield",
      String(timeoutMs),
      "--reader",
      reader,
      // --until matches the text a user sees (CRLF is LF there); a pattern
      // written against the bytes (\r) is matched against the bytes.
      ...(pattern.source.includes("\\r") ? ["--match-raw"] : []),
    ]);
    if (result.code !== 0) {
      throw new Error(
        `no match for ${pattern} within ${timeoutMs} ms (exit ${result.code}): ${JSON.stringify(result.text)}`,
      );
    }
    return result.text;
  }

  // Closes every session of this state dir and asserts nothing is left running.
  async cleanup(): Promise<void> {
    recordPids(this.stateDir, this.pids);
    try {
      await this.run(["close", "--all", "--grace", "500"]);
      await expectProcessesGone(this.pids);
    } finally {
      fs.rmSync(this.stateDir, { recursive: true, force: true });
    }
  }
}

export function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

// Waits (bounded) until check() is true; fails the test with `what` otherwise.
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let delay = 5;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await Bun.sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

function describeProcess(pid: number): string {
  try {
    return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").replace(/\0/g, " ").trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}

async function expectProcessesGone(started: Set<number>): Promise<void> {
  const pids = [...started];
  started.clear();
  try {
    await eventually(() => pids.every((pid) => !processAlive(pid)), "every process the tests started to exit");
  } catch {
    throw new Error(`still running: ${pids.filter(processAlive).map(describeProcess).join("; ")}`);
  }
}

// A program the tests need: present, or installed from Debian's packages when
// we are root; otherwise undefined, and the caller skips with a visible reason.
export function ensureProgram(name: string, aptPackage = name): string | undefined {
  const found = Bun.which(name);
  if (found) return found;
  if (process.getuid?.() !== 0 || !Bun.which("apt-get")) return undefined;
  const install = () =>
    Bun.spawnSync(["apt-get", "install", "-y", "-qq", aptPackage], { stdout: "ignore", stderr: "ignore" }).exitCode ===
    0;
  if (!install()) {
    Bun.spawnSync(["apt-get", "update", "-qq"], { stdout: "ignore", stderr: "ignore" });
    install();
  }
  return Bun.which(name) ?? undefined;
}
