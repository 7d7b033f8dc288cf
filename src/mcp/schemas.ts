// Input and output schemas of the MCP tools. Inputs are strict (an unknown
// parameter is refused, as the CLI refuses an unknown option); a parameter
// that means what a CLI option means comes from that option's declaration
// (from-cli.ts); the rest is declared here once. Field names are snake_case,
// as in the CLI's --json output.
import { z } from "zod";
import { cli } from "./from-cli.ts";

// The longest text one call may type (a bigger paste belongs in a file).
export const MAX_TEXT_BYTES = 1024 * 1024;

const sessionId = z
  .union([z.number().int().positive(), z.string().min(1).max(64)])
  .describe("Session id (number) or name");
const pattern = z.string().min(1).max(4096);
const format = z
  .enum(["text", "lines", "raw"])
  .describe(
    "text (default): escape sequences stripped, CRLF -> LF; lines: like text with carriage-return overwrites resolved (progress bars show their final state); raw: the bytes as the program wrote them",
  );
const maxTokens = z
  .number()
  .int()
  .min(100)
  .describe(
    "Output budget in tokens (~4 bytes each; default 8000, at most 20000). Longer output keeps its head and tail and reports what was omitted",
  );
const stop = z
  .array(pattern)
  .max(16)
  .describe("Fail-fast regexes (e.g. 'error', 'FAILED'): return as soon as one matches, outcome 'stopped'");
const anyOwner = z.boolean().describe("Allow acting on a session that another MCP client started");
// Labels as terminal_start takes them: an object {"KEY": "VALUE"}.
const labelFilter = z
  .record(z.string(), z.string())
  .describe('Only sessions carrying every one of these labels {"KEY": "VALUE"} (AND)');

export const startInput = z.strictObject({
  command: z
    .union([z.string().min(1), z.array(z.string()).min(1)])
    .optional()
    .describe(
      "Program: an argv array, or a string (a string with spaces or shell syntax runs under /bin/sh -c). Default: $SHELL",
    ),
  name: cli.start.name.optional(),
  cwd: cli.start.cwd.optional(),
  env: z.record(z.string(), z.string()).optional().describe("Extra environment variables"),
  env_profile: z
    .enum(["default", "agent"])
    .optional()
    .describe("agent: PAGER=cat, GIT_PAGER=cat, MANPAGER=cat, GIT_TERMINAL_PROMPT=0 (TERM unchanged)"),
  cols: cli.start.cols.optional(),
  rows: cli.start.rows.optional(),
  if_exists: z
    .enum(["error", "reuse", "replace"])
    .optional()
    .describe("When a live session has the name: error (default), reuse it, or replace it"),
  ready_regex: cli.start.ready_regex.optional(),
  ready_port: cli.start.ready_port.optional(),
  ready_file: cli.start.ready_file.optional(),
  ready_url: cli.start.ready_url.optional(),
  ready_timeout_ms: cli.start.ready_timeout_ms.optional(),
  labels: z
    .record(z.string(), z.string())
    .optional()
    .describe(`${cli.start.label_help.replace(/ \(repeatable\)/, "")}s, as an object {"KEY": "VALUE"}`),
  max_runtime_ms: cli.start.max_runtime_ms.optional(),
  ttl_ms: cli.start.ttl_ms.optional(),
  rm: cli.start.rm.optional(),
  restart: cli.start.restart.optional(),
  backoff: cli.start.backoff.optional(),
  max_restarts: cli.start.max_restarts.optional(),
  health_url: cli.start.health_url.optional(),
  health_port: cli.start.health_port.optional(),
  health_cmd: cli.start.health_cmd.optional(),
  health_interval_ms: cli.start.health_interval_ms.optional(),
  health_threshold: cli.start.health_threshold.optional(),
  health_timeout_ms: cli.start.health_timeout_ms.optional(),
  health_start_period_ms: cli.start.health_start_period_ms.optional(),
  wait_ready: cli.start.wait_ready.optional(),
  yield_ms: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("Wait this long for the first output and return it (default 500, 0 after readiness; capped at 50000)"),
  max_output_tokens: maxTokens.optional(),
});

