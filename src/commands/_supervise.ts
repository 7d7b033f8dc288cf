// Hidden: the per-session supervisor process that `start` launches.
import { command } from "../cli/command.ts";
import { Supervisor } from "../supervisor/supervisor.ts";

export default command({
  local: true,
  name: "_supervise",
  summary: "internal: run a session's supervisor",
  hidden: true,
  args: [
    { name: "stateDir", help: "State directory" },
    { name: "id", help: "Session id" },
  ],
  async run(args) {
    // A bug in one callback is logged to supervisor.log; the session lives on.
    process.on("uncaughtException", (error) => console.error("bgterm supervisor:", error));
    process.on("unhandledRejection", (error) => console.error("bgterm supervisor:", error));
    await Supervisor.run(args.stateDir as string, Number(args.id), 3);
    // The supervisor exits itself once the session's final state is on disk.
    await new Promise<never>(() => {});
  },
});
