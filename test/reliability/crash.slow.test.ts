// The long versions of the kill tests (issue 15 #1 and the delivery guarantee):
// over a hundred random supervisor kills with every served byte verified, the
// end-file write sequence killed at each of its first 24 writes, and hundreds
// of clients killed mid-read with every acknowledged byte delivered exactly once.
// The figures are printed for the README's Guarantees.
import { afterAll, describe, expect, test } from "bun:test";
import { BIN, Bg } from "../helpers.ts";
import { badBytes, haveStrace, killAtEndWrite, startStream, verifyAfterKill, waitForOutput } from "./streams.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

let seed = 20261122;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

describe("supervisor kills", () => {
  test("120 random SIGKILLs over checksummed streams: 0 bad bytes", async () => {
    const rounds = 120;
    let served = 0;
    let bad = 0;
    for (let round = 0; round < rounds; round++) {
      // Small and large buffers, small and large writes.
      const buffer = round % 2 ? "4K" : "64K";
      const { id, supervisor } = await startStream(bg, buffer, round % 3 ? 16 : 200, 0);
      await waitForOutput(bg, id, Math.floor(random() * 200_000));
      process.kill(supervisor, "SIGKILL");
      const result = await verifyAfterKill(bg, id, supervisor);
      served += result.served;
      bad += result.bad;
      await bg.ok(["close", id]);
    }
    console.log(`FIGURE supervisor kills: ${rounds} kills, ${served} bytes verified, ${bad} bad`);
    expect(bad).toBe(0);
  });

  test("killed at each of the first 24 end-file writes (strace): 0 bad bytes", async () => {
    if (!haveStrace()) return void console.warn("skipped: strace is not installed");
    let bad = 0;
    for (let when = 1; when <= 24; when++) {
      const { id, supervisor } = await startStream(bg, "64K");
      await waitForOutput(bg, id, 131072);
      await killAtEndWrite(bg, id, supervisor, when);
      bad += (await verifyAfterKill(bg, id, supervisor)).bad;
      await bg.ok(["close", id]);
    }
    console.log(`FIGURE forced kills at end-file writes: 24, ${bad} bad bytes`);
    expect(bad).toBe(0);
  });
});

// Where a piece of the stream starts, from its content: the record after its
// first ';' names its own offset. undefined for a piece too short to tell.
function offsetOf(bytes: Buffer): number | undefined {
  const semi = bytes.indexOf(59);
  if (semi === -1 || semi + 12 > bytes.length) return undefined;
  return Number(bytes.toString("latin1", semi + 1, semi + 11)) - (semi + 1);
}

describe("client kills", () => {
  test("400+ clients killed mid-read: no byte skipped, none acknowledged twice", async () => {
    const { id } = await startStream(bg, "16M", 16, 0.001);
    // Plain output is written before the read is acknowledged, so a killed
    // client shows everything it may have acknowledged.
    const completed: { from: number; to: number }[] = [];
    const all: { from: number; to: number }[] = [];
    let killed = 0;
    let bad = 0;
    let unknown = 0;
    const take = async (args: string[], kill: boolean) => {
      const client = Bun.spawn([BIN, ...args], { env: bg.env(), stdout: "pipe", stderr: "ignore" });
      const output = new Response(client.stdout).arrayBuffer();
      if (kill) {
        await Bun.sleep(Math.floor(random() * 25));
        client.kill("SIGKILL");
      }
      const [code, data] = await Promise.all([client.exited, output]);
      const bytes = Buffer.from(data);
      if (code !== 0) killed++;
      if (bytes.length === 0) return;
      const from = offsetOf(bytes);
      if (from === undefined) {
        unknown++;
        return;
      }
      bad += badBytes(bytes, from);
      all.push({ from, to: from + bytes.length });
      if (code === 0) completed.push({ from, to: from + bytes.length });
    };
    // Two clients in three are killed at a random moment of their first 25 ms;
    // a read that finishes first is not a kill, so go on until 400 kills landed.
    for (let i = 0; killed < 400 && i < 3000; i++) {
      await take(["poll", id, "--reader", "k", "--yield", "50", "--idle", "0"], i % 3 !== 0);
    }
    // One last read collects whatever the killed clients left unacknowledged.
    await take(["read", id, "--reader", "k"], false);
    const end = Math.max(...all.map((range) => range.to));
    let covered = 0;
    let skipped = 0;
    for (const range of [...all].sort((a, b) => a.from - b.from)) {
      if (range.from > covered) skipped += range.from - covered;
      covered = Math.max(covered, range.to);
    }
    let doubled = 0;
    let last = 0;
    for (const range of [...completed].sort((a, b) => a.from - b.from)) {
      if (range.from < last) doubled += last - range.from;
      last = Math.max(last, range.to);
    }
    console.log(
      `FIGURE client kills: ${killed} killed mid-read, ${completed.length} completed reads, ${end} bytes, ${skipped} skipped, ${doubled} doubled, ${bad} bad, ${unknown} too short to place`,
    );
    expect(killed).toBeGreaterThanOrEqual(400);
    expect({ skipped, doubled, bad, unknown }).toEqual({ skipped: 0, doubled: 0, bad: 0, unknown: 0 });
    await bg.ok(["close", id]);
  });
});
