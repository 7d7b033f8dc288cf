// What `bgterm host check` reports about a machine: version, where state lives,
// and whether sessions there outlive the login that started them. On systemd
// hosts without lingering, logind removes $XDG_RUNTIME_DIR (our default state
// dir) and may stop the login's processes when the last session ends.
import fs from "node:fs";
import os from "node:os";
import pkg from "../../package.json" with { type: "json" };
import { RPC_PROTOCOL } from "../rpc/protocol.ts";
import { resolveStateDir } from "../shared/state-dir.ts";

export interface HostInfo {
  version: string;
  protocol: number;
  os: string;
  arch: string;
  // The bgterm that answered (~/.local/bin/bgterm after host install).
  binary: string;
  state_dir: string;
  systemd: boolean;
  linger: boolean | null;
  scope_available: boolean;
  survives_logout: boolean;
  note: string | null;
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && fs.existsSync(`${dir}/${program}`));
}

// What decides survival, read from this machine (tests pass their own).
export interface SurvivalFacts {
  systemd: boolean;
  user: string;
  linger: boolean | null;
  runtimeDir: string | undefined;
  stateDir: string;
}

function readFacts(): SurvivalFacts {
  const systemd = fs.existsSync("/run/systemd/system");
  // Bun's os.userInfo() may say "unknown"; id -un asks NSS like logind does.
  const user = process.env.USER || Bun.spawnSync(["id", "-un"]).stdout.toString().trim() || os.userInfo().username;
  return {
    systemd,
    user,
    linger: systemd ? fs.existsSync(`/var/lib/systemd/linger/${user}`) : null,
    runtimeDir: process.env.XDG_RUNTIME_DIR || undefined,
    stateDir: resolveStateDir(),
  };
}

// Why sessions will not outlive the login, or null when they will.
export function survivalProblem(facts: SurvivalFacts): string | null {
  if (!facts.systemd || facts.linger !== false) return null;
  const { user, runtimeDir } = facts;
  if (runtimeDir !== undefined && facts.stateDir.startsWith(`${runtimeDir}/`)) {
    return `lingering is off for ${user}: ${runtimeDir} (the state dir) is removed at logout, and with it the sessions; run 'loginctl enable-linger ${user}'`;
  }
  return `lingering is off for ${user}: logind may end the sessions at logout; run 'loginctl enable-linger ${user}' or start with --scope`;
}

// The warning for `start` on a systemd host without lingering, or undefined (cheap elsewhere).
export function survivalNote(): string | undefined {
  if (!fs.existsSync("/run/systemd/system")) return undefined;
  return survivalProblem(readFacts()) ?? undefined;
}

export function hostInfo(): HostInfo {
  const facts = readFacts();
  const note = survivalProblem(facts);
  return {
    version: pkg.version,
    protocol: RPC_PROTOCOL,
    os: process.platform,
    arch: process.arch,
    binary: process.execPath,
    state_dir: facts.stateDir,
    systemd: facts.systemd,
    linger: facts.linger,
    scope_available: facts.systemd && onPath("systemd-run"),
    survives_logout: note === null,
    note,
  };
}
