// Running a command on another host: the options parsed here travel as JSON
// params to `bgterm rpc --stdio` there, and its stdout bytes, stderr and exit
// code come back as if the command had run here. attach runs under `ssh -t`;
// ls over several hosts queries them in parallel.
import fs from "node:fs";
import pkg from "../../package.json" with { type: "json" };
import type { ParsedArgs } from "../cli/args.ts";
import type { BgCommand } from "../cli/command.ts";
import { readStdin, writeBytes } from "../cli/output.ts";
import { splitCommand } from "../cli/remote-args.ts";
import { BgtermError, EXIT, usageError } from "../errors.ts";
import { ROUTING_OPTIONS } from "../rpc/dispatch.ts";
import type { RpcResponse } from "../rpc/protocol.ts";
import { ChannelLostError, RpcClient } from "./client.ts";
import type { Target } from "./transport.ts";

// Methods that read without side effects: after a dropped connection they are
// asked again (once, after a short pause); input and lifecycle calls are not.
const RETRYABLE = new Set(["poll", "read", "ls", "info", "screen", "lines", "grep", "export", "wait"]);
const RETRY_PAUSE_MS = 300;
// Slack on top of a call's own time limits (connection, start-up, printing).
const CALL_MARGIN_MS = 60_000;

// A duration as the CLI takes it (bare ms, or ms/s/m/h), for deadlines only.
function durationMs(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  const match = typeof value === "string" ? /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim()) : undefined;
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "ms"]!;
  return Number(match[1]) * unit;
}

// How long to wait for an answer: the call's own limits plus a margin; wait
// and exec without --timeout, and follow, last as long as the program runs.
export function callDeadline(method: string, params: Record<string, unknown>): number | undefined {
  if (method === "follow") return undefined;
  if ((method === "wait" || method === "exec") && params.timeout === undefined) return undefined;
  const own = ["yield", "timeout", "ready-timeout", "idle"].reduce(
    (sum, key) => sum + (durationMs(params[key]) ?? 0),
    0,
  );
  return own + (params.yield === undefined && method !== "wait" ? 10_000 : 0) + CALL_MARGIN_MS;
}

// The parsed options as JSON params: routing options, unset values and empty
// repeatable lists stay home.
export function argsToParams(command: BgCommand, args: ParsedArgs): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  const argNames = new Set(command.args.map((arg) => arg.name));
  for (const [key, value] of Object.entries(args)) {
    if (key === "_" || ROUTING_OPTIONS.has(key) || value === undefined) continue;
    const option = Object.hasOwn(command.options, key) ? command.options[key] : undefined;
    if (!option && !argNames.has(key)) continue;
    if (option && Array.isArray(value) && value.length === 0) continue;
    params[key] = value;
  }
  return params;
}

export function makeTarget(host: string | undefined, args: ParsedArgs): Target {
  const via = args.via === undefined ? undefined : splitCommand(args.via as string);
  if (via !== undefined && via.length === 0) throw usageError("--via needs a command, e.g. 'docker exec -i box'");
  if (host === undefined && via === undefined) throw usageError("--install needs --host");
  return { host: host ?? via!.join(" "), via, install: args.install === true };
}

// A channel to the target; with --install, a missing or different bgterm is installed first.
export async function openClient(target: Target): Promise<RpcClient> {
  try {
    const client = await RpcClient.open(target);
    // Same protocol, other version: --install brings this one.
    if (!target.install || client.hello.bgterm === pkg.version) return client;
    client.close();
  } catch (error) {
    if (!target.install || !(error instanceof BgtermError) || !/run: bgterm host install/.test(error.message)) {
      throw error;
    }
  }
  const { installBinary } = await import("./install.ts");
  await installBinary(target);
  return RpcClient.open(target);
}

// One call, asked again once on a fresh channel if the first one dropped mid-call.
async function callWithRetry(
  target: Target,
  method: string,
  params: Record<string, unknown>,
  options: { raw: boolean; stdin?: Uint8Array; onStdout?: (bytes: Uint8Array) => void },
): Promise<RpcResponse> {
  const timeoutMs = callDeadline(method, params);
  const attempt = async () => {
    const client = await openClient(target);
    try {
      return await client.call(method, params, { ...options, timeoutMs });
    } finally {
      client.close();
    }
  };
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof ChannelLostError) || !RETRYABLE.has(method)) throw error;
    await Bun.sleep(RETRY_PAUSE_MS);
    return attempt();
  }
}

export async function runRemote(command: BgCommand, args: ParsedArgs, hosts: string[]): Promise<number> {
  const name = command.name;
  if (name === "ls" && (hosts.length > 1 || args["all-hosts"])) {
    return (await import("./ls-hosts.ts")).listHosts(hosts, args);
  }
  if (hosts.length > 1) throw usageError("only ls takes several --host options");
  const target = makeTarget(hosts[0], args);
  const params = argsToParams(command, args);
  if (name === "attach") return attachRemote(target, params);
  const stdin = name === "send" && args.stdin === true ? await readStdin() : undefined;
  // stdout arrives while the command runs (follow streams), written in order.
  let written = Promise.resolve();
  const onStdout = (bytes: Uint8Array) => {
    written = written.then(() => writeBytes(bytes));
  };
  const response = await callWithRetry(target, name, params, { raw: true, stdin, onStdout });
  await written;
  if (response.stdout) await writeBytes(Buffer.from(response.stdout, "base64"));
  if (response.stderr) fs.writeSync(2, response.stderr);
  if (response.error) {
    const { code, message, detail } = response.error;
    throw new BgtermError(code, message, { detail });
  }
  return typeof response.exit_code === "number" ? response.exit_code : EXIT.internal;
}

// attach needs a terminal on the far side: `ssh -t HOST bgterm attach ...`.
async function attachRemote(target: Target, params: Record<string, unknown>): Promise<number> {
  const { isTerminal } = await import("../cli/output.ts");
  if (!isTerminal(0) || !isTerminal(1)) {
    throw usageError(
      "attach needs a terminal on stdin and stdout (it forwards your keystrokes); use send and poll from scripts",
    );
  }
  const argv = ["attach", String(params.session)];
  if (params["detach-key"] !== undefined) argv.push(`--detach-key=${params["detach-key"]}`);
  const { bgtermArgv } = await import("./transport.ts");
  const child = Bun.spawn(bgtermArgv(target, argv, true), { stdio: ["inherit", "inherit", "inherit"] });
  const code = await child.exited;
  if (code === 127)
    throw new BgtermError(
      EXIT.internal,
      `bgterm is not installed on ${target.host}; run: bgterm host install ${target.host}`,
    );
  if (code === 255 && !target.via) throw new BgtermError(EXIT.internal, `cannot connect to ${target.host}`);
  return code;
}
