// Subcommand name -> lazy import, so each run loads only the code it needs.
// The order here is the order of the root help and the completions.
import type { BgCommand } from "../cli/command.ts";

type Loader = () => Promise<{ default: BgCommand }>;

export const commands: Record<string, Loader> = {
  start: () => import("./start.ts"),
  send: () => import("./send.ts"),
  poll: () => import("./poll.ts"),
  read: () => import("./read.ts"),
  wait: () => import("./wait.ts"),
  exec: () => import("./exec.ts"),
  close: () => import("./close.ts"),
  kill: () => import("./kill.ts"),
  resize: () => import("./resize.ts"),
  ls: () => import("./ls.ts"),
  info: () => import("./info.ts"),
  follow: () => import("./follow.ts"),
  prune: () => import("./prune.ts"),
  up: () => import("./up.ts"),
  down: () => import("./down.ts"),
  history: () => import("./history.ts"),
  screen: () => import("./screen.ts"),
  attach: () => import("./attach.ts"),
  lines: () => import("./lines.ts"),
  grep: () => import("./grep.ts"),
  export: () => import("./export.ts"),
  host: () => import("./host.ts"),
  rpc: () => import("./rpc.ts"),
  completions: () => import("./completions.ts"),
  mcp: () => import("./mcp.ts"),
  schema: () => import("./schema.ts"),
  help: () => import("./help.ts"),
  _supervise: () => import("./_supervise.ts"),
};

// Every declaration that users see (help, completions, schema), in order.
export async function visibleCommands(): Promise<BgCommand[]> {
  const all = await Promise.all(Object.values(commands).map(async (load) => (await load()).default));
  return all.filter((command) => !command.hidden);
}

// One declaration by name, or undefined.
export async function findCommand(name: string): Promise<BgCommand | undefined> {
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  return load ? (await load()).default : undefined;
}
