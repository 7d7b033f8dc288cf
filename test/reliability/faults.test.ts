// Faults: a supervisor killed mid-output, clients killed mid-read, a full
// disk, stale state, and containment on close.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, Bg, eventually, isRoot, makeStateDir, processAlive } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

// A 256 KiB tmpfs for the full-disk test, if this machine lets us mount one
// (root, and a kernel or container that allows it); otherwise that test is skipped.
function mountSmallTmpfs(): string | undefined {
  if (!isRoot) return undefined;
  const mount = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-full-"));
  const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", mount]);
  if (mounted.exitCode === 0) return mount;
  fs.rmSync(mount, { recursive: true, force: true });
  return undefined;
}
const smallDisk = mountSmallTmpfs();
afterAll(() => {
  if (!smallDisk) return;
  Bun.spawnSync(["umount", "-l", smallDisk]);
  fs.rmSync(smallDisk, { recursive: true, force: true });
});

async function record(id: string) {
  return bg.json(["info", id]);
}

describe("supervisor death", () => {
  test("SIGKILL while the child prints: lost, output readable, child hung up, close cleans up", async () => {
    const id = await bg.start(["sh", "-c", "i=0; while :; do echo tick-$i; i=$((i+1)); sleep 0.005; done"]);
    await bg.readUntil(id, /tick-50\n/, 15_000, "probe");
    const before = await record(id);
    process.kill(before.supervisor_pid, "SIGKILL");
    await eventually(async () => (await record(id)).state === "lost", "state to become lost");
    const lost = await record(id);
    expect(lost.exit_code).toBeNull();
    // Everything the file holds is readable, in order, from the first byte.
    const out = await bg.run(["read", id]);
    expect(out.code).toBe(0);
    const lines = out.text.split("\r\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(50);
    lines.forEach((line, i) => {
      if (i < lines.length - 1) expect(line).toBe(`tick-${i}`);
    });
    expect(out.stdout.length).toBe(lost.end_offset);
    // The master closed with the supervisor: the kernel hung up the child.
    await eventually(() => !processAlive(before.pid), "the orphaned child to get SIGHUP and exit");
    expect((await bg.run(["send", id, "x"])).code).toBe(4);
    expect((await bg.run(["wait", id])).code).toBe(4);
    await bg.ok(["close", id]);
    expect(fs.existsSync(path.join(bg.stateDir, "sessions", id))).toBe(false);
  });

  test("a supervisor pid reused by an unrelated process is not mistaken for live", async () => {
    const id = await bg.start(["cat"]);
    const before = await record(id);
    process.kill(before.supervisor_pid, "SIGKILL");
    // The kernel drops the lock once the last of the supervisor's threads is gone.
    await eventually(async () => (await record(id)).state === "lost", "the session to read as lost");
    // Point the record at a live, unrelated process (this test runner).
    const metaFile = path.join(bg.stateDir, "sessions", id, "meta.json");
    const original = fs.readFileSync(metaFile, "utf8");
    fs.writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(original), supervisor_pid: process.pid }));
    try {
      expect((await record(id)).state).toBe("lost");
      expect((await bg.run(["send", id, "x"])).code).toBe(4);
    } finally {
      fs.writeFileSync(metaFile, original);
    }
    await bg.ok(["close", id]);
    expect(processAlive(process.pid)).toBe(true);
  });
});

