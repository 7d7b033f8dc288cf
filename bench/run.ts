// `make bench`: bgterm beside the alternatives in one run, with ratios taken
// pair by pair (absolute times drift on shared machines; ratios hold).
// Prints a table and writes bench/results.json.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as api from "../src/client/api.ts";
import {
  BIN,
  bg,
  cleanup,
  cpuTicks,
  ensureDebian,
  env,
  measure,
  pidsMatching,
  procStatusKb,
  pssKb,
  ROOT,
  run,
  STATE_DIR,
  type Stats,
  stats,
  trackPid,
  trackTmux,
} from "./lib.ts";
import { RawMcpClient } from "./mcp-client.ts";
import { remoteLatency } from "./remote.ts";

const QUICK = process.env.BENCH_QUICK === "1";
// BENCH_ONLY="round trip,mcp" runs only those sections (the floor always runs).
const ONLY = process.env.BENCH_ONLY?.split(",").map((name) => name.trim());
const only = (section: string) => ONLY === undefined || ONLY.includes(section);
const N = QUICK ? 8 : 30;
const MiB = 1024 * 1024;

interface Row {
  section: string;
  metric: string;
  unit: string;
  value: Stats | number | null;
  compare?: { label: string; value: Stats | number };
  target?: string;
  met?: boolean;
  note?: string;
}

const rows: Row[] = [];
const median = (v: Stats | number) => (typeof v === "number" ? v : v.median);
const ratio = (a: Stats | number, b: Stats | number) => median(a) / median(b);

function record(row: Row): void {
  rows.push(row);
  const value = row.value === null ? "skipped" : fmt(row.value, row.unit);
  const compare = row.compare
    ? `  vs ${row.compare.label} ${fmt(row.compare.value, row.unit)} (x${ratio(row.value!, row.compare.value).toFixed(2)})`
    : "";
  console.error(`  ${row.metric}: ${value}${compare}${row.note ? `  [${row.note}]` : ""}`);
}

function fmt(v: Stats | number, unit: string): string {
  if (typeof v === "number") return `${v.toFixed(unit === "ms" || Math.abs(v) < 1 ? 2 : 1)} ${unit}`;
  return `${v.median.toFixed(2)} ${unit} (min ${v.min.toFixed(2)}, max ${v.max.toFixed(2)}, n=${v.n})`;
}

async function compileHello(): Promise<string> {
  const out = path.join(ROOT, "bench", ".build", "hello");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const bun = process.execPath;
  const built = Bun.spawnSync(
    // Built as bgterm is (no .env/bunfig.toml autoload), so the ratio is bgterm's own work.
    [
      bun,
      "build",
      "--compile",
      "--minify",
      "--bytecode",
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-bunfig",
      path.join(ROOT, "bench", "hello.ts"),
      "--outfile",
      out,
    ],
    { stdout: "ignore" },
  );
  if (built.exitCode !== 0) throw new Error("could not compile the hello-world floor");
  return out;
}

async function ensureTmux(): Promise<string | undefined> {
  return ensureDebian("tmux", "tmux");
}

// Peers from Debian (installed when missing and run as root); each is a reason
// to skip its rows, or undefined when usable.
function ensurePeers(): { dtach?: string; abduco?: string; pexpect?: string } {
  return {
    dtach: ensureDebian("dtach", "dtach"),
    // Debian does not package abduco at the time of writing; measured where it is.
    abduco: ensureDebian("abduco", "abduco"),
    pexpect: ensureDebian("python3", "python3-pexpect", ["python3", "-c", "import pexpect"]),
  };
}

// ---- 1. CLI floor ------------------------------------------------------------
async function cliFloor(hello: string): Promise<Stats> {
  console.error("1. CLI floor");
  const floor = await measure(N, 3, async () => (await run([hello])).ms);
  record({ section: "floor", metric: "compiled Bun hello-world", unit: "ms", value: floor });
  const version = await measure(N, 3, async () => (await run([BIN, "--version"])).ms);
  record({
    section: "floor",
    metric: "bgterm --version",
    unit: "ms",
    value: version,
    compare: { label: "hello", value: floor },
    target: "<= 1.15x floor",
    met: ratio(version, floor) <= 1.15,
  });
  return floor;
}

