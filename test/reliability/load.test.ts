// Load: many pollers on one chatty session, many sessions started at once,
// large pastes through send --stdin, and a gigabyte of output with no reader.
import { afterAll, describe, expect, test } from "bun:test";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BIN, Bg, eventually, processAlive } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

describe("load", () => {
  test("20 clients polling one chatty session for 10 s receive its output exactly once, in order", async () => {
    const script = "i=0; while :; do echo chatter-$i-$(date +%N); i=$((i+1)); done";
    const id = await bg.start(["--max-buffer", "256M", "sh", "-c", `stty -echo; read x; ${script}`]);
    await bg.ok(["send", id, "", "--yield", "0", "--reader", "trigger"]);
    const until = performance.now() + 10_000;
    const pieces: { from: number; to: number; text: string }[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
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
    expect(pieces.length).toBeGreaterThan(20);
    await bg.ok(["close", id]);
  });

  test("100 sessions started in parallel from 10 shells: distinct ids, all usable, listed, all closed", async () => {
    const quoted = JSON.stringify(BIN);
    const shells = Array.from({ length: 10 }, () =>
      Bun.spawn(["sh", "-c", `for i in 1 2 3 4 5 6 7 8 9 10; do ${quoted} start cat & done; wait`], {
        env: bg.env(),
        stdout: "pipe",
      }),
    );
    const ids = (await Promise.all(shells.map((s) => new Response(s.stdout).text()))).join("").trim().split("\n");
    expect(ids.length).toBe(100);
    expect(new Set(ids).size).toBe(100);
    const listed = (await bg.json(["ls"])).map((r: { id: number }) => String(r.id));
    expect(listed.sort()).toEqual([...ids].sort());
    const sample = ids.filter((_, i) => i % 10 === 0);
    for (const id of sample)
      expect(await bg.ok(["send", id, `hello-${id}`, "--until", `hello-${id}\\n.*hello-${id}`])).toContain(
        `hello-${id}`,
      );
    const pids = (await bg.json(["ls"])).flatMap((r: { pid: number; supervisor_pid: number }) => [
      r.pid,
      r.supervisor_pid,
    ]);
    await bg.ok(["close", "--all"]);
    expect(await bg.json(["ls"])).toEqual([]);
    await eventually(() => pids.every((pid: number) => !processAlive(pid)), "all 200 processes to end");
  });

  for (const reader of ["cat", "a slow reader"]) {
    test(`a 10 MiB paste through send --stdin arrives complete and in order (${reader})`, async () => {
      const size = 10 * 1024 * 1024;
      const data = crypto.randomBytes(size);
      const file = path.join(bg.stateDir, `paste-${reader.length}`);
      const sink =
        reader === "cat"
          ? `head -c ${size} > ${file}`
          : `python3 -c 'import sys,time
out = open("${file}", "wb")
left = ${size}
while left:
    chunk = sys.stdin.buffer.raw.read(min(left, 4096))
    out.write(chunk); left -= len(chunk); time.sleep(0.0005)
out.close()'`;
      const id = await bg.start(["sh", "-c", `stty raw -echo; echo ready; ${sink}; echo stored`]);
      await bg.readUntil(id, /ready/);
      await bg.ok(["send", id, "--stdin", "--yield", "0"], { stdin: data });
      await bg.readUntil(id, /stored/, 120_000);
      const stored = fs.readFileSync(file);
      expect(stored.length).toBe(size);
      expect(crypto.createHash("sha256").update(stored).digest("hex")).toBe(
        crypto.createHash("sha256").update(data).digest("hex"),
      );
      await bg.ok(["close", id]);
    }, 180_000);
  }

  test("1 GiB of output with no reader: bounded memory, exactly the last --max-buffer bytes, exact dropped_bytes", async () => {
    const size = 1024 * 1024 * 1024;
    const window = 8 * 1024 * 1024;
    const id = await bg.start([
      "--max-buffer",
      "8M",
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
    // Bounded: far below the gigabyte that went through (the binary's own pages are ~40 MiB of it).
    expect(peakKb / 1024).toBeLessThan(128);
    console.error(`supervisor peak RSS over 1 GiB: ${(peakKb / 1024).toFixed(1)} MiB`);
    await bg.ok(["close", id]);
  }, 300_000);
});
