// The sessions of one state dir: allocating ids and names atomically, resolving
// an id-or-name argument, listing, and telling running from exited from lost.
import fs from "node:fs";
import path from "node:path";
import { noSessionError, usageError } from "../errors.ts";
import { readTextIfExists, writeFileAtomic } from "../shared/private-fs.ts";
import { isLocked, withLock } from "../shared/flock.ts";
import { ensureStateDir } from "../shared/state-dir.ts";
import { parseSessionRef } from "../shared/refs.ts";
import { SessionFiles, type SessionSpec } from "../shared/session-files.ts";
import { type Labels, matchLabels, sanitizeLabels } from "../shared/labels.ts";

export type SessionState = "starting" | "running" | "exited" | "lost";

// running: its supervisor holds the lock; exited: the exit status is recorded;
// lost: neither (the supervisor died without recording an exit).
export function sessionState(files: SessionFiles): SessionState {
  if (fs.existsSync(files.status)) return "exited";
  if (isLocked(files.lock)) return fs.existsSync(files.meta) ? "running" : "starting";
  if (!fs.existsSync(files.meta)) return "starting";
  return "lost";
}

function stateLockFile(stateDir: string): string {
  return path.join(stateDir, "lock");
}

function nameFile(stateDir: string, name: string): string {
  return path.join(stateDir, "names", name);
}

// The id that currently owns a name, if any.
function nameOwner(stateDir: string, name: string): number | undefined {
  const text = readTextIfExists(nameFile(stateDir, name))?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : undefined;
}

// The name a session answers to: its own, unless a newer session took it.
export function currentName(stateDir: string, id: number, name: string | null): string | null {
  return name !== null && nameOwner(stateDir, name) === id ? name : null;
}

export interface NewSession {
  kind: "new";
  files: SessionFiles;
  // Undo everything allocate() did (used when the start fails).
  discard(): void;
}

// A live session already holds the name (returned for --reuse and --replace).
export interface NameTaken {
  kind: "taken";
  files: SessionFiles;
}

// What to do when the name belongs to a live session: refuse, or hand it back.
export type NameClash = "error" | "return";

// Allocates the next id (never reused while the state dir lives), claims the
// name, and writes the spec, all under the state-wide lock.
export function allocateSession(spec: SessionSpec, clash: NameClash = "error"): NewSession | NameTaken {
  const stateDir = ensureStateDir();
  return withLock(stateLockFile(stateDir), (): NewSession | NameTaken => {
    if (spec.name !== null) {
      const owner = nameOwner(stateDir, spec.name);
      if (owner !== undefined) {
        const holder = new SessionFiles(stateDir, owner);
        const state = sessionState(holder);
        if (holder.exists() && (state === "running" || state === "starting")) {
          if (clash === "return") return { kind: "taken", files: holder };
          throw usageError(
            `the name '${spec.name}' is already used by running session ${owner} (use --reuse or --replace)`,
          );
        }
      }
    }
    const counter = path.join(stateDir, "next-id");
    const text = readTextIfExists(counter)?.trim();
    let id = text && /^\d+$/.test(text) ? Number(text) : 1;
    // Never hand out an id whose folder exists (a counter lost or rolled back).
    while (new SessionFiles(stateDir, id).exists()) id++;
    writeFileAtomic(counter, `${id + 1}\n`);
    const files = new SessionFiles(stateDir, id);
    files.create();
    // The program can learn its own session id from its environment.
    spec.env.BGTERM_SESSION = String(id);
    files.writeSpec(spec);
    if (spec.name !== null) writeFileAtomic(nameFile(stateDir, spec.name), `${id}\n`);
    return {
      kind: "new",
      files,
      discard: () => {
        files.remove();
        if (spec.name !== null) releaseName(stateDir, spec.name, id);
      },
    };
  });
}

// Drops a name from the index if it still points at this id.
export function releaseName(stateDir: string, name: string, id: number): void {
  withLock(stateLockFile(stateDir), () => {
    if (nameOwner(stateDir, name) === id) fs.rmSync(nameFile(stateDir, name), { force: true });
  });
}

// Turns an id-or-name argument into the session's files, or exit 3.
export function resolveSession(arg: string): SessionFiles {
  const ref = parseSessionRef(arg);
  const stateDir = ensureStateDir();
  const id = ref.kind === "id" ? ref.id : nameOwner(stateDir, ref.name);
  const files = id === undefined ? undefined : new SessionFiles(stateDir, id);
  if (!files?.exists()) {
    throw noSessionError(ref.kind === "id" ? `no session with id ${ref.id}` : `no session named '${ref.name}'`);
  }
  return files;
}

// Every session folder, oldest id first.
export function listSessions(): SessionFiles[] {
  const stateDir = ensureStateDir();
  return fs
    .readdirSync(path.join(stateDir, "sessions"))
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .sort((a, b) => a - b)
    .map((id) => new SessionFiles(stateDir, id));
}

// The labels a session was started with (spec.json is written before anything
// runs, so even a starting or lost session has them); unreadable: none.
export function sessionLabels(files: SessionFiles): Labels {
  try {
    return sanitizeLabels(files.readSpec().labels);
  } catch {
    return {};
  }
}

// Every session carrying all of the labels (AND).
export function sessionsWithLabels(labels: Labels): SessionFiles[] {
  return listSessions().filter((files) => matchLabels(sessionLabels(files), labels));
}
