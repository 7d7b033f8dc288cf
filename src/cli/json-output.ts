// Every --json document bgterm prints on stdout, declared once: the schema
// (published by `bgterm schema`) and the TypeScript type (Infer<...>) come from
// the same declaration, and the compile-time checks at the end tie them to the
// types the code builds. Field names are stable: new fields may be added,
// none removed or renamed.
import type * as api from "../client/api.ts";
import type { SessionRecord } from "../client/record.ts";
import type { ScreenSnapshot } from "../shared/screen-model.ts";
import { type Infer, s } from "./json-schema.ts";

// The fields every document shares, the read (send, poll, read) and the error
// documents live in json-output-read.ts: the commands run most often load
// that small module alone.
import { errorOutput, exitCode, id, name, offset, readOutput } from "./json-output-read.ts";
export { errorOutput, readOutput };
export type { ReadOutput } from "./json-output-read.ts";

// One run of the program (info.runs; history --runs).
const runRecord = s.object({
  pid: s.integer(),
  started_at: s.string({ description: "ISO 8601" }),
  start_offset: s.integer({ minimum: 0, description: "where this run's output starts in the stream" }),
  ended_at: s.nullable(s.string({ description: "ISO 8601" })),
  exit_code: exitCode,
  signal: s.nullable(s.string()),
});
// history --runs (the history command's outputNote says so).
export const runsOutput = s.array(runRecord);

// start, info: one session; ls: an array of them.
const sessionFields = {
  id,
  name,
  state: s.literal(["starting", "running", "exited", "lost"]),
  pid: s.nullable(s.integer({ description: "the program's pid" })),
  supervisor_pid: s.nullable(s.integer()),
  exit_code: exitCode,
  command: s.array(s.string(), { description: "argv" }),
  cwd: s.nullable(s.string()),
  cols: s.nullable(s.integer({ minimum: 1 })),
  rows: s.nullable(s.integer({ minimum: 1 })),
  backend: s.nullable(s.string()),
  started_at: s.nullable(s.string({ description: "ISO 8601" })),
  age_ms: s.nullable(s.integer({ minimum: 0 })),
  unread_bytes: s.integer({ minimum: 0, description: "unread by the default reader" }),
  start_offset: s.integer({ minimum: 0, description: "first retained byte" }),
  end_offset: offset,
  cursor: s.integer({ minimum: 0, description: "the default reader's cursor" }),
  dropped_bytes: offset,
  storage_error: s.nullable(s.string({ description: "why output could not be stored (e.g. a full disk)" })),
  ended_at: s.nullable(s.string({ description: "ISO 8601; when the program ended for good" })),
  labels: s.map(s.string(), { description: "start -l KEY=VALUE" }),
  ended_by: s.nullable(
    s.literal(["max-runtime", "ttl", "health", "close"], { description: "why bgterm ended the program, if it did" }),
  ),
  runs: s.array(runRecord, { description: "every run of the program (several with --restart)" }),
  restart_count: s.integer({ minimum: 0 }),
  health: s.nullable(s.literal(["starting", "healthy", "unhealthy"], { description: "with a health check" })),
  cpu_percent: s.nullable(
    s.number({ minimum: 0, description: "% of one core: each live process's CPU time over its lifetime, summed" }),
  ),
  cpu_seconds: s.nullable(s.number({ minimum: 0, description: "CPU time of the session's live processes" })),
  rss_bytes: s.nullable(s.integer({ minimum: 0, description: "resident memory of the session's live processes" })),
};
export const sessionRecord = s.object(sessionFields);
export const sessionList = s.array(sessionRecord);

// One command an integrated shell ran (history, info's last_command, lines --command).
export const commandRecord = s.object({
  n: s.integer({ minimum: 1, description: "the command's number in the session, from 1" }),
  command: s.string({ description: "the command line" }),
  source: s.literal(["exec", "typed"], { description: "typed by exec, or by send / attach / a person" }),
  start_offset: s.integer({ minimum: 0, description: "absolute offset where its output begins" }),
  end_offset: s.integer({ minimum: 0, description: "absolute offset where its output ends" }),
  exit_code: s.nullable(s.integer()),
  started_at: s.string({ description: "ISO 8601" }),
  ended_at: s.string({ description: "ISO 8601" }),
  duration_ms: s.integer({ minimum: 0 }),
});
export const historyOutput = s.array(commandRecord);
// info: the session record and the last command of an integrated shell.
export const infoOutput = s.object({
  ...sessionFields,
  last_command: s.nullable(commandRecord),
});

