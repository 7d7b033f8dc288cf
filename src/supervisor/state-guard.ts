// Survive logout: $XDG_RUNTIME_DIR (and the state dir in it) is removed at the
// user's last logout. The supervisor watches the folder that holds its session
// folder (inotify through fs.watch: events only when sessions come and go, none
// for the session's own output), and when its folder has vanished it calls
// `recreate`, which writes everything back from what the supervisor holds open.
import { describe, log } from "./log.ts";
import fs from "node:fs";
import path from "node:path";
import { withLock } from "../shared/flock.ts";
import { makePrivateDir, readTextIfExists, writeFileAtomic } from "../shared/private-fs.ts";
import type { SessionFiles } from "../shared/session-files.ts";

// A removal (rm -rf, a logout's cleanup) comes as a burst of events: act once
// it has settled, so the new folder is not removed by the same sweep.
const SETTLE_MS = 50;

export class StateGuard {
  private watcher?: fs.FSWatcher;
  private settle?: Timer;
  private closed = false;

  constructor(
    private readonly files: SessionFiles,
    private readonly recreate: () => void,
  ) {
    this.watch();
  }

  // Watches the folder that holds ours (sessions/). If even that is gone and
  // could not be made again (the runtime dir is not ours to create until the
  // next login recreates it), the nearest folder that exists is watched
  // instead, so that its change wakes us to try again; never a retry loop.
  private watch(): void {
    this.watcher?.close();
    this.watcher = undefined;
    const parent = path.dirname(this.files.dir);
    for (let dir = parent; ; dir = path.dirname(dir)) {
      try {
        this.watcher = fs.watch(dir, () => this.changed(dir !== parent));
        // A watch whose folder was removed ends; look, and watch anew.
        this.watcher.on("error", () => this.changed(true));
        return;
      } catch {
        if (path.dirname(dir) === dir) return;
      }
    }
  }

  private changed(rewatch = false): void {
    if (this.closed) return;
    this.rewatch ||= rewatch;
    clearTimeout(this.settle);
    this.settle = setTimeout(() => this.check(), SETTLE_MS);
  }

  private rewatch = false;

  // Other sessions coming and going also wake us: then our folder is there
  // and the watch stays as it is.
  private check(): void {
    if (this.closed) return;
    if (!fs.existsSync(this.files.dir)) {
      this.rewatch = true;
      try {
        this.recreate();
        log("session folder was removed; recreated it");
      } catch (error) {
        log(`could not recreate the session folder: ${describe(error)}`);
      }
    }
    // The watched folder itself may be new: watch that one.
    if (this.rewatch) {
      this.rewatch = false;
      this.watch();
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.settle);
    this.watcher?.close();
  }
}

// The state dir, its sessions/ and names/, and this session's folder, all 0700.
export function recreateFolders(files: SessionFiles): void {
  fs.mkdirSync(path.dirname(files.stateDir), { recursive: true, mode: 0o700 });
  makePrivateDir(files.stateDir);
  for (const sub of ["sessions", "names"]) makePrivateDir(path.join(files.stateDir, sub));
  files.create();
}

// The name index and the id counter, if they went with the state dir.
export function recreateIndex(files: SessionFiles, name: string | null): void {
  withLock(path.join(files.stateDir, "lock"), () => {
    const counter = path.join(files.stateDir, "next-id");
    const next = Number(readTextIfExists(counter)?.trim() ?? "0") || 0;
    if (next <= files.id) writeFileAtomic(counter, `${files.id + 1}\n`);
    if (name !== null) {
      const nameFile = path.join(files.stateDir, "names", name);
      if (readTextIfExists(nameFile) === undefined) writeFileAtomic(nameFile, `${files.id}\n`);
    }
  });
}

// --ttl: the session's folder goes, and its name if it still points here.
export function removeSessionState(files: SessionFiles, name: string | null): void {
  files.remove();
  if (name === null) return;
  withLock(path.join(files.stateDir, "lock"), () => {
    const nameFile = path.join(files.stateDir, "names", name);
    if (readTextIfExists(nameFile)?.trim() === String(files.id)) fs.rmSync(nameFile, { force: true });
  });
}
