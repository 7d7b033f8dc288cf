// Subcommand name -> lazy import, so each run loads only the code it needs.
import type { BgCommand } from "../cli/command.ts";

type Loader = () => Promise<{ default: BgCommand }>;

export const commands: Record<string, Loader> = {
  start: () => import("./start.ts"),
  send: () => import("./send.ts"),
  poll: () => import("./poll.ts"),
  read: () => import("./read.ts"),
  wait: () => import("./wait.ts"),
  close: () => import("./close.ts"),
  kill: () => import("./kill.ts"),
  resize: () => import("./resize.ts"),
  ls: () => import("./ls.ts"),
  exec: () => import("./exec.ts"),
  export: () => import("./export.ts"),
  screen: () => import("./screen.ts"),
  attach: () => import("./attach.ts"),
  lines: () => import("./lines.ts"),
  grep: () => import("./grep.ts"),
  completions: () => import("./completions.ts"),
  info: () => import("./info.ts"),
  _supervise: () => import("./_supervise.ts"),
};

// Shown by `bgterm --help`, in this order.
export const summaries: [string, string][] = [
  ["start", "Start a program in a new background session and print its id"],
  ["send", "Send text and keys, then wait and print output like poll"],
  ["poll", "Wait for output (bounded) and print what has not been read yet"],
  ["read", "Print unread output without waiting, or page by absolute offset"],
  ["wait", "Wait for the program to exit and exit with its code"],
  ["exec", "Run a command in the session's shell; print its output, exit with its status"],
  ["close", "End a session's processes and remove it"],
  ["kill", "Send a signal to the session's foreground process group"],
  ["resize", "Set the terminal size"],
  ["ls", "List sessions"],
  ["screen", "Print the session's screen as a terminal shows it"],
  ["attach", "Connect your terminal to a session (detach with C-])"],
  ["lines", "Print the transcript as numbered lines"],
  ["grep", "Find lines across sessions"],
  ["export", "Write a session as asciicast v2 or a plain transcript"],
  ["completions", "Print a completion script for bash, zsh or fish"],
  ["info", "Show everything about one session"],
];
