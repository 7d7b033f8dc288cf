// Benchmark helpers: timing whole commands, statistics, and cleanup of
// everything a run started (sessions by state dir, tmux servers by socket,
// other processes by pid), also when the run fails.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dir, "..");
export const BIN = path.join(ROOT, "dist", "bgterm");
export const STATE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "bgb-"));
// The client API runs inside this process and finds sessions through it.
process.env.BGTERM_DIR = STATE_DIR;

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

// A sample that could not be taken (NaN) is left out, and n says how many were.
export function stats(samples: number[]): Stats {
  const sorted = samples.filter(Number.isFinite).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

export const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  BGTERM_DIR: STATE_DIR,
  NO_COLOR: "1",
};

export interface Ran {
  code: number;
  stdout: string;
  ms: number;
}

// Runs a command to completion; ms is spawn-to-exit wall time.
export async function run(argv: string[], extraEnv: Record<string, string> = {}): Promise<Ran> {
  const started = performance.now();
  const child = Bun.spawn(argv, { env: { ...env, ...extraEnv }, stdout: "pipe", stderr: "inherit", stdin: "ignore" });
  const stdout = await new Response(child.stdout).text();
  const code = await child.exited;
  return { code, stdout, ms: performance.now() - started };
}

export async function bg(args: string[]): Promise<string> {
  const result = await run([BIN, ...args]);
  if (result.code !== 0) throw new Error(`bgterm ${args.join(" ")} exited ${result.code}`);
  return result.stdout.trim();
}

// warmup runs, then n timed runs of fn (which returns its own measured ms).
export async function measure(n: number, warmup: number, fn: (i: number) => Promise<number>): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push(await fn(i));
  return stats(samples);
}

const tmuxSockets = new Set<string>();
const extraPids = new Set<number>();

export function trackTmux(socket: string): void {
  tmuxSockets.add(socket);
}

export function trackPid(pid: number): void {
  extraPids.add(pid);
}

export async function cleanup(): Promise<void> {
  Bun.spawnSync([BIN, "close", "--all", "--grace", "300"], { env });
  for (const socket of tmuxSockets) Bun.spawnSync(["tmux", "-L", socket, "kill-server"], { stderr: "ignore" });
  for (const pid of extraPids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  fs.rmSync(STATE_DIR, { recursive: true, force: true });
}

// Reads one number field from /proc/PID/status (kB), or 0.
export function procStatusKb(pid: number, field: string): number {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

// utime+stime of a process in clock ticks.
export function cpuTicks(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

export function pssKb(pid: number): number {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

// Pids of live processes whose command line contains every one of words.
export function pidsMatching(...words: string[]): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      if (words.every((word) => cmdline.includes(word))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

// Installs a Debian package when missing (root only); undefined when usable,
// else why not.
export function ensureDebian(command: string, pkg: string, probe?: string[]): string | undefined {
  const usable = () =>
    probe ? Bun.spawnSync(probe, { stdout: "ignore", stderr: "ignore" }).exitCode === 0 : hasCommand(command);
  if (usable()) return undefined;
  if (process.getuid?.() === 0 && hasCommand("apt-get")) {
    Bun.spawnSync(["apt-get", "install", "-y", "-qq", pkg], { stdout: "ignore", stderr: "ignore" });
    if (usable()) return undefined;
  }
  return `${pkg} is not installed and could not be installed with apt-get`;
}

export function hasCommand(name: string): boolean {
  return Bun.which(name) !== null;
}
