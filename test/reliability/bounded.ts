// Helpers the race and load suites share: a client run that cannot hang the
// test, the pattern of a raw system error leaking through, and the live
// sessions under a name.
import { BIN, type Bg } from "../helpers.ts";

// A system error leaking through instead of a sentence.
export const RAW = /\b(ENOENT|EEXIST|EPIPE|ECONNRESET|EBADF|errno)\b/;

// Runs bgterm against bg's state dir; a hang shows as timedOut (the client is
// killed after hangMs), not as a stuck test.
export async function runBounded(bg: Bg, args: string[], hangMs = 60_000) {
  const child = Bun.spawn([BIN, ...args], { env: bg.env(), stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, hangMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr, timedOut };
}

// Ids of the running sessions called `name`.
export async function liveNamed(bg: Bg, name: string): Promise<number[]> {
  const records = JSON.parse((await bg.ok(["ls", "--json"])).trim());
  return records.filter((r: any) => r.name === name && r.state === "running").map((r: any) => r.id);
}