export const waitOutput = s.object({ id, exit_code: s.integer() });
// wait --ready (the wait command's outputNote says so).
export const waitReadyOutput = s.object({ id, ready: s.boolean() });
// follow --json: one object per line, output pieces then the final exit code.
export const followOutput = s.object(
  { id, name, text: s.string(), exit_code: s.integer() },
  { optional: ["name", "text", "exit_code"] },
);
export const pruneOutput = s.object({
  removed: s.array(s.object({ id, name, state: s.literal(["exited", "lost"]), exit_code: exitCode })),
});
export const upOutput = s.object({
  file: s.string({ description: "the bgterm.toml used" }),
  sessions: s.array(
    s.object({
      name: s.string(),
      id,
      state: s.literal(["starting", "running", "exited", "lost"]),
      action: s.literal(["started", "reused"]),
      ready_by: s.nullable(s.string({ description: "the readiness check, e.g. 'port 8000'" })),
      ready_ms: s.nullable(s.integer({ minimum: 0, description: "time from start (or reuse) to ready" })),
    }),
  ),
});
export const downOutput = s.object({ closed: s.array(id), sessions: s.array(s.object({ id, name })) });
export const closeOutput = s.object({ closed: s.array(id) });
export const killOutput = s.object({ id, signal: s.string({ description: "the signal delivered, e.g. SIGINT" }) });
export const resizeOutput = s.object({ id, cols: s.integer({ minimum: 1 }), rows: s.integer({ minimum: 1 }) });

export const execOutput = s.object({
  exit_code: s.nullable(s.integer({ description: "null when the command timed out without --interrupt" })),
  output: s.string(),
  timed_out: s.boolean(),
  duration_ms: s.integer({ minimum: 0 }),
  truncated: s.boolean({ description: "the output outgrew the session's retention: only its tail is here" }),
  omitted_bytes: s.integer({ minimum: 0, description: "bytes dropped before the tail" }),
});

export const screenOutput = s.object({
  rows: s.integer({ minimum: 1 }),
  cols: s.integer({ minimum: 1 }),
  cursor_x: s.integer({ minimum: 0 }),
  cursor_y: s.integer({ minimum: 0 }),
  alternate_screen: s.boolean(),
  lines: s.array(s.string()),
  approximate: s.boolean({ description: "rebuilt from retained output only (some was dropped)" }),
  end_offset: s.integer({ minimum: 0, description: "the screen after this many bytes of output" }),
});

export const linesOutput = s.object({
  start_line: s.integer({ minimum: 0 }),
  end_line: s.integer({ minimum: 0 }),
  line_count: s.integer({ minimum: 0 }),
  dropped_lines: s.integer({ minimum: 0 }),
  lines: s.array(s.string()),
});

export const grepOutput = s.array(s.object({ id, name, line: s.integer({ minimum: 0 }), text: s.string() }));

export const completionsOutput = s.object({ shell: s.literal(["bash", "zsh", "fish"]), script: s.string() });
export const helpOutput = s.object({ command: s.nullable(s.string()), text: s.string() });
// `schema` prints a JSON Schema document.
export const schemaOutput = s.object(
  { $schema: s.string(), title: s.string(), description: s.string(), $defs: { type: "object" } },
  { optional: ["description"] },
);

// The error object on stderr with --json, for every command: errorOutput, in
// json-output-read.ts (re-exported above).

// ---- compile-time ties to the types the code builds ------------------------
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type RecordMatchesSchema = Assert<Same<Infer<typeof sessionRecord>, SessionRecord>>;
export type ScreenMatchesSchema = Assert<Same<Infer<typeof screenOutput>, ScreenSnapshot>>;
// The client API's results are the --json documents (src/client/api.ts).
export type ReadMatchesSchema = Assert<
  Same<Infer<typeof readOutput>, Omit<api.ReadOutput, "storage_error" | "input_end">>
>;
export type ExecMatchesSchema = Assert<
  Same<Infer<typeof execOutput>, Omit<api.ExecResult, "start_offset" | "running">>
>;
export type LinesMatchesSchema = Assert<Same<Infer<typeof linesOutput>, api.LinesResult>>;
export type GrepMatchesSchema = Assert<Same<Infer<typeof grepOutput>, api.GrepMatch[]>>;
export type WaitReadyMatchesSchema = Assert<Same<Infer<typeof waitReadyOutput>, { id: number; ready: boolean }>>;
export type WaitMatchesSchema = Assert<Same<Infer<typeof waitOutput>, Awaited<ReturnType<typeof api.wait>>>>;
export type CloseMatchesSchema = Assert<Same<Infer<typeof closeOutput>, Awaited<ReturnType<typeof api.close>>>>;
export type KillMatchesSchema = Assert<Same<Infer<typeof killOutput>, Awaited<ReturnType<typeof api.kill>>>>;
export type ResizeMatchesSchema = Assert<Same<Infer<typeof resizeOutput>, Awaited<ReturnType<typeof api.resize>>>>;
