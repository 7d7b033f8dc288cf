// Where bgterm keeps its state, and the refusal of a state dir others could tamper with.
import fs from "node:fs";
import path from "node:path";
import { BgtermError, EXIT } from "../errors.ts";
import { makePrivateDir } from "./private-fs.ts";

// $BGTERM_DIR, else $XDG_RUNTIME_DIR/bgterm, else ${TMPDIR:-/tmp}/bgterm-<uid>.
export function resolveStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BGTERM_DIR) return path.resolve(env.BGTERM_DIR);
  if (env.XDG_RUNTIME_DIR) return path.join(path.resolve(env.XDG_RUNTIME_DIR), "bgterm");
  // os.tmpdir()'s order, without loading node:os (~1 ms) on every call.
  const tmp = env.TMPDIR || env.TMP || env.TEMP || "/tmp";
  return path.join(path.resolve(tmp), `bgterm-${process.getuid!()}`);
}

let checked: string | undefined;

// The state dir's lstat, creating it 0700 first only when it is missing, so a
// call against an existing dir costs one syscall here instead of three.
function statOrCreate(dir: string): fs.Stats {
  try {
    return fs.lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  makePrivateDir(dir);
  return fs.lstatSync(dir);
}

// PATH_MAX (4096) less room for sessions/<id>/cursors/<64-byte reader name>.
export const MAX_STATE_DIR_BYTES = 3900;

// Creates the state dir 0700 if missing and refuses one that is a symlink,
// belongs to someone else, or is open to group/others: anyone who can write
// there could plant sockets or read session output.
export function ensureStateDir(): string {
  const dir = resolveStateDir();
  if (checked === dir) return dir;
  // Socket paths past the 107 bytes of sun_path work (Bun connects through
  // /proc/self/fd/N/sock), so the real bound is PATH_MAX for the deepest file.
  if (Buffer.byteLength(dir) > MAX_STATE_DIR_BYTES) {
    throw new BgtermError(
      EXIT.internal,
      `state directory path is too long (${Buffer.byteLength(dir)} bytes; at most ${MAX_STATE_DIR_BYTES}): set BGTERM_DIR to a shorter path`,
    );
  }
  const stat = statOrCreate(dir);
  const refuse = (why: string) => new BgtermError(EXIT.internal, `refusing state directory ${dir}: ${why}`);
  if (stat.isSymbolicLink()) throw refuse("it is a symbolic link");
  if (!stat.isDirectory()) throw refuse("it is not a directory");
  if (stat.uid !== process.getuid!()) throw refuse(`it is owned by uid ${stat.uid}, not by you`);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8);
    throw refuse(`its mode is ${mode}; it must be accessible only by you (chmod 700)`);
  }
  for (const sub of ["sessions", "names"]) makePrivateDir(path.join(dir, sub));
  checked = dir;
  return dir;
}
