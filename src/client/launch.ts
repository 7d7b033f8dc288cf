// Starting a supervisor: the same binary, run as the hidden `_supervise`
// command, detached into its own session (setsid) with no tie to the caller's
// terminal. The launcher waits on a pipe that the supervisor either writes its
// start-up error to or closes after {"ok":true} (abduco's handshake).
import fs from "node:fs";
import path from "node:path";
import { BgtermError, EXIT } from "../errors.ts";
import { openPrivate } from "../shared/private-fs.ts";
import { PROTOCOL_VERSION, protocolMismatchMessage } from "../shared/protocol.ts";
import type { SessionFiles } from "../shared/session-files.ts";

// argv that runs bgterm again: the compiled binary alone, or bun + src/main.ts
// (also when the client API is used from another program's process).
export function selfCommand(): string[] {
  const compiled = Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:/~BUN/");
  return compiled ? [process.execPath] : [process.execPath, path.join(import.meta.dir, "..", "main.ts")];
}

// The supervisor runs with the session's environment, because the bun-pty
// library passes its own environment on to the child. With the default backend
// the child gets an explicit environment, so the supervisor may also switch off
// Bun's once-a-second GC timer: without it an idle supervisor makes no syscalls.
function supervisorEnv(env: Record<string, string>, backend: string): Record<string, string> {
  return backend === "bun" ? { ...env, BUN_GC_TIMER_DISABLE: "1" } : env;
}

// With scope, the supervisor runs in its own systemd user scope (systemd-run
// --user --scope), so logind's end-of-login clean-up does not take it along.
export async function launchSupervisor(
  files: SessionFiles,
  env: Record<string, string>,
  backend: string,
  scope = false,
): Promise<void> {
  const logFd = openPrivate(files.log, "a");
  let child: ReturnType<typeof Bun.spawn>;
  const prefix = scope ? ["systemd-run", "--user", "--scope", "--quiet", "--collect"] : [];
  try {
    child = Bun.spawn([...prefix, ...selfCommand(), "_supervise", files.stateDir, String(files.id)], {
      cwd: "/",
      env: supervisorEnv(env, backend),
      detached: true,
      stdio: ["ignore", "ignore", logFd, "pipe"],
    });
  } finally {
    fs.closeSync(logFd);
  }
  const handshakeFd = child.stdio[3] as number;
  const text = await Bun.file(handshakeFd).text();
  child.unref();
  const line = text.trim().split("\n")[0] ?? "";
  let answer: { ok: boolean; code?: number; message?: string; protocol?: number } | undefined;
  try {
    answer = JSON.parse(line);
  } catch {
    answer = undefined;
  }
  if (answer?.ok && answer.protocol === PROTOCOL_VERSION) return;
  if (answer?.ok) {
    throw new BgtermError(EXIT.internal, protocolMismatchMessage(files.id, answer.protocol ?? "unknown"));
  }
  if (answer) throw new BgtermError(answer.code ?? EXIT.internal, answer.message ?? "start failed");
  const exitCode = await child.exited;
  const log = fs.readFileSync(files.log, "utf8").trim().split("\n").slice(-3).join(" | ");
  throw new BgtermError(
    EXIT.internal,
    `the session supervisor failed to start (exit ${exitCode})${log ? `: ${log}` : ""}`,
  );
}
