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

// The warning for `start` on a systemd host without lingering, or undefined (cheap elsewhere).
export function survivalNote(): string | undefined {
  if (!fs.existsSync("/run/systemd/system")) return undefined;
  return hostInfo().note ?? undefined;
}

export function hostInfo(): HostInfo {
  const stateDir = resolveStateDir();
  const systemd = fs.existsSync("/run/systemd/system");
  // Bun's os.userInfo() may say "unknown"; id -un asks NSS like logind does.
  const user = process.env.USER || Bun.spawnSync(["id", "-un"]).stdout.toString().trim() || os.userInfo().username;
  const linger = systemd ? fs.existsSync(`/var/lib/systemd/linger/${user}`) : null;
  const runtime = process.env.XDG_RUNTIME_DIR;
  const underRuntime = runtime !== undefined && runtime !== "" && stateDir.startsWith(`${runtime}/`);
  let note: string | null = null;
  if (systemd && linger === false) {
    note = underRuntime
      ? `lingering is off for ${user}: ${runtime} (the state dir) is removed at logout, and with it the sessions; run 'loginctl enable-linger ${user}'`
      : `lingering is off for ${user}: logind may end the sessions at logout; run 'loginctl enable-linger ${user}' or start with --scope`;
  }
  return {
    version: pkg.version,
    protocol: RPC_PROTOCOL,
    os: process.platform,
    arch: process.arch,
    state_dir: stateDir,
    systemd,
    linger,
    scope_available: systemd && onPath("systemd-run"),
    survives_logout: note === null,
    note,
  };
}
