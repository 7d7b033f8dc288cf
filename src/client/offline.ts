// Reading a session from its files alone: its supervisor is gone (or, for
// transcripts and tails, need not be asked). Callers that may race a live
// supervisor hold the session lock first (withSession does).
import { sessionNeverStarted } from "../errors.ts";
import { planDelivery } from "../shared/delivery.ts";
import { OutputRing } from "../shared/ring.ts";
import type { ScreenOptions, ScreenSnapshot } from "../shared/screen-model.ts";
import type { SessionFiles, SessionMeta } from "../shared/session-files.ts";
import type { OutputSink, ReadResult } from "./requests.ts";

// Runs `use` with the session's retained output open (read-only), and closes it
// afterwards, also when `use` is async. A session that never started has none.
export function withRetainedOutput<T>(files: SessionFiles, use: (ring: OutputRing, meta: SessionMeta) => T): T {
  const meta = files.readMeta();
  if (!meta) throw sessionNeverStarted(files.id);
  // The end file's first valid offset: a supervisor killed mid-append may
  // have overwritten bytes below it.
  const ring = OutputRing.open(files.output, meta.max_buffer, false, files.readEndAndLines().validFrom);
  let result: T;
  try {
    result = use(ring, meta);
  } catch (error) {
    ring.close();
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => ring.close()) as T;
  ring.close();
  return result;
}

// The reads of poll/read/peek from the files of a session whose supervisor is gone.
export function readOffline(
  files: SessionFiles,
  options: { reader?: string; from?: number; limit?: number; advance: boolean },
  sink: OutputSink,
): Promise<ReadResult> {
  return withRetainedOutput(files, async (ring) => {
    const end = files.readEnd();
    const status = files.readStatus();
    const position = options.from ?? (options.reader ? files.readCursor(options.reader, end) : 0);
    const plan = planDelivery({ ring, position, end, limit: options.limit, final: true });
    for (const { at, bytes } of ring.chunks(plan.from, plan.to)) await sink.write(bytes, at);
    if (options.advance && options.reader && plan.to > files.readCursor(options.reader, end)) {
      files.writeCursor(options.reader, plan.to);
    }
    return {
      from: plan.from,
      to: plan.to,
      end,
      retained_start: plan.retainedStart,
      dropped_bytes: plan.retainedStart,
      running: false,
      exit_code: status?.exit_code ?? null,
      truncated: plan.truncated,
      omitted_bytes: plan.from - Math.min(position, plan.from),
      storage_error: files.readStorageError() ?? undefined,
    };
  });
}

// An ended session's screen: its retained output replayed into a fresh emulator.
export async function screenOffline(files: SessionFiles, options: ScreenOptions): Promise<ScreenSnapshot> {
  // Loaded here: the reads that import this file (send, poll, read) never need an emulator.
  const { ScreenModel } = await import("../shared/screen-model.ts");
  return withRetainedOutput(files, async (ring, meta) => {
    const model = new ScreenModel(ring, meta.cols, meta.rows);
    const end = files.readEnd();
    await model.catchUp(() => end);
    return model.snapshot(options);
  });
}

// The last `bytes` of the output as it stands (for error messages); empty
// before any output.
export function outputTail(files: SessionFiles, bytes: number): Buffer {
  if (!files.readMeta()) return Buffer.alloc(0);
  return withRetainedOutput(files, (ring) => {
    const end = files.readEnd();
    return ring.read(Math.max(ring.retainedStart(end), end - bytes), end);
  });
}
