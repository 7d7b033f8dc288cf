// Supervisor kills over a deterministic stream (test/fixtures/stream.py): every
// byte a read serves afterwards must be the byte the program wrote at that offset.
import fs from "node:fs";
import path from "node:path";
import { type Bg, eventually, processAlive, ROOT } from "../helpers.ts";

export const STREAM = path.join(ROOT, "test", "fixtures", "stream.py");

// The byte the stream holds at absolute offset k.
export function expectedByte(k: number): number {
  const record = `${String(11 * Math.floor(k / 11)).padStart(10, "0")};`;
  return record.charCodeAt(k % 11);
}

// Offsets whose byte differs from the stream's, in `bytes` starting at `from`.
export function badBytes(bytes: Buffer, from: number): number {
  let bad = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== expectedByte(from + i)) bad++;
  return bad;
}

export async function startStream(bg: Bg, maxBuffer: string, perWrite = 64, pause = 0.001) {
  const id = await bg.start(["--max-buffer", maxBuffer, "python3", STREAM, String(perWrite), String(pause)]);
  const info = await bg.json(["info", id]);
  return { id, supervisor: info.supervisor_pid as number, pid: info.pid as number };
}

// Waits until the stream has produced at least `bytes` bytes.
export async function waitForOutput(bg: Bg, id: string, bytes: number): Promise<void> {
  const end = path.join(bg.stateDir, "sessions", id, "end");
  await eventually(() => Number(fs.readFileSync(end, "utf8").split("\n")[0]) >= bytes, `${bytes} bytes of output`);
}

// After the supervisor died: reads everything retained and checks it.
export async function verifyAfterKill(bg: Bg, id: string, supervisor: number) {
  await eventually(() => !processAlive(supervisor), "the supervisor to die", 20_000);
  const result = await bg.run(["read", id, "--from", "0", "--json"]);
  if (result.code !== 0) throw new Error(`read exited ${result.code}: ${result.stderr}`);
  const read = JSON.parse(result.text);
  const bytes = Buffer.from(read.text, "latin1");
  return { served: bytes.length, bad: badBytes(bytes, read.start_offset), end: read.end_offset as number };
}

// Kills the supervisor exactly when it makes its `when`-th write to the end
// file (strace fault injection), i.e. at every point of the append sequence.
export async function killAtEndWrite(bg: Bg, id: string, supervisor: number, when: number): Promise<void> {
  const end = path.join(bg.stateDir, "sessions", id, "end");
  const strace = Bun.spawn(
    [
      "strace",
      "-qq",
      "-o",
      "/dev/null",
      "-f",
      "-e",
      "trace=pwrite64",
      "-e",
      `inject=pwrite64:signal=SIGKILL:when=${when}`,
      "-P",
      end,
      "-p",
      String(supervisor),
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  try {
    await eventually(() => !processAlive(supervisor), "strace to kill the supervisor at its end write", 20_000);
  } finally {
    // SIGKILL: a tracer can hang on a killed multi-threaded tracee and ignore SIGTERM.
    strace.kill("SIGKILL");
    await strace.exited;
  }
}

export function haveStrace(): boolean {
  return Bun.spawnSync(["sh", "-c", "command -v strace"]).exitCode === 0;
}
