// The long load and race cases (issue 15 #3, #9, #11, #15, #17): the
// supervisor's peak memory on a 400 MB paste, the full-size load cases (20
// pollers for 10 s, 100 parallel starts, 1 GiB with no reader), and many rounds
// of concurrent --replace, --reuse, close and close --all. Figures are printed for the
// README's Guarantees.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { BIN, Bg } from "../helpers.ts";
import { RAW, runBounded } from "./bounded.ts";
import { floodNoReader, parallelStarts, pollerSoak } from "./load-cases.ts";

// Many racing clients at full size: a hang is declared after two minutes.
const HANG_MS = 120_000;

const bg = new Bg();
afterAll(() => bg.cleanup());

function peakRssKiB(pid: number): number {
  return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}

describe("memory", () => {
  test("a 400 MB paste: supervisor peak RSS under 64 MiB", async () => {
    const id = await bg.start(["sh", "-c", "stty raw -echo; exec cat > /dev/null"]);
    const info = await bg.json(["info", id]);
    const file = path.join(bg.stateDir, "paste.bin");
    // Random-looking, not compressible, written once in 4 MiB pieces.
    const fd = fs.openSync(file, "w");
    const piece = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < piece.length; i++) piece[i] = (i * 2654435761) >>> 24;
    for (let i = 0; i < 100; i++) fs.writeSync(fd, piece);
    fs.closeSync(fd);
    const input = fs.openSync(file, "r");
    const send = Bun.spawn([BIN, "send", id, "--stdin", "--yield", "0"], {
      env: bg.env(),
      stdin: input,
      stdout: "ignore",
    });
    expect(await send.exited).toBe(0);
    fs.closeSync(input);
    const peak = peakRssKiB(info.supervisor_pid);
    console.log(`FIGURE paste: 400 MiB (419430400 bytes), supervisor peak RSS ${(peak / 1024).toFixed(1)} MiB`);
    expect(peak).toBeLessThan(64 * 1024);
    fs.rmSync(file);
    await bg.ok(["close", id]);
  });
});

// The full sizes of cases whose small versions run in load.test.ts, in a state
// dir of their own (parallel starts compare the whole session list).
const loadBg = new Bg();
afterAll(() => loadBg.cleanup());

describe("load", () => {
  test("20 clients polling one chatty session for 10 s receive its output exactly once, in order", async () => {
    await pollerSoak(loadBg, 20, 10_000);
  });

  test("100 sessions started in parallel from 10 shells: distinct ids, all usable, listed, all closed", async () => {
    await parallelStarts(loadBg, 10, 10);
  });

  test("1 GiB of output with no reader: bounded memory, exactly the last --max-buffer bytes, exact dropped_bytes", async () => {
    await floodNoReader(loadBg, 1024 * 1024 * 1024, 8 * 1024 * 1024, "1 GiB");
  }, 300_000);
});

describe("races at scale", () => {
  test("close --all against starts, --replace against --replace, --reuse against close: 0 hangs, 0 raw errors", async () => {
    let clients = 0;
    let hangs = 0;
    let raw = 0;
    const tally = (results: Awaited<ReturnType<typeof runBounded>>[]) => {
      for (const result of results) {
        clients++;
        if (result.timedOut) hangs++;
        if (RAW.test(result.stderr)) raw++;
      }
    };
    for (let round = 0; round < 10; round++) {
      const starts = Array.from({ length: 8 }, () => runBounded(bg, ["start", "cat"], HANG_MS));
      await Bun.sleep(round * 5);
      tally([await runBounded(bg, ["close", "--all"], HANG_MS)]);
      tally(await Promise.all(starts));
      tally([await runBounded(bg, ["close", "--all"], HANG_MS)]);
    }
    let extraLive = 0;
    for (let round = 0; round < 3; round++) {
      tally(
        await Promise.all(
          Array.from({ length: 20 }, () => runBounded(bg, ["start", "-n", "web", "--replace", "cat"], HANG_MS)),
        ),
      );
      const records = JSON.parse(await bg.ok(["ls", "--json"]));
      const live = records.filter((r: any) => r.name === "web" && r.state === "running").length;
      if (live !== 1) extraLive++;
      tally([await runBounded(bg, ["close", "--all"], HANG_MS)]);
    }
    for (let round = 0; round < 10; round++) {
      await bg.start(["-n", "reused", "cat"]);
      tally(
        await Promise.all([
          ...Array.from({ length: 4 }, () => runBounded(bg, ["start", "-n", "reused", "--reuse", "cat"], HANG_MS)),
          runBounded(bg, ["close", "reused"], HANG_MS),
          runBounded(bg, ["close", "reused"], HANG_MS),
        ]),
      );
      tally([await runBounded(bg, ["close", "--all"], HANG_MS)]);
    }
    console.log(
      `FIGURE races: ${clients} racing clients, ${hangs} hangs, ${raw} raw errors, ${extraLive} rounds without exactly one --replace winner`,
    );
    expect({ hangs, raw, extraLive }).toEqual({ hangs: 0, raw: 0, extraLive: 0 });
  });
});
