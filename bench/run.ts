// `make bench`: bgterm beside the alternatives in one run, with ratios taken
// pair by pair (absolute times drift on shared machines; ratios hold).
// Prints a table and writes bench/results.json.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  BIN,
  bg,
  cleanup,
  cpuTicks,
  env,
  hasCommand,
  measure,
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
  if (typeof v === "number") return `${v.toFixed(unit === "ms" ? 2 : 1)} ${unit}`;
  return `${v.median.toFixed(2)} ${unit} (min ${v.min.toFixed(2)}, max ${v.max.toFixed(2)}, n=${v.n})`;
}

async function compileHello(): Promise<string> {
  const out = path.join(ROOT, "bench", ".build", "hello");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const bun = process.execPath;
  const built = Bun.spawnSync(
    [bun, "build", "--compile", "--minify", "--bytecode", path.join(ROOT, "bench", "hello.ts"), "--outfile", out],
    { stdout: "ignore" },
  );
  if (built.exitCode !== 0) throw new Error("could not compile the hello-world floor");
  return out;
}

async function ensureTmux(): Promise<string | undefined> {
  if (hasCommand("tmux")) return undefined;
  if (process.getuid?.() === 0 && hasCommand("apt-get")) {
    Bun.spawnSync(["apt-get", "install", "-y", "-qq", "tmux"], { stdout: "ignore", stderr: "ignore" });
    if (hasCommand("tmux")) return undefined;
  }
  return "tmux is not installed and could not be installed with apt-get";
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
  });
  return floor;
}

// ---- 2. start ----------------------------------------------------------------
async function startLatency(floor: Stats, tmuxSkip?: string): Promise<void> {
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
    target: "<= 1.5x floor",
    met: ratio(sendCat, floor) <= 1.5,
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
    const send = await measure(N * 5, 10, async (i) => {
      const token = `ping${i}x`;
      const t0 = performance.now();
      const result = await client.call("terminal_send", { id: cat.id, text: token, until: token });
      const ms = performance.now() - t0;
      if (result.outcome !== "matched") throw new Error(`terminal_send: ${JSON.stringify(result)}`);
      return ms;
    });
    record({
      section: "mcp",
      metric: "terminal_send round trip on cat (until echo)",
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
      ...(backend === "bun" ? { target: ">= 90% of script -qc", met: rate.median >= 0.9 * scriptRate.median } : {}),
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
async function idleCost(): Promise<void> {
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
  record({ section: "idle", metric: "PSS per supervisor", unit: "MiB", value: stats(pss.map((kb) => kb / 1024)) });
  record({
    section: "idle",
    metric: `PSS of ${count} supervisors`,
    unit: "MiB",
    value: pss.reduce((a, b) => a + b, 0) / 1024,
  });
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
    target: "< 64 MiB",
    met: peakKb / 1024 < 64,
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
  const floor = await cliFloor(hello);
  if (only("start")) await startLatency(floor, tmuxSkip);
  const tmuxLoop = only("round trip") ? await roundTrip(floor, tmuxSkip) : undefined;
  if (only("mcp")) await mcpRoundTrip(tmuxLoop);
  if (only("wake-up")) await wakeUp(floor);
  if (only("throughput")) await throughput();
  if (only("screen")) await screenCost();
  if (only("fidelity")) await fidelityCost(tmuxSkip);
  if (only("idle")) await idleCost();
  if (only("scale")) await scale();
  if (only("flood")) await flood();
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
