// The one adapter between rpc methods and the operations behind them. Today a
// method is a command run in this process with its output captured (params are
// its options by name, so a method takes exactly what the command takes and
// answers with the command's --json document, error sentences and exit codes).
// When the typed client API lands, only this file changes.
import { parseJsonArgs } from "../cli/args.ts";
import type { BgCommand } from "../cli/command.ts";
import { type OutputScope, withOutputScope } from "../cli/output.ts";
import { findCommand, visibleCommands } from "../commands/index.ts";
import { BgtermError, EXIT, usageError } from "../errors.ts";
import type { RpcResponse } from "./protocol.ts";

// Commands that are not methods: the hidden supervisor, the terminal-bound
// attach (remote attach runs `bgterm attach` under `ssh -t`), the endpoint itself.
const NOT_METHODS = new Set(["attach"]);

// Options that choose where a command runs; they never reach the remote side.
export const ROUTING_OPTIONS = new Set(["host", "via", "install", "all-hosts"]);

// The client API's names for the same operations.
export const METHOD_ALIASES: Record<string, string> = { list: "ls" };

export async function methodNames(): Promise<string[]> {
  const remote = (await visibleCommands()).filter((command) => !command.local && !NOT_METHODS.has(command.name));
  return [...remote.map((command) => command.name), "host_info"];
}

// Params by name, checked: the JSON spelling (max_buffer) names --max-buffer,
// yield_ms --yield and keys the repeatable --key;
// unknown names and the routing options are refused in one sentence.
export function checkParams(
  command: Pick<BgCommand, "args" | "options">,
  params: Record<string, unknown>,
  method: string,
): Record<string, unknown> {
  const argNames = new Set(command.args.map((arg) => arg.name));
  const known = (key: string) => Object.hasOwn(command.options, key) || argNames.has(key);
  // The client API's spellings: yield_ms for --yield, keys for the repeatable --key.
  const alias = (key: string): string => {
    const dashed = key.replace(/_/g, "-");
    if (known(dashed)) return dashed;
    const bare = dashed.replace(/-ms$/, "");
    if (bare !== dashed && command.options[bare]?.kind === "duration") return bare;
    const single = dashed.replace(/s$/, "");
    if (single !== dashed && command.options[single]?.repeat) return single;
    return key;
  };
  const checked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const name = known(key) ? key : alias(key);
    if (!known(name) || ROUTING_OPTIONS.has(name)) throw usageError(`unknown parameter '${key}' for ${method}`);
    if (value !== null) checked[name] = value;
  }
  return checked;
}

async function loadCommand(method: string): Promise<BgCommand> {
  const command = NOT_METHODS.has(method) ? undefined : await findCommand(method);
  if (!command || command.hidden || command.local) throw usageError(`unknown method '${method}'`);
  return command;
}

export interface CallOptions {
  // Answer with stdout's bytes (base64) instead of a parsed --json document.
  raw: boolean;
  stdin?: Uint8Array;
  // Streams stdout (raw bytes) as the command writes it.
  onStdout?: (bytes: Uint8Array) => Promise<void>;
}

// Runs one method; never throws (failures become the response's error).
export async function callMethod(
  method: string,
  params: Record<string, unknown>,
  options: CallOptions,
): Promise<Omit<RpcResponse, "id">> {
  const scope: OutputScope = {
    mode: { json: false, plain: false },
    stdout: [],
    stderr: [],
    stdin: options.stdin,
    onStdout: options.onStdout,
  };
  let exitCode: number;
  let error: { code: number; message: string; detail?: string } | undefined;
  try {
    exitCode = await withOutputScope(scope, async () => {
      if (method === "host_info") {
        const { hostInfo } = await import("../remote/host-info.ts");
        scope.stdout.push(Buffer.from(JSON.stringify(hostInfo())));
        return EXIT.ok;
      }
      const command = await loadCommand(method);
      const forced = options.raw ? params : { ...params, json: true };
      const args = parseJsonArgs(checkParams(command, forced, method), command);
      scope.mode.json = args.json === true;
      scope.mode.plain = args.plain === true;
      if (args.help) throw usageError("help is not a method; see the method list in the hello line");
      return (await command.run(args)) ?? EXIT.ok;
    });
  } catch (thrown) {
    exitCode = thrown instanceof BgtermError ? thrown.exitCode : EXIT.internal;
    error = { code: exitCode, message: thrown instanceof Error ? thrown.message : String(thrown) };
    if (thrown instanceof BgtermError && thrown.detail) error.detail = thrown.detail;
  }
  const stdout = Buffer.concat(scope.stdout);
  const response: Omit<RpcResponse, "id"> = { exit_code: exitCode };
  if (options.raw) response.stdout = stdout.toString("base64");
  else if (stdout.length > 0) response.result = parseDocument(stdout.toString("utf8"));
  if (scope.stderr.length > 0) response.stderr = scope.stderr.join("");
  if (error) response.error = error;
  return response;
}

// One --json document, or the text itself if a command printed something else.
function parseDocument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
