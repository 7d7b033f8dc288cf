// The session's retained output as a file format: asciicast v2 (`cast`, with
// timing, input and markers from the event record) or plain text (`txt`, the
// lines as `bgterm lines` gives them: as a terminal of the session's width
// shows them). Each
// encoder sees the same Transcript and writes through the caller's sink, so it
// knows nothing of files, sockets or stdout.
import type { RecordedEvent } from "../shared/events.ts";
import type { OutputRing } from "../shared/ring.ts";
import type { SessionMeta } from "../shared/session-files.ts";

// Plain-text export writes this many lines at a time.
const TEXT_BATCH_LINES = 4096;

export interface Transcript {
  meta: SessionMeta;
  env: Record<string, string>;
  ring: OutputRing;
  // The retained range [start, end) of the output stream.
  start: number;
  end: number;
  events: Iterable<RecordedEvent>;
  // Visits each retained line of the transcript, in order.
  lines: (visit: (text: string) => Promise<void>) => Promise<void>;
}

export type Sink = (bytes: Uint8Array) => Promise<void>;
export type Encoder = (transcript: Transcript, write: Sink) => Promise<void>;

const line = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`);

// Output between consecutive marks becomes one event at the later mark's time;
// a streaming decoder keeps characters whole across events.
async function cast({ meta, env, ring, start, end, events }: Transcript, write: Sink): Promise<void> {
  await write(
    line({
      version: 2,
      width: meta.cols,
      height: meta.rows,
      timestamp: Math.floor(Date.parse(meta.started_at) / 1000),
      command: meta.command.join(" "),
      env: { TERM: env.TERM ?? "xterm-256color", SHELL: env.SHELL ?? "/bin/sh" },
    }),
  );
  const decoder = new TextDecoder("utf-8");
  let at = start;
  let lastTime = 0;
  const emit = async (time: number, kind: "o" | "i" | "m", text: string) => {
    lastTime = Math.max(lastTime, time);
    if (text) await write(line([Number((lastTime / 1000).toFixed(6)), kind, text]));
  };
  for (const event of events) {
    if ("i" in event) {
      await emit(event.t, "i", Buffer.from(event.i, "latin1").toString("utf8"));
      continue;
    }
    if ("m" in event) {
      if (typeof event.m === "string") await emit(event.t, "m", event.m);
      continue;
    }
    if (typeof event.o !== "number") continue;
    const to = Math.min(event.o, end);
    if (to <= at) continue;
    await emit(event.t, "o", decoder.decode(ring.read(at, to), { stream: true }));
    at = to;
  }
  // Output not yet marked (the session is still writing) gets the last time.
  await emit(lastTime, "o", (at < end ? decoder.decode(ring.read(at, end), { stream: true }) : "") + decoder.decode());
}

async function txt({ lines }: Transcript, write: Sink): Promise<void> {
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length > 0) await write(Buffer.from(`${batch.join("\n")}\n`));
    batch = [];
  };
  await lines(async (text) => {
    batch.push(text);
    if (batch.length >= TEXT_BATCH_LINES) await flush();
  });
  await flush();
}

export const ENCODERS = { cast, txt } satisfies Record<string, Encoder>;
export type ExportFormat = keyof typeof ENCODERS;
export const EXPORT_FORMATS = Object.keys(ENCODERS) as ExportFormat[];
