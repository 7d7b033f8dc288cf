// Where state lives, and refusing a state dir that others could tamper with.
import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import { Bg, isRoot, makeStateDir } from "../helpers.ts";

function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

describe("state dir", () => {
  test("$XDG_RUNTIME_DIR/bgterm, else ${TMPDIR}/bgterm-<uid>", async () => {
    const xdg = makeStateDir();
    const viaXdg = new Bg(xdg, { BGTERM_DIR: undefined, XDG_RUNTIME_DIR: xdg });
    expect(await viaXdg.ok(["ls"])).toBe("");
    expect(modeOf(path.join(xdg, "bgterm"))).toBe(0o700);

    const tmp = makeStateDir();
    const viaTmp = new Bg(tmp, { BGTERM_DIR: undefined, XDG_RUNTIME_DIR: undefined, TMPDIR: tmp });
    const id = await viaTmp.start(["cat"]);
    const dir = path.join(tmp, `bgterm-${process.getuid!()}`);
    expect(fs.existsSync(path.join(dir, "sessions", id, "meta.json"))).toBe(true);
    await viaTmp.ok(["close", id]);
    fs.rmSync(xdg, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("state files are 0600 and folders 0700 whatever the umask", async () => {
    const bg = new Bg();
    const shell = `umask 000; exec ${JSON.stringify(path.resolve("dist/bgterm"))} start -n moded cat`;
    const started = Bun.spawnSync(["sh", "-c", shell], { env: bg.env(), stdout: "pipe" });
    const id = started.stdout.toString().trim();
    await bg.ok(["send", id, "hello", "--reader", "r1"]);
    const _dir = path.join(bg.stateDir, "sessions", id);
    const walk = (p: string): string[] =>
      fs.statSync(p).isDirectory() ? [p, ...fs.readdirSync(p).flatMap((e) => walk(path.join(p, e)))] : [p];
    for (const entry of walk(bg.stateDir)) {
      const stat = fs.lstatSync(entry);
      const expected = stat.isDirectory() ? 0o700 : 0o600;
      if (stat.isSocket()) expect(stat.mode & 0o077).toBe(0);
      else expect([entry, stat.mode & 0o777]).toEqual([entry, entry === bg.stateDir ? 0o700 : expected]);
    }
    await bg.cleanup();
  });

  test("refuses a state dir that is a symlink, open to others, or not a directory (exit 1)", async () => {
    const base = makeStateDir();
    const target = path.join(base, "real");
    fs.mkdirSync(target, { mode: 0o700 });
    const link = path.join(base, "link");
    fs.symlinkSync(target, link);
    const open = path.join(base, "open");
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o755);
    const file = path.join(base, "file");
    fs.writeFileSync(file, "");
    const cases: [string, string][] = [
      [link, "it is a symbolic link"],
      [open, "its mode is 755; it must be accessible only by you (chmod 700)"],
      [file, "it is not a directory"],
    ];
    for (const [dir, why] of cases) {
      const result = await new Bg(dir).run(["ls"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`bgterm: refusing state directory ${dir}: ${why}\n`);
    }
    // The /tmp-style fallback pre-created as a symlink by someone else is not followed.
    const tmp = makeStateDir();
    fs.symlinkSync(target, path.join(tmp, `bgterm-${process.getuid!()}`));
    const fallback = await new Bg(tmp, { BGTERM_DIR: undefined, XDG_RUNTIME_DIR: undefined, TMPDIR: tmp }).run([
      "start",
      "cat",
    ]);
    expect(fallback.code).toBe(1);
    expect(fallback.stderr).toContain("it is a symbolic link");
    expect(fs.readdirSync(target)).toEqual([]);
    fs.rmSync(base, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test.skipIf(!isRoot)("refuses a state dir owned by another user", async () => {
    const dir = makeStateDir();
    fs.chownSync(dir, 65534, 65534);
    const result = await new Bg(dir).run(["ls"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`bgterm: refusing state directory ${dir}: it is owned by uid 65534, not by you\n`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