describe("client death", () => {
  test("a poll killed while delivering loses nothing: the next read returns it all", async () => {
    // 400 KB of output: more than a pipe holds, so a client whose stdout nobody
    // reads blocks in the middle of the delivery.
    const id = await bg.start(["sh", "-c", "read x; head -c 409600 /dev/zero | tr '\\0' y; echo END; sleep 60"]);
    await bg.ok(["send", id, "go", "--yield", "0", "--reader", "trigger"]);
    await bg.readUntil(id, /END/, 15_000, "probe");
    // stdout is a FIFO that is read once and then left full.
    const fifo = path.join(bg.stateDir, "stdout.fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const readEnd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writeEnd = fs.openSync(fifo, fs.constants.O_WRONLY);
    const client = Bun.spawn([BIN, "poll", id, "--idle", "0"], { env: bg.env(), stdout: writeEnd });
    fs.closeSync(writeEnd);
    const first = Buffer.alloc(16);
    await eventually(() => {
      try {
        return fs.readSync(readEnd, first) > 0; // the delivery has begun
      } catch {
        return false;
      }
    }, "the poll to start printing");
    client.kill("SIGKILL");
    await client.exited;
    fs.closeSync(readEnd);
    const out = await bg.run(["read", id]);
    expect(out.text).toBe(`go\r\n${"y".repeat(409600)}END\r\n`);
  });

  test("a send killed before printing: the reply stays unread", async () => {
    const id = await bg.start(["sh", "-c", "stty -echo; while read line; do sleep 2; echo reply-$line; done"]);
    const client = Bun.spawn([BIN, "send", id, "one", "--until", "reply"], { env: bg.env(), stdout: "pipe" });
    // The supervisor records input as it takes it; the reply comes 2 s later.
    const events = path.join(bg.stateDir, "sessions", id, "events");
    await eventually(() => fs.existsSync(events) && fs.readFileSync(events, "utf8").includes('"i":"one'), "the input");
    client.kill("SIGKILL");
    await client.exited;
    expect(await bg.readUntil(id, /reply-one/)).toBe("reply-one\r\n");
    await bg.ok(["close", id]);
  });
});

describe("full disk", () => {
  // Skipped (and counted as skipped) unless a small tmpfs could be mounted.
  test.skipIf(!smallDisk)("the child stays alive, info reports it, clients get a clear error", async () => {
    const small = new Bg(path.join(smallDisk!, "state"));
    try {
      const id = await small.start([
        "sh",
        "-c",
        "read x; head -c 1048576 /dev/zero | tr '\\0' z; echo; echo still-alive; sleep 60",
      ]);
      await small.ok(["send", id, "go", "--yield", "0", "--reader", "trigger"]);
      await eventually(
        async () => (await small.json(["info", id])).storage_error !== null,
        "info to report the storage error",
        15_000,
      );
      const info = await small.json(["info", id]);
      expect(info.state).toBe("running");
      expect(info.storage_error).toContain("could not store output");
      expect(processAlive(info.pid)).toBe(true);
      const poll = await small.run(["poll", id, "--yield", "100"]);
      expect(poll.code).toBe(1);
      expect(poll.stderr).toMatch(
        new RegExp(`^bgterm: session ${id} could not store output: .*; some output was lost\\n$`),
      );
      await small.ok(["close", id]);
    } finally {
      await small.cleanup();
    }
  });
});

describe("containment", () => {
  test("close leaves no background job, pipeline or regrouped process behind", async () => {
    const id = await bg.start(["bash", "--norc", "--noprofile"]);
    const out = await bg.ok([
      "send",
      id,
      "sleep 1000 & (sleep 1001 | cat) & python3 -c 'import os,time; os.setpgid(0,0); print(\"grp\", os.getpid(), flush=True); time.sleep(1000)' &",
      // The echo of the command holds `"grp", os` — only python's own line has digits after "grp ".
      "--until",
      "grp \\d+",
      "--yield",
      "30000",
      "--plain",
    ]);
    expect(out).toContain("grp ");
    const sid = (await record(id)).pid;
    const members = fs
      .readdirSync("/proc")
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .filter((pid) => {
        try {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]) === sid;
        } catch {
          return false;
        }
      });
    expect(members.length).toBeGreaterThanOrEqual(5);
    await bg.ok(["close", id, "--grace", "200"]);
    await eventually(() => members.every((pid) => !processAlive(pid)), "every member of the session to end");
  });
});

describe("stale fallback dir", () => {
  test.skipIf(!isRoot)("a /tmp-style fallback owned by another user is refused and not used", async () => {
    const tmp = makeStateDir();
    const dir = path.join(tmp, `bgterm-${process.getuid!()}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chownSync(dir, 65534, 65534);
    const result = await new Bg(tmp, { BGTERM_DIR: undefined, XDG_RUNTIME_DIR: undefined, TMPDIR: tmp }).run([
      "start",
      "cat",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`bgterm: refusing state directory ${dir}: it is owned by uid 65534, not by you\n`);
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
