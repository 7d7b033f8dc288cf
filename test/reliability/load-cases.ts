// Load cases shared by load.test.ts (small sizes, fast) and load.slow.test.ts
// (the full sizes): the same checks, only the counts and sizes differ.
import { expect } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { BIN, type Bg, eventually, processAlive } from "../helpers.ts";

// `pollers` clients poll one chatty session for `ms`: every byte arrives exactly once, in order.
export async function pollerSoak(bg: Bg, pollers: number, ms: number): Promise<void> {
  const script = "i=0; while :; do echo chatter-$i-$(date +%N); i=$((i+1)); done";
  const id = await bg.start(["--max-buffer", "256M", "sh", "-c", `stty -echo; read x; ${script}`]);
  await bg.ok(["send", id, "", "--yield", "0", "--reader", "trigger"]);
  const until = performance.now() + ms;
  const pieces: { from: number; to: number; text: string }[] = [];
  await Promise.all(
    Array.from({ length: pollers }, async () => {
      while (performance.now() < until) {
        const json = await bg.json(["poll", id, "--yield", "200", "--idle", "0"]);
        if (json.text) pieces.push({ from: json.start_offset, to: json.end_offset, text: json.text });
      }
    }),
  );
  await bg.ok(["kill", id, "TERM"]);
  await bg.run(["wait", id, "--timeout", "10000"]);
  const rest = await bg.json(["read", id]);
  if (rest.text) pieces.push({ from: rest.start_offset, to: rest.end_offset, text: rest.text });
  pieces.sort((a, b) => a.from - b.from);
  // Contiguous, non-overlapping, and from the first byte to the last.
  expect(pieces[0]!.from).toBe(0);
  for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.from).toBe(pieces[i - 1]!.to);
  const info = await bg.json(["info", id]);
  expect(pieces[pieces.length - 1]!.to).toBe(info.end_offset);
  expect(info.dropped_bytes).toBe(0);
  // And byte for byte what the session recorded.
  const all = pieces.map((p) => p.text).join("");
  const recorded = await bg.run(["read", id, "--from", "0"]);
  expect(all === recorded.text).toBe(true);
  const counters = all
    .split("\r\n")
    .filter(Boolean)
    .map((line) => Number(line.split("-")[1]));
  counters.forEach((n, i) => {
    if (n !== i) throw new Error(`line ${i} has counter ${n}`);
  });
  expect(pieces.length).toBeGreaterThan(pollers);
  await bg.ok(["close", id]);
}

// `shells` shells each start `perShell` sessions at once: distinct ids, all usable, listed, all closed.
export async function parallelStarts(bg: Bg, shells: number, perShell: number): Promise<void> {
  const quoted = JSON.stringify(BIN);
  const loop = Array.from({ length: perShell }, (_, i) => i + 1).join(" ");
  const total = shells * perShell;
  const children = Array.from({ length: shells }, () =>
    Bun.spawn(["sh", "-c", `for i in ${loop}; do ${quoted} start cat & done; wait`], {
      env: bg.env(),
      stdout: "pipe",
    }),
  );
  const ids = (await Promise.all(children.map((s) => new Response(s.stdout).text()))).join("").trim().split("\n");
  expect(ids.length).toBe(total);
  expect(new Set(ids).size).toBe(total);
  const listed = (await bg.json(["ls"])).map((r: { id: number }) => String(r.id));
  expect(listed.sort()).toEqual([...ids].sort());
  const sample = ids.filter((_, i) => i % 10 === 0);
  for (const id of sample)
    expect(await bg.ok(["send", id, `hello-${id}`, "--until", `hello-${id}\\n.*hello-${id}`])).toContain(`hello-${id}`);
  const pids = (await bg.json(["ls"])).flatMap((r: { pid: number; supervisor_pid: number }) => [
    r.pid,
    r.supervisor_pid,
  ]);
  await bg.ok(["close", "--all"]);
  expect(await bg.json(["ls"])).toEqual([]);
  await eventually(() => pids.every((pid: number) => !processAlive(pid)), `all ${2 * total} processes to end`);
}

// `size` bytes of output with no reader and a `--max-buffer` of `window` bytes (whole MiB):
// bounded memory, exactly the last `window` bytes kept, exact dropped_bytes.
export async function floodNoReader(bg: Bg, size: number, window: number, label: string): Promise<void> {
  const id = await bg.start([
    "--max-buffer",
    `${window / (1024 * 1024)}M`,
    "sh",
    "-c",
    `stty raw -echo; head -c ${size} /dev/zero | tr '\\0' q; printf TAIL`,
  ]);
  const { supervisor_pid } = await bg.json(["info", id]);
  let peakKb = 0;
  const watch = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${supervisor_pid}/status`, "utf8"));
      peakKb = Math.max(peakKb, Number(m?.[1] ?? 0));
    } catch {}
  }, 50);
  expect((await bg.run(["wait", id, "--timeout", "240000"])).code).toBe(0);
  clearInterval(watch);
  const info = await bg.json(["info", id]);
  expect(info.end_offset).toBe(size + 4);
  expect(info.start_offset).toBe(size + 4 - window);
  expect(info.dropped_bytes).toBe(size + 4 - window);
  const out = await bg.run(["read", id]);
  expect(out.stdout.length).toBe(window);
  expect(out.text.endsWith("TAIL")).toBe(true);
  expect(/^q+TAIL$/.test(out.text)).toBe(true);
  const file = fs.statSync(path.join(bg.stateDir, "sessions", id, "output"));
  expect(file.size).toBe(window);
  // Bounded: far below the gigabyte of the slow case (the binary's own pages are ~40 MiB of it).
  expect(peakKb / 1024).toBeLessThan(128);
  console.error(`supervisor peak RSS over ${label}: ${(peakKb / 1024).toFixed(1)} MiB`);
  await bg.ok(["close", id]);
}