export const sendInput = z.strictObject({
  id: sessionId,
  text: z.string().max(MAX_TEXT_BYTES).optional().describe("Text to type (UTF-8); Enter follows unless enter=false"),
  keys: cli.send.keys.optional(),
  enter: cli.send.enter.optional(),
  paste: z
    .enum(["auto", "always", "never"])
    .optional()
    .describe("Bracketed paste for multi-line text: auto (when the program enabled it), always, never"),
  until: cli.wait.until.optional(),
  stop: stop.optional(),
  idle_ms: cli.wait.idle_ms.optional(),
  yield_ms: cli.wait.yield_ms.optional(),
  reader: cli.wait.reader.optional(),
  format: format.optional(),
  max_output_tokens: maxTokens.optional(),
  any_owner: anyOwner.optional(),
});

export const readInput = z.strictObject({
  id: sessionId.optional().describe("Session id (number) or name; required unless ids is given"),
  ids: z
    .array(sessionId)
    .min(1)
    .max(64)
    .optional()
    .describe("Several sessions instead of id: read the first with output"),
  until: cli.wait.until.optional(),
  stop: stop.optional(),
  idle_ms: cli.wait.idle_ms.optional(),
  yield_ms: cli.wait.yield_ms.optional(),
  from_offset: cli.read.from_offset.optional(),
  limit_bytes: cli.wait.limit_bytes.optional(),
  reader: cli.wait.reader.optional(),
  format: format.optional(),
  max_output_tokens: maxTokens.optional(),
});

export const execInput = z.strictObject({
  command: z.string().min(1).max(MAX_TEXT_BYTES).describe("Shell command line (may span lines, use heredocs)"),
  id: sessionId
    .optional()
    .describe("A session running bash, sh, dash or zsh (default: this client's own persistent shell)"),
  timeout_ms: cli.exec.timeout_ms.optional(),
  interrupt: cli.exec.interrupt.optional(),
  max_output_tokens: maxTokens.optional(),
  any_owner: anyOwner.optional(),
});

export const screenInput = z.strictObject({
  id: sessionId,
  scrollback: cli.screen.scrollback.optional(),
  cursor: cli.screen.cursor.optional(),
  ansi: cli.screen.ansi.optional(),
});

export const waitInput = z.strictObject({
  ids: z.array(sessionId).min(1).max(64).describe("Sessions to watch: returns when the first exits"),
  ready: cli.waitReady.ready.optional(),
  timeout_ms: cli.waitExit.timeout_ms.optional(),
});

export const listInput = z.strictObject({
  all: z.boolean().optional().describe("List every session, not only this client's"),
  labels: labelFilter.optional(),
});

export const closeInput = z.strictObject({
  ids: z.array(sessionId).min(1).max(256).optional().describe("Sessions to close; required unless owned is true"),
  owned: z.boolean().optional().describe("Close every session this client started"),
  labels: labelFilter
    .optional()
    .describe(
      'Close this client\'s sessions carrying every one of these labels {"KEY": "VALUE"} (any client\'s with any_owner)',
    ),
  signal: cli.close.signal.optional(),
  grace_ms: cli.close.grace_ms.optional(),
  any_owner: anyOwner.optional(),
});

export const pruneInput = z.strictObject({
  older_than_ms: cli.prune.older_than_ms.optional(),
  labels: labelFilter.optional(),
  all: z.boolean().optional().describe("Every client's ended sessions, not only this client's"),
});

const projectInput = {
  cwd: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe("Where to look for bgterm.toml (and its parents); default: the server's working directory"),
  file: cli.project.file.optional(),
  timeout_ms: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Give up after this long (default and cap 50000, or 600000 with a progress token)"),
};
export const upInput = z.strictObject({ ...projectInput, names: cli.project.up_names.optional() });
export const downInput = z.strictObject({ ...projectInput, names: cli.project.down_names.optional() });

export const signalInput = z.strictObject({
  id: sessionId,
  signal: cli.signal.signal.optional(),
  any_owner: anyOwner.optional(),
});

// ---- outputs ---------------------------------------------------------------

