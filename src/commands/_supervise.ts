// Hidden: the per-session supervisor process that `start` launches. src/main.ts
// calls supervise() directly for the exact argv the launcher uses, so the
// supervisor evaluates none of the argument-parsing machinery; the declaration
// below serves any other spelling through the CLI as before.
import { command } from "../cli/command.ts";
import { BgtermError, EXIT } from "../errors.ts";
import { describe, log } from "../supervisor/log.ts";
import { Supervisor } from "../supervisor/supervisor.ts";

// Runs the supervisor; returns only if it failed to start (with the exit code,
// the reason on stderr, which the launcher points at supervisor.log).
export async function supervise(stateDir: string, id: number): Promise<number> {
  // A bug in one callback is logged to supervisor.log; the session lives on.
  process.on("uncaughtException", (error) => log(describe(error, true)));
  process.on("unhandledRejection", (error) => log(describe(error, true)));
  await Supervisor.run(stateDir, id, 3);
  // The supervisor exits itself once the session's final state is on disk.
  return await new Promise<never>(() => {});
}

// supervise() for the fast path: a start-up failure is reported as the CLI would.
export async function superviseMain(stateDir: string, id: string): Promise<never> {
  let code: number;
  try {
    code = await supervise(stateDir, Number(id));
  } catch (error) {
    const known = error instanceof BgtermError;
    code = known ? error.exitCode : EXIT.internal;
    const { reportError } = await import("../cli/messages.ts");
    reportError(code, error instanceof Error ? error.message : String(error), {
      json: false,
      detail: known ? error.detail : undefined,
    });
  }
  process.exit(code);
}

export default command({
  local: true,
  name: "_supervise",
  summary: "internal: run a session's supervisor",
  hidden: true,
  args: [
    { name: "stateDir", help: "State directory" },
    { name: "id", help: "Session id" },
  ],
  run: (args) => supervise(args.stateDir as string, Number(args.id)),
});
