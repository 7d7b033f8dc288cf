// The CLI's side of `bgterm rpc --stdio` on another host: one channel (one
// ssh or --via process) carrying any number of calls, matched by id. Opening
// waits (bounded) for the hello line and turns every way of failing into one
// sentence: no connection, key refused, bgterm missing, another protocol.
import pkg from "../../package.json" with { type: "json" };
import { BgtermError, EXIT } from "../errors.ts";
import { parseHello, type RpcEvent, type RpcHello, type RpcResponse, RPC_PROTOCOL } from "../rpc/protocol.ts";
import { bgtermArgv, NOT_INSTALLED_MARK, type Target } from "./transport.ts";

// ssh's own ConnectTimeout is 15 s; the rest covers a slow login and bgterm's start.
const HELLO_TIMEOUT_MS = 30_000;
const STDERR_KEEP = 4096;

export interface CallOptions {
  raw?: boolean;
  stdin?: Uint8Array;
  // Give up (exit 1) after this long without an answer; undefined: no limit.
  timeoutMs?: number;
  // Stream stdout: called in order with each piece the command writes.
  onStdout?: (bytes: Uint8Array) => void;
}

// The advice for a host without a usable bgterm.
export function installAdvice(target: Target): string {
  return target.via ? `bgterm host install --via '${target.via.join(" ")}'` : `bgterm host install ${target.host}`;
}

export class ChannelLostError extends BgtermError {
  constructor(host: string, detail: string) {
    super(EXIT.internal, `the connection to ${host} was lost${detail ? `: ${detail}` : ""}`);
  }
}

export class RpcClient {
  private nextId = 1;
  private waiting = new Map<
    number,
    { resolve: (r: RpcResponse) => void; reject: (e: Error) => void; onStdout?: (bytes: Uint8Array) => void }
  >();
  private closed: Error | undefined;
  private stderrText = "";

  private constructor(
    readonly target: Target,
    private readonly child: ReturnType<typeof Bun.spawn>,
    readonly hello: RpcHello,
  ) {}