const omitted = z
  .object({ bytes: z.number(), lines: z.number(), from_offset: z.number(), to_offset: z.number() })
  .nullable();

export const readOutputShape = {
  id: z.number(),
  name: z.string().nullable(),
  text: z.string(),
  running: z.boolean(),
  exit_code: z.number().nullable(),
  start_offset: z.number(),
  end_offset: z.number(),
  remaining_bytes: z.number(),
  dropped_bytes: z.number(),
  truncated: z.boolean(),
  outcome: z.enum(["idle", "matched", "stopped", "exited", "timeout", "no_wait"]),
  matched: z.object({ kind: z.enum(["until", "stop"]), pattern: z.string(), text: z.string() }).nullable(),
  new_output: z.boolean(),
  foreground: z.object({ pid: z.number(), name: z.string(), shell: z.boolean() }).nullable(),
  alternate_screen: z.boolean(),
  yield_ms: z.number(),
  yield_requested_ms: z.number().optional(),
  omitted,
};
export const readOutput = z.object(readOutputShape);

const record = {
  id: z.number(),
  name: z.string().nullable(),
  state: z.string(),
  pid: z.number().nullable(),
  exit_code: z.number().nullable(),
  command: z.array(z.string()),
  cwd: z.string().nullable(),
  cols: z.number().nullable(),
  rows: z.number().nullable(),
  started_at: z.string().nullable(),
  age_ms: z.number().nullable(),
  unread_bytes: z.number(),
  end_offset: z.number(),
  dropped_bytes: z.number(),
  owner: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  restart_count: z.number(),
  health: z.string().nullable(),
  ended_by: z.string().nullable(),
  ended_at: z.string().nullable(),
  runs: z.array(
    z.object({
      pid: z.number(),
      started_at: z.string(),
      start_offset: z.number(),
      ended_at: z.string().nullable(),
      exit_code: z.number().nullable(),
      signal: z.string().nullable(),
    }),
  ),
  cpu_percent: z.number().nullable(),
  cpu_seconds: z.number().nullable(),
  rss_bytes: z.number().nullable(),
};

export const startOutput = z.object({
  ...record,
  reused: z.boolean(),
  ready: z.boolean().nullable(),
  ttl_ms: z.number().nullable(),
  output: readOutput.nullable(),
});

export const execOutput = z.object({
  id: z.number(),
  exit_code: z.number().nullable(),
  output: z.string(),
  timed_out: z.boolean(),
  duration_ms: z.number(),
  running: z.boolean(),
  timeout_ms: z.number(),
  timeout_requested_ms: z.number().optional(),
  omitted,
});

export const screenOutput = z.object({
  id: z.number(),
  rows: z.number(),
  cols: z.number(),
  cursor_x: z.number(),
  cursor_y: z.number(),
  alternate_screen: z.boolean(),
  approximate: z.boolean(),
  end_offset: z.number(),
  lines: z.array(z.string()),
});

export const waitOutput = z.object({
  outcome: z.enum(["exited", "ready", "timeout"]),
  id: z.number().nullable(),
  exit_code: z.number().nullable(),
  timeout_ms: z.number(),
  timeout_requested_ms: z.number().optional(),
});

export const listOutput = z.object({
  sessions: z.array(
    z.object({
      ...record,
      owned: z.boolean(),
      last_line: z.string(),
    }),
  ),
});

export const closeOutput = z.object({ closed: z.array(z.number()) });
export const pruneOutput = z.object({
  removed: z.array(
    z.object({ id: z.number(), name: z.string().nullable(), state: z.string(), exit_code: z.number().nullable() }),
  ),
});
export const upOutput = z.object({
  file: z.string(),
  sessions: z.array(
    z.object({
      name: z.string(),
      id: z.number(),
      state: z.string(),
      action: z.enum(["started", "reused"]),
      ready_by: z.string().nullable(),
      ready_ms: z.number().nullable(),
    }),
  ),
});
export const downOutput = z.object({
  closed: z.array(z.number()),
  sessions: z.array(z.object({ id: z.number(), name: z.string().nullable() })),
});
export const signalOutput = z.object({ id: z.number(), signal: z.string() });