// ---- 2. start ----------------------------------------------------------------
async function startLatency(floor: Stats, peers: ReturnType<typeof ensurePeers>, tmuxSkip?: string): Promise<void> {
  console.error("2. start");
  const ids: string[] = [];
  const start = await measure(N, 2, async () => {
    const r = await run([BIN, "start", "cat"]);
    ids.push(r.stdout.trim());
    return r.ms;
  });
  await bg(["close", ...ids]);
  record({
    section: "start",
    metric: "bgterm start cat",
    unit: "ms",
    value: start,
    compare: { label: "hello", value: floor },
    target: "<= 3x floor",
    met: ratio(start, floor) <= 3,
  });
  if (tmuxSkip)
    return record({ section: "start", metric: "tmux new-session -d", unit: "ms", value: null, note: tmuxSkip });
  const socket = `bgb-${process.pid}-start`;
  trackTmux(socket);
  const tmux = await measure(
    N,
    2,
    async (i) => (await run(["tmux", "-L", socket, "new-session", "-d", "-s", `s${i + 10}`, "cat"])).ms,
  );
  Bun.spawnSync(["tmux", "-L", socket, "kill-server"]);
  record({
    section: "start",
    metric: "tmux new-session -d (private server)",
    unit: "ms",
    value: tmux,
    compare: { label: "bgterm", value: start },
  });
  for (const peer of ["dtach", "abduco"] as const) {
    if (peers[peer]) {
      record({ section: "start", metric: `${peer} start detached`, unit: "ms", value: null, note: peers[peer] });
      continue;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bgb-${peer}-`));
    const argv = (i: number) =>
      peer === "dtach"
        ? ["dtach", "-n", path.join(dir, `s${i + 10}`), "-z", "cat"]
        : ["abduco", "-n", `bgb${i + 10}`, "cat"];
    const detached = await measure(N, 2, async (i) => (await run(argv(i), { ABDUCO_SOCKET_DIR: dir })).ms);
    for (const pid of pidsMatching(peer, peer === "dtach" ? dir : "bgb")) trackPid(pid);
    killPids(pidsMatching(peer, peer === "dtach" ? dir : "bgb"));
    fs.rmSync(dir, { recursive: true, force: true });
    record({
      section: "start",
      metric: `${peer} start detached (cat)`,
      unit: "ms",
      value: detached,
      compare: { label: "bgterm start", value: start },
      note: "one process, no handshake: returns once the master has forked",
    });
  }
}

function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

// ---- 3. round trip -------------------------------------------------------------
// Returns the tmux loop's figures, which the MCP section compares against.
async function roundTrip(floor: Stats, tmuxSkip?: string): Promise<Stats | undefined> {
  console.error("3. round trip");
  const cat = await bg(["start", "cat"]);
  const sendCat = await measure(
    N,
    3,
    async (i) => (await run([BIN, "send", cat, `ping${i}`, "--until", `ping${i}`])).ms,
  );
  record({
    section: "round trip",
    metric: "bgterm send on cat (until echo)",
    unit: "ms",
    value: sendCat,
    compare: { label: "hello", value: floor },
    target: "<= 1.6x floor",
    met: ratio(sendCat, floor) <= 1.6,
  });

  const py = await bg(["start", "python3"]);
  await bg(["poll", py, "--until", ">>> $"]);
  const sendPy = await measure(
    N,
    3,
    async (i) => (await run([BIN, "send", py, "--until", ">>> $", "--", String(i)])).ms,
  );
  record({
    section: "round trip",
    metric: "bgterm send on python3 (until prompt)",
    unit: "ms",
    value: sendPy,
    compare: { label: "hello", value: floor },
  });
  await bg(["close", cat, py]);

  // The physical limit: a PTY echo inside one process, no CLI, no socket.
  let resolve: (() => void) | undefined;
  let seen = "";
  const proc = Bun.spawn(["cat"], {
    terminal: {
      data(_t, d) {
        seen += Buffer.from(d).toString();
        resolve?.();
      },
    },
  });
  trackPid(proc.pid);
  const echo = await measure(N * 5, 10, async (i) => {
    const token = `t${i}x`;
    seen = "";
    const t0 = performance.now();
    const done = new Promise<void>((r) => {
      resolve = () => {
        if (seen.includes(token)) r();
      };
    });
    proc.terminal!.write(`${token}\n`);
    await done;
    return performance.now() - t0;
  });
  proc.kill();
  record({ section: "round trip", metric: "in-process PTY echo (physical limit)", unit: "ms", value: echo });

  if (tmuxSkip) {
    record({
      section: "round trip",
      metric: "tmux send-keys + capture-pane",
      unit: "ms",
      value: null,
      note: tmuxSkip,
    });
    return undefined;
  }
  const socket = `bgb-${process.pid}-rt`;
  trackTmux(socket);
  Bun.spawnSync(["tmux", "-L", socket, "new-session", "-d", "-s", "rt", "-x", "80", "-y", "24", "cat"]);
  const tmux = await measure(N, 3, async (i) => {
    const token = `ping${i}`;
    const t0 = performance.now();
    await run(["tmux", "-L", socket, "send-keys", "-t", "rt", token, "Enter"]);
    for (;;) {
      const pane = await run(["tmux", "-L", socket, "capture-pane", "-p", "-t", "rt"]);
      if (pane.stdout.includes(token)) break;
    }
    return performance.now() - t0;
  });
  Bun.spawnSync(["tmux", "-L", socket, "kill-server"]);
  record({
    section: "round trip",
    metric: "tmux send-keys + capture-pane loop",
    unit: "ms",
    value: tmux,
    compare: { label: "bgterm send", value: sendCat },
    target: "bgterm faster",
    met: median(sendCat) < median(tmux),
  });
  return tmux;
}

// ---- 3b. MCP server round trips ---------------------------------------------------
// A long-lived `bgterm mcp` removes the per-call process start: a tool call is
// one line of JSON-RPC on a pipe (request written -> result read).
async function mcpRoundTrip(tmux: Stats | undefined): Promise<void> {
  console.error("3b. mcp");
  // A private HOME: the exec shell is an interactive bash that must not touch the user's dotfiles.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "bgb-home-"));
  const client = await RawMcpClient.start([BIN, "mcp", "--close-on-exit"], { ...env, HOME: home });
  trackPid(client.pid);
  try {
    const cat = await client.call("terminal_start", { command: ["cat"], yield_ms: 0 });
    let calls = 0;
    const sendCall = async () => {
      const token = `ping${calls++}x`;
      const t0 = performance.now();
      const result = await client.call("terminal_send", { id: cat.id, text: token, until: token });
      const ms = performance.now() - t0;
      if (result.outcome !== "matched") throw new Error(`terminal_send: ${JSON.stringify(result)}`);
      return ms;
    };
    // A fresh server's first calls run while Bun's JIT is still compiling the
    // path: medians of ~1.4 ms for calls 1-200, ~0.9 ms for 200-600, ~0.7 ms
    // from about the 800th on (three processes warm up: this client, the
    // server, the supervisor). The target is for a long-lived server's steady
    // state, past its first 1,000 calls; the first 100 are shown beside it.
    const early = await measure(QUICK ? 20 : 100, 0, sendCall);
    record({
      section: "mcp",
      metric: "terminal_send round trip, a fresh server's first 100 calls",
      unit: "ms",
      value: early,
    });
    const send = await measure(QUICK ? 30 : 300, QUICK ? 0 : 900, sendCall);
    record({
      section: "mcp",
      metric: "terminal_send round trip on cat (until echo), past the first 1,000 calls",
      unit: "ms",
      value: send,
      ...(tmux ? { compare: { label: "tmux send-keys + capture-pane", value: tmux } } : {}),
      target: "< 1 ms, >= 4x faster than tmux",
      met: median(send) < 1 && (tmux === undefined || median(tmux) / median(send) >= 4),
    });
    const exec = await measure(N * 2, 5, async () => {
      const t0 = performance.now();
      const result = await client.call("terminal_exec", { command: "true" });
      const ms = performance.now() - t0;
      if (result.exit_code !== 0) throw new Error(`terminal_exec: ${JSON.stringify(result)}`);
      return ms;
    });
    record({ section: "mcp", metric: "terminal_exec of true (persistent bash)", unit: "ms", value: exec });
  } finally {
    await client.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

// ---- 3c. a REPL beside pexpect -----------------------------------------------------
// python3, send 2+2, expect the prompt: pexpect (a library inside its script's
// process), bgterm's CLI (a process per call), its client API (in this
// process) and its MCP server (one JSON-RPC line on a pipe), interleaved
// call by call so load drifts hit all four alike.
async function replRoundTrip(pexpectSkip?: string): Promise<void> {
  console.error("3c. repl (pexpect)");
  const prompt = ">>> $";
  const ids = await Promise.all([0, 1].map(() => bg(["start", "python3", "-q"])));
  const [cliPy, apiPy] = ids as [string, string];
  for (const id of ids) await bg(["poll", id, "--until", prompt]);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "bgb-home-"));
  const mcp = await RawMcpClient.start([BIN, "mcp", "--close-on-exit"], { ...env, HOME: home });
  trackPid(mcp.pid);
  let driver: ReturnType<typeof Bun.spawn> | undefined;
  let lines: AsyncIterator<string> | undefined;
  try {
    const mcpPy = await mcp.call("terminal_start", { command: ["python3", "-q"], ready_regex: ">>> $" });
    let pexpectSpawn: number | undefined;
    if (!pexpectSkip) {
      driver = Bun.spawn(["python3", path.join(ROOT, "bench", "pexpect-driver.py")], {
        env,
        stdin: "pipe",
        stdout: "pipe",
        stderr: "inherit",
      });
      trackPid(driver.pid);
      lines = readLines(driver.stdout as ReadableStream<Uint8Array>);
      const first = (await lines.next()).value as string;
      pexpectSpawn = Number(/^spawn (\S+)/.exec(first)?.[1]);
    }
    const pexpectCall = async (): Promise<number> => {
      (driver!.stdin as import("bun").FileSink).write("go\n");
      (driver!.stdin as import("bun").FileSink).flush();
      const line = (await lines!.next()).value as string;
      const ms = Number(line);
      if (!Number.isFinite(ms)) throw new Error(`pexpect driver: ${line}`);
      return ms;
    };
    const samples: Record<string, number[]> = { cli: [], api: [], mcp: [], pexpect: [] };
    const one = async (keep: boolean) => {
      const cli = await run([BIN, "send", cliPy, "--until", prompt, "--", "2+2"]);
      if (cli.code !== 0 || !cli.stdout.includes("4")) throw new Error(`bgterm send: ${cli.stdout}`);
      let t0 = performance.now();
      const viaApi = await api.send(apiPy, { text: "2+2", until: prompt });
      const apiMs = performance.now() - t0;
      if (!viaApi.text.includes("4")) throw new Error(`api send: ${viaApi.text}`);
      t0 = performance.now();
      const viaMcp = await mcp.call("terminal_send", { id: mcpPy.id, text: "2+2", until: prompt });
      const mcpMs = performance.now() - t0;
      if (viaMcp.outcome !== "matched") throw new Error(`terminal_send: ${JSON.stringify(viaMcp)}`);
      const pexpectMs = pexpectSkip ? undefined : await pexpectCall();
      if (!keep) return;
      samples.cli!.push(cli.ms);
      samples.api!.push(apiMs);
      samples.mcp!.push(mcpMs);
      if (pexpectMs !== undefined) samples.pexpect!.push(pexpectMs);
    };
    for (let i = 0; i < 3; i++) await one(false);
    for (let i = 0; i < N; i++) await one(true);
    const pexpect = pexpectSkip ? undefined : stats(samples.pexpect!);
    if (pexpectSpawn !== undefined) {
      record({
        section: "repl",
        metric: "pexpect.spawn python3 until the first prompt",
        unit: "ms",
        value: pexpectSpawn,
      });
    }
    const versus = pexpect ? { compare: { label: "pexpect", value: pexpect } } : {};
    if (pexpect) record({ section: "repl", metric: "pexpect sendline 2+2, expect prompt", unit: "ms", value: pexpect });
    else
      record({
        section: "repl",
        metric: "pexpect sendline 2+2, expect prompt",
        unit: "ms",
        value: null,
        note: pexpectSkip,
      });
    record({
      section: "repl",
      metric: "bgterm CLI: send 2+2 --until prompt (a process per call)",
      unit: "ms",
      value: stats(samples.cli!),
      ...versus,
    });
    const viaApi = stats(samples.api!);
    record({
      section: "repl",
      metric: "bgterm client API: send(2+2, until prompt)",
      unit: "ms",
      value: viaApi,
      ...versus,
    });
    record({
      section: "repl",
      metric: "bgterm MCP: terminal_send 2+2 until prompt",
      unit: "ms",
      value: stats(samples.mcp!),
      ...versus,
    });
  } finally {
    if (driver) {
      try {
        (driver.stdin as import("bun").FileSink).write("quit\n");
        (driver.stdin as import("bun").FileSink).end();
      } catch {
        // already gone
      }
      await Promise.race([driver.exited, Bun.sleep(5000)]);
    }
    await mcp.close();
    fs.rmSync(home, { recursive: true, force: true });
    await bg(["close", ...ids]);
  }
}

async function* readLinesGen(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
}

function readLines(stream: ReadableStream<Uint8Array>): AsyncIterator<string> {
  return readLinesGen(stream);
}

// ---- 3d. exec -------------------------------------------------------------------
// exec through the shell integration (the supervisor types the command and
// waits for the shell's end mark) beside the method it replaced: one typed
// line bracketing the command with printf markers, watched for with --until.
async function execRoundTrip(): Promise<void> {
  console.error("3d. exec");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "bgb-home-"));
  const homeEnv = { HOME: home };
  const bgIn = async (args: string[]) => {
    const r = await run([BIN, ...args], homeEnv);
    if (r.code !== 0) throw new Error(`bgterm ${args.join(" ")} exited ${r.code}`);
    return r.stdout.trim();
  };
  try {
    const sh = await bgIn(["start", "bash"]);
    await bgIn(["exec", sh, "true"]);
    const hooked = await measure(N, 3, async () => {
      const r = await run([BIN, "exec", sh, "true"], homeEnv);
      if (r.code !== 0) throw new Error(`exec exited ${r.code}`);
      return r.ms;
    });
    const dash = await bgIn(["start", "sh"]);
    await bgIn(["exec", dash, "true"]);
    const wrapper = await measure(N, 3, async () => (await run([BIN, "exec", dash, "true"], homeEnv)).ms);
    // The old method, as the old exec typed it (a token split in two so the echo cannot match).
    const old = await measure(N, 3, async (i) => {
      const [a, b] = [`${i}`.padStart(8, "0"), "0badc0de"];
      const line = ` printf '\\036S%s%s\\036' ${a} ${b}; eval "$(printf '%b' 'true')"; printf '\\036E%s%s:%d\\036' ${a} ${b} "$?"`;
      const r = await run([BIN, "send", sh, line, "--until", `E${a}${b}:[0-9]+`], homeEnv);
      if (r.code !== 0) throw new Error(`old exec exited ${r.code}`);
      return r.ms;
    });
    await bg(["close", sh, dash]);
    record({
      section: "exec",
      metric: "exec true in bash (hooks, end mark)",
      unit: "ms",
      value: hooked,
      compare: { label: "old marker method", value: old },
    });
    record({ section: "exec", metric: "exec true in sh/dash (hidden wrapper line)", unit: "ms", value: wrapper });
    record({ section: "exec", metric: "old marker method (typed printf markers + --until)", unit: "ms", value: old });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

// ---- 4. wake-up -----------------------------------------------------------------
async function wakeUp(floor: Stats): Promise<void> {
  console.error("4. wake-up");
  const script =
    "import sys,time\nfor line in sys.stdin:\n  time.sleep(0.25)\n  print('W', time.time_ns(), flush=True)";
  // Echo off: the trigger's Enter must not wake the poll, only the child's write.
  const id = await bg(["start", "sh", "-c", `stty -echo; exec python3 -u -c "${script}"`]);
  const latency = await measure(QUICK ? 8 : 20, 2, async () => {
    await bg(["read", id]);
    const poll = Bun.spawn([BIN, "poll", id, "--idle", "0", "--yield", "10000"], { env, stdout: "pipe" });
    await Bun.sleep(50); // let the poll connect and wait; the child sleeps 250 ms after the trigger
    await bg(["send", id, "", "--yield", "0", "--reader", "trigger"]);
    const text = await new Response(poll.stdout).text();
    await poll.exited;
    const returned = (performance.timeOrigin + performance.now()) * 1e6;
    const written = Number(/W (\d+)/.exec(text)?.[1]);
    return (returned - written) / 1e6;
  });
  await bg(["close", id]);
  record({
    section: "wake-up",
    metric: "child write -> waiting poll exited",
    unit: "ms",
    value: latency,
    compare: { label: "hello", value: floor },
    target: "< floor + 2 ms",
    met: latency.median < floor.median + 2,
  });
}

// ---- 5. throughput -----------------------------------------------------------------
async function throughput(): Promise<void> {
  console.error("5. throughput");
  const bytes = (QUICK ? 64 : 256) * MiB;
  const producer = `head -c ${bytes} /dev/zero`;
  const reps = QUICK ? 1 : 3;
  const rates: Record<string, number[]> = { bun: [], "bun-pty": [], script: [] };
  for (let r = 0; r < reps; r++) {
    for (const backend of ["bun", "bun-pty"]) {
      const t0 = performance.now();
      const id = await bg(["start", "--backend", backend, "sh", "-c", `stty raw -echo; ${producer}`]);
      await bg(["wait", id, "--timeout", "600000"]);
      const seconds = (performance.now() - t0) / 1000;
      const info = JSON.parse(await bg(["info", id, "--json"]));
      if (info.end_offset !== bytes) throw new Error(`${backend}: captured ${info.end_offset} of ${bytes} bytes`);
      await bg(["close", id]);
      rates[backend]!.push(bytes / MiB / seconds);
    }
    const t0 = performance.now();
    const s = Bun.spawn(["script", "-qc", producer, "/dev/null"], { stdout: "ignore", stdin: "ignore" });
    if ((await s.exited) !== 0) throw new Error("script -qc failed");
    rates.script!.push(bytes / MiB / ((performance.now() - t0) / 1000));
  }
  const scriptRate = stats(rates.script!);
  for (const backend of ["bun", "bun-pty"]) {
    const rate = stats(rates[backend]!);
    record({
      section: "throughput",
      metric: `capture ${bytes / MiB} MiB, backend ${backend}`,
      unit: "MiB/s",
      value: rate,
      compare: { label: "script -qc", value: scriptRate },
      // Time within 1.05x of script's: a rate of at least 1/1.05 of its rate.
      ...(backend === "bun"
        ? { target: "time <= 1.05x script -qc", met: rate.median >= scriptRate.median / 1.05 }
        : {}),
      note: "no screen emulator runs in the supervisor",
    });
  }
}

// ---- 5b. screen emulator -----------------------------------------------------------
async function screenCost(): Promise<void> {
  console.error("5b. screen emulator");
  const bytes = (QUICK ? 64 : 256) * MiB;
  const rates: number[] = [];
  for (let r = 0; r < (QUICK ? 1 : 3); r++) {
    // Looking at the screen once creates the emulator; from then on it is fed.
    const id = await bg(["start", "sh", "-c", `stty -echo; read x; stty raw; head -c ${bytes} /dev/zero`]);
    await bg(["screen", id]);
    const t0 = performance.now();
    await bg(["send", id, "", "--yield", "0", "--reader", "trigger"]);
    await bg(["wait", id, "--timeout", "600000"]);
    rates.push(bytes / MiB / ((performance.now() - t0) / 1000));
    await bg(["close", id]);
  }
  const withEmulator = stats(rates);
  const without = rows.find((row) => row.metric.startsWith("capture") && row.metric.endsWith("backend bun"))?.value;
  record({
    section: "screen",
    metric: `capture ${bytes / MiB} MiB with the emulator fed`,
    unit: "MiB/s",
    value: withEmulator,
    ...(without
      ? {
          compare: { label: "without emulator", value: without },
          target: "within 10%",
          met: median(withEmulator) >= 0.9 * median(without),
        }
      : {}),
  });
  // screen after 16 MiB of text: emulator already fed (looked at before), and first look.
  const text =
    "import sys\nline = ('x' * 70 + '\\n') * 1024\nfor i in range(234): sys.stdout.write(line)\nsys.stdout.flush()\nprint('END')";
  for (const lookedBefore of [true, false]) {
    const samples: number[] = [];
    for (let r = 0; r < (QUICK ? 2 : 5); r++) {
      const id = await bg(["start", "sh", "-c", `stty -echo; read x; python3 -c "${text}"; sleep 60`]);
      if (lookedBefore) await bg(["screen", id]);
      await bg(["send", id, "", "--yield", "0", "--reader", "trigger"]);
      await bg(["poll", id, "--until", "END", "--yield", "60000", "--reader", "probe"]);
      await Bun.sleep(300); // quiet: the idle catch-up runs
      samples.push((await run([BIN, "screen", id])).ms);
      await bg(["close", id]);
    }
    record({
      section: "screen",
      metric: `screen after 16 MiB of text, ${lookedBefore ? "emulator fed along" : "first look (emulator made when output went quiet)"}`,
      unit: "ms",
      value: stats(samples),
      ...(lookedBefore ? { target: "< 100 ms", met: stats(samples).median < 100 } : {}),
    });
  }
}

// ---- 5c. fidelity: screen during a flood, lines --tail after a long session --------
async function fidelityCost(tmuxSkip?: string): Promise<void> {
  console.error("5c. screen during a flood, lines --tail");
  // `yes` never stops: screen must answer anyway, as of the offset it names.
  const id = await bg(["start", "yes"]);
  await bg(["poll", id, "--until", "y", "--yield", "10000", "--reader", "probe"]);
  const flood = await measure(N, 3, async () => (await run([BIN, "screen", id])).ms);
  await bg(["close", id]);
  let compare: { label: string; value: Stats } | undefined;
  if (!tmuxSkip) {
    const socket = `bgb-flood-${process.pid}`;
    trackTmux(socket);
    Bun.spawnSync(["tmux", "-L", socket, "new-session", "-d", "-s", "fl", "-x", "80", "-y", "24", "yes"]);
    await Bun.sleep(500);
    const tmux = await measure(
      N,
      3,
      async () => (await run(["tmux", "-L", socket, "capture-pane", "-p", "-t", "fl"])).ms,
    );
    Bun.spawnSync(["tmux", "-L", socket, "kill-server"]);
    compare = { label: "tmux capture-pane", value: tmux };
  }
  record({
    section: "screen",
    metric: "screen while `yes` floods the session",
    unit: "ms",
    value: flood,
    ...(compare ? { compare } : {}),
    target: "< 50 ms",
    met: flood.median < 50,
  });
  // lines --tail 10 after 50 MiB of 64-byte lines: read backwards from the end.
  const mib = 50;
  const long = await bg([
    "start",
    "--max-buffer",
    "64M",
    "sh",
    "-c",
    `head -c ${(mib * MiB * 3) / 4} /dev/urandom | base64 -w 63; echo END; exec sleep 600`,
  ]);
  await bg(["poll", long, "--until", "^END", "--yield", "120000", "--reader", "probe"]);
  const tail = await measure(N, 3, async () => (await run([BIN, "lines", long, "--tail", "10"])).ms);
  await bg(["close", long]);
  record({
    section: "lines",
    metric: `lines --tail 10 after ${mib} MiB`,
    unit: "ms",
    value: tail,
    target: "< 50 ms",
    met: tail.median < 50,
  });
}

// ---- 6. idle cost ---------------------------------------------------------------------
async function idleCost(peers: ReturnType<typeof ensurePeers>, tmuxSkip?: string): Promise<void> {
  console.error("6. idle cost");
  const count = 50;
  const ids = await Promise.all(Array.from({ length: count }, () => bg(["start", "cat"])));
  const records = JSON.parse(await bg(["ls", "--json"]));
  const supervisors: number[] = records.map((r: { supervisor_pid: number }) => r.supervisor_pid);
  await Bun.sleep(1000);
  const before = supervisors.map(cpuTicks);
  const seconds = QUICK ? 3 : 10;
  await Bun.sleep(seconds * 1000);
  const ticks = supervisors.map(cpuTicks).reduce((sum, t, i) => sum + t - before[i]!, 0);
  const clockTicks = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;
  const cpuPercent = (ticks / clockTicks / seconds) * 100;
  const pss = supervisors.map(pssKb);
  await bg(["close", ...ids]);
  record({
    section: "idle",
    metric: `${count} idle sessions, total supervisor CPU over ${seconds} s`,
    unit: "% of a core",
    value: cpuPercent,
    target: "< 1%",
    met: cpuPercent < 1,
  });
  const perSupervisor = stats(pss.map((kb) => kb / 1024));
  const tmuxPane = tmuxSkip ? undefined : tmuxPerPane(count);
  const dtach = peers.dtach ? undefined : dtachPerSession(count);
  record({
    section: "idle",
    metric: "PSS per supervisor (idle session)",
    unit: "MiB",
    value: perSupervisor,
    ...(dtach ? { compare: { label: "dtach per session", value: dtach } } : {}),
    target: "< 3 MiB",
    met: perSupervisor.median < 3,
  });
  record({
    section: "idle",
    metric: `PSS of ${count} supervisors`,
    unit: "MiB",
    value: pss.reduce((a, b) => a + b, 0) / 1024,
  });
  if (dtach)
    record({ section: "idle", metric: "dtach PSS per idle session (master process)", unit: "MiB", value: dtach });
  else record({ section: "idle", metric: "dtach PSS per idle session", unit: "MiB", value: null, note: peers.dtach });
  if (tmuxPane) {
    record({
      section: "idle",
      metric: `tmux server PSS per idle pane (${count} panes: server / ${count})`,
      unit: "MiB",
      value: tmuxPane.average,
      compare: { label: "bgterm per session", value: perSupervisor },
    });
    record({
      section: "idle",
      metric: `tmux server PSS added by each idle pane (1 -> ${count} panes)`,
      unit: "MiB",
      value: tmuxPane.marginal,
      note: "one server process holds every pane",
    });
  } else record({ section: "idle", metric: "tmux PSS per idle pane", unit: "MiB", value: null, note: tmuxSkip });
}

// A private tmux server with 1, then count, idle panes running cat (in as many
// sessions, as bgterm has sessions): its PSS over the panes, and what each added.
function tmuxPerPane(count: number): { average: number; marginal: number } {
  const socket = `bgb-${process.pid}-idle`;
  trackTmux(socket);
  const tmux = (...args: string[]) => Bun.spawnSync(["tmux", "-L", socket, ...args], { stderr: "ignore" });
  tmux("new-session", "-d", "-s", "i0", "-x", "80", "-y", "24", "cat");
  const server = Number(tmux("display-message", "-p", "#{pid}").stdout.toString().trim());
  Bun.sleepSync(500);
  const one = pssKb(server);
  for (let i = 1; i < count; i++) tmux("new-session", "-d", "-s", `i${i}`, "-x", "80", "-y", "24", "cat");
  Bun.sleepSync(1000);
  const all = pssKb(server);
  tmux("kill-server");
  return { average: all / count / 1024, marginal: (all - one) / (count - 1) / 1024 };
}

// count detached dtach sessions running cat: the PSS of each master process.
function dtachPerSession(count: number): Stats {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgb-dtach-"));
  try {
    for (let i = 0; i < count; i++) Bun.spawnSync(["dtach", "-n", path.join(dir, `s${i}`), "-z", "cat"]);
    const masters = pidsMatching("dtach", dir);
    for (const pid of masters) trackPid(pid);
    Bun.sleepSync(1000);
    const pss = stats(masters.map((pid) => pssKb(pid) / 1024));
    killPids(masters);
    return pss;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- 7. scale ------------------------------------------------------------------------------
async function scale(): Promise<void> {
  console.error("7. scale");
  const ids: string[] = [];
  for (const target of [1, 50, 200]) {
    while (ids.length < target) {
      const batch = Math.min(10, target - ids.length);
      ids.push(...(await Promise.all(Array.from({ length: batch }, () => bg(["start", "cat"])))));
    }
    const ls = await measure(QUICK ? 5 : 10, 1, async () => (await run([BIN, "ls"])).ms);
    record({ section: "scale", metric: `ls with ${target} sessions`, unit: "ms", value: ls });
  }
  const extra: string[] = [];
  const start = await measure(QUICK ? 5 : 10, 1, async () => {
    const r = await run([BIN, "start", "cat"]);
    extra.push(r.stdout.trim());
    return r.ms;
  });
  record({ section: "scale", metric: "start with 200 sessions alive", unit: "ms", value: start });
  await bg(["close", "--all"]);
}

// ---- 8. flood with a slow reader ------------------------------------------------------------
async function flood(): Promise<void> {
  console.error("8. flood");
  const bytes = (QUICK ? 256 : 1024) * MiB;
  const id = await bg(["start", "sh", "-c", `stty raw -echo; head -c ${bytes} /dev/zero | tr '\\0' x; printf END`]);
  const info = JSON.parse(await bg(["info", id, "--json"]));
  let peakKb = 0;
  let polls = 0;
  for (;;) {
    peakKb = Math.max(peakKb, procStatusKb(info.supervisor_pid, "VmHWM"));
    await run([BIN, "poll", id, "--yield", "0", "--idle", "0"]);
    polls++;
    const state = JSON.parse(await bg(["info", id, "--json"]));
    if (state.state !== "running") break;
    await Bun.sleep(100);
  }
  const final = JSON.parse(await bg(["info", id, "--json"]));
  const window = await run([BIN, "read", id, "--from", String(final.start_offset)]);
  const exact =
    final.end_offset === bytes + 3 &&
    final.start_offset === final.end_offset - 16 * MiB &&
    window.stdout.length === 16 * MiB &&
    window.stdout.endsWith("END") &&
    /^x+END$/.test(window.stdout);
  await bg(["close", id]);
  record({
    section: "flood",
    metric: `supervisor peak RSS, ${bytes / MiB} MiB with a reader every 100 ms (${polls} polls)`,
    unit: "MiB",
    value: peakKb / 1024,
    target: "< 48 MiB",
    met: peakKb / 1024 < 48,
  });
  record({
    section: "flood",
    metric: "retained window is exactly the last 16 MiB",
    unit: "",
    value: exact ? 1 : 0,
    met: exact,
  });
}

function machine() {
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? "unknown",
    memory_gib: Math.round(os.totalmem() / 1024 ** 3),
    kernel: os.release(),
    bun: Bun.version,
    date: new Date().toISOString(),
    quick: QUICK,
  };
}

function table(): string {
  const lines = [
    "| section | metric | bgterm | compared with | ratio | target | met |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const value = r.value === null ? `skipped: ${r.note}` : fmt(r.value, r.unit);
    const compare = r.compare ? `${r.compare.label}: ${fmt(r.compare.value, r.unit)}` : "";
    const rat = r.compare && r.value !== null ? `x${ratio(r.value, r.compare.value).toFixed(2)}` : "";
    const met = r.met === undefined ? "" : r.met ? "yes" : "**no**";
    lines.push(`| ${r.section} | ${r.metric} | ${value} | ${compare} | ${rat} | ${r.target ?? ""} | ${met} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  if (!fs.existsSync(BIN)) throw new Error("dist/bgterm is missing: run make build");
  console.error(`bench: state dir ${STATE_DIR}${QUICK ? " (quick)" : ""}`);
  const hello = await compileHello();
  const tmuxSkip = await ensureTmux();
  const peers = ensurePeers();
  const floor = await cliFloor(hello);
  if (only("start")) await startLatency(floor, peers, tmuxSkip);
  const tmuxLoop = only("round trip") ? await roundTrip(floor, tmuxSkip) : undefined;
  if (only("mcp")) await mcpRoundTrip(tmuxLoop);
  if (only("repl")) await replRoundTrip(peers.pexpect);
  if (only("exec")) await execRoundTrip();
  if (only("wake-up")) await wakeUp(floor);
  if (only("throughput")) await throughput();
  if (only("screen")) await screenCost();
  if (only("fidelity")) await fidelityCost(tmuxSkip);
  if (only("idle")) await idleCost(peers, tmuxSkip);
  if (only("scale")) await scale();
  if (only("flood")) await flood();
  if (only("remote")) await remoteLatency(record, N);
  const results = {
    machine: machine(),
    rows: rows.map((r) => ({
      ...r,
      ratio: r.compare && r.value !== null ? ratio(r.value, r.compare.value) : undefined,
    })),
  };
  // A partial run (BENCH_ONLY) leaves the recorded full run alone.
  if (ONLY === undefined) {
    fs.writeFileSync(path.join(ROOT, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  }
  console.log(table());
}

try {
  await main();
} finally {
  await cleanup();
}