  // Starts the transport and waits for the endpoint's hello.
  static async open(target: Target): Promise<RpcClient> {
    const child = Bun.spawn(bgtermArgv(target, ["rpc", "--stdio"]), {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    let stderr = "";
    let client: RpcClient | undefined;
    const stderrDone = (async () => {
      for await (const chunk of child.stderr as ReadableStream<Uint8Array>) {
        stderr = (stderr + Buffer.from(chunk).toString("utf8")).slice(-STDERR_KEEP);
        if (client) client.stderrText = stderr;
      }
    })();
    const lines = readLines(child.stdout as ReadableStream<Uint8Array>);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), HELLO_TIMEOUT_MS);
    });
    let hello: RpcHello | undefined;
    let timedOut = false;
    try {
      // Skip anything before the hello (a noisy login script on stdout).
      for (let skipped = 0; hello === undefined && skipped < 100; skipped++) {
        const line = await Promise.race([lines.next(), timeout]);
        timedOut = line === "timeout";
        if (line === "timeout" || line.done) break;
        hello = parseHello(line.value);
      }
    } finally {
      clearTimeout(timer);
    }
    if (!hello && timedOut) {
      child.kill();
      throw new BgtermError(EXIT.internal, `${target.host} did not answer within ${HELLO_TIMEOUT_MS / 1000} s`);
    }
    if (!hello) {
      const killedBefore = child.exitCode === null && child.signalCode !== null;
      child.kill();
      const code = await child.exited;
      await Promise.race([stderrDone, Bun.sleep(1000)]);
      // The transport itself was killed (not refused): a dropped channel.
      if (killedBefore || (child.signalCode !== null && child.signalCode !== "SIGTERM")) {
        throw new ChannelLostError(target.host, `ssh ended by ${child.signalCode}`);
      }
      throw openError(target, code, stderr);
    }
    if (hello.protocol !== RPC_PROTOCOL) {
      child.kill();
      throw new BgtermError(
        EXIT.internal,
        `bgterm on ${target.host} is version ${hello.bgterm} (protocol ${hello.protocol}); this one is ${pkg.version} (protocol ${RPC_PROTOCOL}); run: ${installAdvice(target)}`,
      );
    }
    client = new RpcClient(target, child, hello);
    client.stderrText = stderr;
    void client.pump(lines);
    return client;
  }

  private async pump(lines: AsyncGenerator<string>): Promise<void> {
    try {
      for await (const line of lines) {
        let message: RpcResponse;
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        const waiter = typeof message.id === "number" ? this.waiting.get(message.id) : undefined;
        if (!waiter) continue;
        if ("event" in message) {
          const event = message as unknown as RpcEvent;
          if (event.event === "stdout" && typeof event.data === "string") {
            waiter.onStdout?.(Buffer.from(event.data, "base64"));
          }
          continue;
        }
        this.waiting.delete(message.id as number);
        waiter.resolve(message);
      }
    } catch {
      // The stream broke: treated as the end below.
    }
    const detail = this.stderrText.trim().split("\n").pop() ?? "";
    this.closed = new ChannelLostError(this.target.host, detail);
    for (const waiter of this.waiting.values()) waiter.reject(this.closed);
    this.waiting.clear();
  }

  // One request, answered by its response (errors inside it are not thrown).
  async call(method: string, params: Record<string, unknown>, options: CallOptions = {}): Promise<RpcResponse> {
    if (this.closed) throw this.closed;
    const id = this.nextId++;
    const request: Record<string, unknown> = { id, method, params };
    if (options.raw) request.raw = true;
    if (options.stdin) request.stdin = Buffer.from(options.stdin).toString("base64");
    if (options.onStdout) request.stream = true;
    const answer = new Promise<RpcResponse>((resolve, reject) =>
      this.waiting.set(id, { resolve, reject, onStdout: options.onStdout }),
    );
    const stdin = this.child.stdin as import("bun").FileSink;
    stdin.write(`${JSON.stringify(request)}\n`);
    await stdin.flush();
    if (options.timeoutMs === undefined) return answer;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        answer,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new BgtermError(EXIT.internal, `${this.target.host} did not answer ${method} in time`)),
            options.timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
    }
  }

  // Ends the endpoint (it exits when its stdin closes) and the transport.
  close(): void {
    try {
      (this.child.stdin as import("bun").FileSink).end();
    } catch {
      // Already gone.
    }
  }

  get pid(): number {
    return this.child.pid;
  }
}

// Why the channel never said hello, as one sentence.
export function openError(target: Target, code: number | null, stderr: string): BgtermError {
  const last =
    stderr
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("Warning: Permanently added"))
      .pop() ?? "";
  if (stderr.includes(NOT_INSTALLED_MARK)) {
    return new BgtermError(EXIT.internal, `bgterm is not installed on ${target.host}; run: ${installAdvice(target)}`);
  }
  if (!target.via && /permission denied/i.test(last)) {
    return new BgtermError(EXIT.internal, `${target.host} refused the login (${last}); check your SSH key or agent`);
  }
  if (!target.via && (code === 255 || /^ssh:|connection (refused|timed out|closed)|could not resolve/i.test(last))) {
    return new BgtermError(EXIT.internal, `cannot connect to ${target.host}${last ? `: ${last}` : ""}`);
  }
  const how = target.via ? `'${target.via.join(" ")}'` : `ssh to ${target.host}`;
  const status = code === null ? "" : ` (exit ${code})`;
  return new BgtermError(
    EXIT.internal,
    `${how} did not start bgterm${status}${last ? `: ${last}` : ""}; run: ${installAdvice(target)}`,
  );
}

// Lines of a byte stream (UTF-8), without their newlines.
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let parts: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    let text = decoder.decode(chunk, { stream: true });
    let newline = text.indexOf("\n");
    while (newline !== -1) {
      parts.push(text.slice(0, newline));
      yield parts.join("");
      parts = [];
      text = text.slice(newline + 1);
      newline = text.indexOf("\n");
    }
    if (text !== "") parts.push(text);
  }
  if (parts.length > 0) yield parts.join("");
}
