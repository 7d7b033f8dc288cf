// State files under a full disk and a read-only state dir (issue 15 #8, #10, #16).
import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Bg, eventually, processAlive } from "../helpers.ts";

// A small tmpfs holding a state dir, or undefined when this machine cannot mount one.
function mountTmpfs(size: string): string | undefined {
  if (process.getuid!() !== 0) return undefined;
  const mount = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-fs-"));
  if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", mount]).exitCode !== 0) {
    fs.rmSync(mount, { recursive: true, force: true });
    return undefined;
  }
  return mount;
}

function unmount(mount: string): void {
  Bun.spawnSync(["umount", "-l", mount]);
  fs.rmSync(mount, { recursive: true, force: true });
}

// Fills the file system; returns the filler's path.
function fill(mount: string): string {
  const filler = path.join(mount, "filler");
  const fd = fs.openSync(filler, "w");
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch {
    // ENOSPC: full
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

describe("cursor writes", () => {
  test("a read during a full disk: the session stays readable, nothing is reported lost", async () => {
    const mount = mountTmpfs("512k");
    if (!mount) return void console.warn("skipped: cannot mount a tmpfs (needs root)");
    const bg = new Bg(path.join(mount, "state"));
    try {
      const id = await bg.start(["sh", "-c", "echo first; read x; echo second-$x; sleep 60"]);
      await bg.readUntil(id, /first/, 15_000, "probe");
      const filler = fill(mount);
      // The cursor of "default" cannot be saved now.
      const during = await bg.run(["poll", id, "--yield", "0"]);
      expect(during.code).toBe(0);
      expect(during.text).toBe("first\r\n");
      fs.rmSync(filler);
      // Nothing was lost: later reads work, and the moved cursor held in memory.
      const after = await bg.run(["send", id, "go", "--until", "second-go"]);
      expect(after.stderr).toBe("");
      expect(after.code).toBe(0);
      expect(after.text).toContain("second-go");
      expect(after.text).not.toContain("first");
      const info = await bg.run(["info", id, "--json"]);
      expect(info.code).toBe(0);
      expect(JSON.parse(info.text).storage_error).toBeNull();
      const ls = await bg.run(["ls", "--json"]);
      expect(JSON.parse(ls.text).map((r: { id: number }) => r.id)).toEqual([Number(id)]);
      // No cursor file is ever left empty or half-written.
      for (const name of fs.readdirSync(path.join(bg.stateDir, "sessions", id, "cursors"))) {
        expect(fs.readFileSync(path.join(bg.stateDir, "sessions", id, "cursors", name), "utf8")).toMatch(
          /^(\s*\d+\n)\1$/,
        );
      }
      await bg.ok(["close", id]);
    } finally {
      await bg.cleanup().catch(() => {});
      unmount(mount);
    }
  });

  test("an empty cursor file (left by an older version) does not hide the session", async () => {
    const bg = new Bg();
    try {
      const id = await bg.start(["sh", "-c", "echo hi; sleep 60"]);
      await bg.readUntil(id, /hi/, 15_000, "probe");
      fs.writeFileSync(path.join(bg.stateDir, "sessions", id, "cursors", "default"), "");
      expect((await bg.run(["info", id])).code).toBe(0);
      expect(JSON.parse((await bg.run(["ls", "--json"])).text)).toHaveLength(1);
    } finally {
      await bg.cleanup();
    }
  });
});

describe("read-only state dir", () => {
  test("ls, info and read work on a state dir that cannot be written", async () => {
    const mount = mountTmpfs("4m");
    if (!mount) return void console.warn("skipped: cannot mount a tmpfs (needs root)");
    const bg = new Bg(path.join(mount, "state"));
    try {
      const id = await bg.start(["sh", "-c", "echo kept; sleep 60"]);
      await bg.readUntil(id, /kept/, 15_000, "probe");
      const info = await bg.json(["info", id]);
      // A lost session holds no file open, so the mount can turn read-only.
      process.kill(info.supervisor_pid, "SIGKILL");
      await eventually(() => !processAlive(info.supervisor_pid) && !processAlive(info.pid), "the session to end");
      expect(Bun.spawnSync(["mount", "-o", "remount,ro", mount]).exitCode).toBe(0);
      try {
        const ls = await bg.run(["ls", "--json"]);
        expect(ls.stderr).toBe("");
        expect(JSON.parse(ls.text).map((r: { id: number; state: string }) => [r.id, r.state])).toEqual([
          [Number(id), "lost"],
        ]);
        expect((await bg.run(["info", id])).code).toBe(0);
        const peek = await bg.run(["read", id, "--peek"]);
        expect(peek.stderr).toBe("");
        expect(peek.text).toBe("kept\r\n");
      } finally {
        Bun.spawnSync(["mount", "-o", "remount,rw", mount]);
      }
    } finally {
      await bg.cleanup().catch(() => {});
      unmount(mount);
    }
  });
});
