// How bgterm reaches another machine: a command vector that runs `bgterm ARGS`
// there. By default ssh, non-interactive (BatchMode: a missing key is an error,
// never a password prompt) and sharing one connection per host through a
// ControlMaster socket under the state dir, so calls after the first skip the
// handshake. --via replaces ssh with any command that runs an argv there
// (docker exec -i C, kubectl exec -i POD --).
import path from "node:path";
import { splitCommand } from "../cli/remote-args.ts";
import { makePrivateDir } from "../shared/private-fs.ts";
import { ensureStateDir } from "../shared/state-dir.ts";

export interface Target {
  // The ssh destination, or the --via command as typed (for messages).
  host: string;
  via?: string[];
  install: boolean;
}

// How long a shared connection stays open after its last use.
const CONTROL_PERSIST = "300";

// Runs bgterm on the far side: ~/.local/bin/bgterm (where `host install` puts
// it), else bgterm on PATH, else a marker the client turns into advice. sh -c,
// because the login shell may be fish or csh; the script has no single quotes.
const FIND_AND_RUN =
  'b="$HOME/.local/bin/bgterm"; [ -x "$b" ] || b=$(command -v bgterm) || { echo "bgterm-not-installed" >&2; exit 127; }; exec "$b" "$@"';
export const NOT_INSTALLED_MARK = "bgterm-not-installed";

// A word for a POSIX shell, single-quoted.
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

// ssh (or $BGTERM_SSH, e.g. `ssh -F ./ssh_config`) with connection sharing.
// The socket is named by ssh's %C (a hash of host, port and user) prefixed with
// a short hash of the destination as typed: two aliases for one server (other
// keys, other SetEnv) must not share a connection that one of them opened.
export function sshBase(tty: boolean, destination: string): string[] {
  const ssh = splitCommand(process.env.BGTERM_SSH ?? "ssh");
  const tag = new Bun.CryptoHasher("sha256")
    .update(`${process.env.BGTERM_SSH ?? ""}\0${destination}`)
    .digest("hex")
    .slice(0, 8);
  const controlDir = path.join(ensureStateDir(), "ssh");
  makePrivateDir(controlDir);
  return [
    ...(ssh.length > 0 ? ssh : ["ssh"]),
    tty ? "-t" : "-T",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=15",
    "-o",
    "ServerAliveInterval=15",
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${controlDir}/${tag}-%C`,
    "-o",
    `ControlPersist=${CONTROL_PERSIST}`,
  ];
}

// argv that runs a POSIX sh script with arguments on the target.
export function scriptArgv(target: Target, script: string, args: string[], tty = false): string[] {
  if (script.includes("'")) throw new Error("internal: remote scripts must not contain single quotes");
  if (target.via) return [...target.via, "sh", "-c", script, "bgterm", ...args];
  // ssh joins its arguments into one string for the login shell: quote each.
  const remote = ["sh", "-c", shellQuote(script), "bgterm", ...args.map(shellQuote)].join(" ");
  return [...sshBase(tty, target.host), "--", target.host, remote];
}

// argv that runs `bgterm ARGS` on the target.
export function bgtermArgv(target: Target, args: string[], tty = false): string[] {
  return scriptArgv(target, FIND_AND_RUN, args, tty);
}
