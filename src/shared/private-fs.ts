// Private files and folders: every state file is 0600 and every folder 0700,
// whatever the caller's umask, and whole-file updates are atomic (rename).
import fs from "node:fs";
import path from "node:path";

// mkdir that ends 0700 even under a permissive or odd umask; true if it created the folder.
export function makePrivateDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  fs.chmodSync(dir, 0o700);
  return true;
}

// Opens (creating if needed) a file that only the owner may read or write.
export function openPrivate(file: string, flags: string | number): number {
  const fd = fs.openSync(file, flags, 0o600);
  fs.fchmodSync(fd, 0o600);
  return fd;
}

// Readers never see a half-written file: write a sibling, then rename over.
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openPrivate(temp, "w");
  try {
    try {
      fs.writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    // A full disk leaves the old file as it was, and no temporary behind.
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

// The file's text, or undefined when it does not exist.
export function readTextIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

// Read-write without truncation or O_APPEND, so positional writes land where asked.
export const READ_WRITE_CREATE = fs.constants.O_RDWR | fs.constants.O_CREAT;
