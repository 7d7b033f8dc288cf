// The `subscribe` method: the session's output as events from an offset
// (default: its current end) until it exits or the caller cancels; the answer
// comes last.
import { BgtermError, EXIT } from "../errors.ts";
import { connect } from "../client/requests.ts";
import { resolveSession } from "../client/registry.ts";
import type { RpcEvent, RpcResponse } from "./protocol.ts";

export async function subscribe(
  params: Record<string, unknown>,
  emit: (event: Omit<RpcEvent, "id">) => Promise<void>,
  onStop: (stop: () => void) => void,
): Promise<Omit<RpcResponse, "id">> {
  try {
    if (typeof params.session !== "string" && typeof params.session !== "number") {
      throw new BgtermError(EXIT.usage, "subscribe needs 'session' (an id or a name)");
    }
    if (params.from !== undefined && !(Number.isSafeInteger(params.from) && (params.from as number) >= 0)) {
      throw new BgtermError(EXIT.usage, "subscribe's 'from' must be a byte offset");
    }
    const files = resolveSession(String(params.session));
    const stream = await connect(files);
    if (!stream) throw new BgtermError(EXIT.notRunning, `session ${files.id} is not running`);
    let stopped = false;
    onStop(() => {
      stopped = true;
      stream.end();
    });
    let from = params.from as number | undefined;
    if (from === undefined) {
      await stream.send({ op: "screen" });
      const frame = await stream.next();
      if (frame?.header.op !== "screen") throw new BgtermError(EXIT.internal, "could not read the session's end");
      from = frame.header.offset;
    }
    await stream.send({ op: "subscribe", from });
    for (;;) {
      const next = await stream.next();
      if (!next) return { exit_code: stopped ? EXIT.ok : EXIT.notRunning, result: { id: files.id, stopped } };
      if (next.header.op === "data") {
        await emit({ event: "output", offset: next.header.offset, data: next.payload.toString("base64") });
      } else if (next.header.op === "exited") {
        await emit({ event: "exit", exit_code: next.header.exit_code });
        stream.end();
        return { exit_code: EXIT.ok, result: { id: files.id, exit_code: next.header.exit_code } };
      }
    }
  } catch (error) {
    const code = error instanceof BgtermError ? error.exitCode : EXIT.internal;
    return { exit_code: code, error: { code, message: (error as Error).message } };
  }
}
