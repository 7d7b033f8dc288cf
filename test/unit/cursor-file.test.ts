// Cursor files: rewritten in place (no rename per read), read back whole, and
// a file whose two copies differ is refused rather than guessed at.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SessionFiles } from "../../src/shared/session-files.ts";

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "bgterm-cursor-"));
fs.mkdirSync(path.join(stateDir, "sessions"));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

function session(id: number): SessionFiles {
  const files = new SessionFiles(stateDir, id);
  files.create();
  return files;
}

describe("cursor files", () => {
  test("the first write creates the file, later ones rewrite it in place", () => {
    const files = session(1);
    files.writeCursor("r", 5);
    const inode = fs.statSync(files.cursor("r")).ino;
    files.writeCursor("r", 123456);
    expect(fs.statSync(files.cursor("r")).ino).toBe(inode);
    expect(files.readCursor("r", 200000)).toBe(123456);
    expect(fs.statSync(files.cursor("r")).mode & 0o777).toBe(0o600);
  });

  test("through a descriptor kept open, the same", () => {
    const files = session(2);
    files.writeCursor("r", 1);
    const fd = files.openCursor("r");
    expect(fd).toBeNumber();
    files.writeCursor("r", 99, fd);
    fs.closeSync(fd!);
    expect(files.readCursor("r", 100)).toBe(99);
  });

  test("a one-line file (older versions) is read, then replaced whole", () => {
    const files = session(3);
    fs.writeFileSync(files.cursor("r"), "42\n");
    expect(files.readCursor("r", 100)).toBe(42);
    expect(files.openCursor("r")).toBeUndefined();
    files.writeCursor("r", 43);
    expect(fs.readFileSync(files.cursor("r"), "utf8")).toMatch(/^ +43\n +43\n$/);
  });

  test("two copies that differ are damage, not a value", () => {
    const files = session(4);
    fs.writeFileSync(files.cursor("r"), "5\n7\n");
    expect(() => files.readCursor("r", 100)).toThrow(/two copies differ/);
  });
});
