// `bgterm rpc --stdio`: a long-lived endpoint speaking JSON lines. It says
// hello first, answers each request with one line (requests run concurrently,
// so answers may come in any order; match them by id), streams events for
// `subscribe` and streamed stdout, answers a bad line with an error and keeps going, and exits when
// stdin closes: requests still in flight are abandoned there, so a poll whose
// caller has gone moves no cursor (its output stays unread).
import pkg from "../../package.json" with { type: "json" };
import { EXIT } from "../errors.ts";
import { callMethod, METHOD_ALIASES, methodNames } from "./dispatch.ts";
import { MAX_LINE_BYTES, parseRequest, type RpcEvent, type RpcId, type RpcResponse, RPC_PROTOCOL } from "./protocol.ts";

// Lines leave one at a time, in the order they were produced.
function createWriter(): (message: object) => Promise<void> {
  const writer = Bun.stdout.writer();
  let queue = Promise.resolve();
  return (message) => {
    queue = queue.then(async () => {
      try {
        writer.write(`${JSON.stringify(message)}\n`);
        await writer.flush();
      } catch {
        process.exit(0); // the reader has gone
      }
    });
    return queue;
  };
}

export async function serveStdio(): Promise<never> {
  const send = createWriter();
  const subscriptions = new Map<RpcId, () => void>();
  const methods = [...(await methodNames()), "subscribe", "cancel", ...Object.keys(METHOD_ALIASES)];
  await send({ bgterm: pkg.version, protocol: RPC_PROTOCOL, methods });

  const answer = (id: RpcId | null, body: Omit<RpcResponse, "id">) => send({ id, ...body });
  const fail = (id: RpcId | null, code: number, message: string) =>
    answer(id, { exit_code: code, error: { code, message } });

  const handle = async (line: string) => {
    let request: ReturnType<typeof parseRequest>;
    try {
      request = parseRequest(line);
    } catch (error) {
      const id = (error as { id?: RpcId }).id ?? null;
      return fail(id, EXIT.usage, (error as Error).message);
    }
    const { id, params } = request;
    const method = METHOD_ALIASES[request.method] ?? request.method;
    if (method === "cancel") {
      const stop = subscriptions.get(params.id as RpcId);
      stop?.();
      return answer(id, { exit_code: stop ? EXIT.ok : EXIT.noSession, result: { cancelled: stop !== undefined } });
    }
    if (method === "subscribe") {
      const { subscribe } = await import("./subscribe.ts");
      const events = (event: Omit<RpcEvent, "id">) => send({ id, ...event });
      return answer(
        id,
        await subscribe(params, events, (stop) => subscriptions.set(id, stop)).finally(() => subscriptions.delete(id)),
      );
    }
    // With "stream", stdout leaves as events while the command runs (follow, long polls).
    const onStdout = request.stream
      ? (bytes: Uint8Array) => send({ id, event: "stdout", data: Buffer.from(bytes).toString("base64") })
      : undefined;
    return answer(id, await callMethod(method, params, { raw: request.raw, stdin: request.stdin, onStdout }));
  };

  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false;
  for await (const chunk of Bun.stdin.stream()) {
    let bytes = Buffer.from(chunk);
    for (let newline = bytes.indexOf(10); newline !== -1; newline = bytes.indexOf(10)) {
      const head = bytes.subarray(0, newline);
      bytes = bytes.subarray(newline + 1);
      if (skipping) {
        skipping = false;
      } else {
        const line = Buffer.concat([...pending, head])
          .toString("utf8")
          .trim();
        if (line !== "") void handle(line);
      }
      pending = [];
      pendingBytes = 0;
    }
    if (skipping || bytes.length === 0) continue;
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes > MAX_LINE_BYTES) {
      void fail(null, EXIT.usage, `bad request: line longer than ${MAX_LINE_BYTES} bytes`);
      pending = [];
      pendingBytes = 0;
      skipping = true;
    }
  }
  // stdin closed: the caller has gone (or is done); answers would reach no one.
  process.exit(0);
}
