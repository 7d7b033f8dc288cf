// The tool handlers: each turns validated input into calls on the client API
// (through session-api.ts) and returns structuredContent plus a compact text.
import * as api from "../client/api.ts";
import { DEFAULT_IDLE_MS, DEFAULT_READY_TIMEOUT_MS, DEFAULT_YIELD_MS } from "../client/api.ts";
import { BgtermError, EXIT, timeoutError, usageError } from "../errors.ts";
import { parseSignal } from "../pty/signals.ts";
import { checkReader } from "../shared/refs.ts";
import { matchLabels, parseLabelsObject } from "../shared/labels.ts";
import { encodeKey } from "../text/keys.ts";
import { budgetBuffer, joinOmitted } from "./budget.ts";
import {
  budgetBytes,
  combinedPattern,
  type Format,
  noteAlternateScreen,
  ReadCapture,
  type ReadOutput,
  readOutputOf,
  renderRead,
  renderText,
} from "./reads.ts";
import type * as S from "./schemas.ts";
import {
  buildRecord,
  closeOne,
  firstExit,
  listRecords,
  projectDown,
  projectUp,
  pruneSessions,
  readLabels,
  resolveSession,
  resultOf,
  type SessionFiles,
  type SessionRecord,
  screenOf,
  type StartOptions,
  signalForeground,
  startSession,
  tailBytes,
  waitReady,
} from "./session-api.ts";
import type { z } from "zod";

export const OWNER_LABEL = "mcp.owner";
const START_YIELD_MS = 500;
const CAP_MS = 50_000;
const CAP_WITH_PROGRESS_MS = 600_000;
const PROGRESS_EVERY_MS = 10_000;
const AGENT_ENV = { PAGER: "cat", GIT_PAGER: "cat", MANPAGER: "cat", GIT_TERMINAL_PROMPT: "0" };

// What a handler gets from the server: who the caller is and how to report progress.
export interface CallContext {
  owner(): string;
  progressToken: string | number | undefined;
  // Aborted when the client cancels the request.
  signal?: AbortSignal;
  progress(elapsedMs: number, message: string): Promise<void>;
}

// What the server remembers across calls.
export interface ServerState {
  ownSession: number | undefined;
  execShell: number | undefined;
  onStarted(files: SessionFiles): void;
}

export interface ToolResult {
  content: { type: "text"; text: string }[];
  structuredContent: Record<string, unknown>;
  isError?: boolean;
  [key: string]: unknown;
}

function result(structured: Record<string, unknown>, text: string): ToolResult {
  return { content: [{ type: "text", text }], structuredContent: structured };
}

// A wait clamped to what the client can stand: 50 s, or 10 min with progress.
function clampWait(
  requested: number | undefined,
  fallback: number,
  context: CallContext,
): { ms: number; requested?: number } {
  const cap = context.progressToken === undefined ? CAP_MS : CAP_WITH_PROGRESS_MS;
  const ms = requested ?? fallback;
  return ms > cap ? { ms: cap, requested: ms } : { ms };
}

// Runs a long wait while sending progress notifications (when asked for).
async function withProgress<T>(context: CallContext, what: string, run: () => Promise<T>): Promise<T> {
  if (context.progressToken === undefined) return run();
  const started = performance.now();
  const timer = setInterval(
    () => void context.progress(performance.now() - started, what).catch(() => {}),
    PROGRESS_EVERY_MS,
  );
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}

function sessionRef(id: number | string): SessionFiles {
  return resolveSession(String(id));
}

function ownerOf(files: SessionFiles): string | null {
  return readLabels(files)[OWNER_LABEL] ?? null;
}

// Refuses input or closing for the server's own session and, unless
// any_owner, for sessions another MCP client started.
function checkMayDrive(files: SessionFiles, state: ServerState, context: CallContext, anyOwner?: boolean): void {
  if (state.ownSession === files.id) {
    throw usageError(`session ${files.id} is the one this MCP server runs in; refusing to drive or close it`);
  }
  const owner = ownerOf(files);
  if (!anyOwner && owner !== null && owner !== context.owner()) {
    throw usageError(
      `session ${files.id} belongs to another MCP client (${owner}); pass any_owner: true to act on it anyway`,
    );
  }
}

function publicRecord(record: SessionRecord, files: SessionFiles) {
  return {
    id: record.id,
    name: record.name,
    state: record.state,
    pid: record.pid,
    exit_code: record.exit_code,
    command: record.command,
    cwd: record.cwd,
    cols: record.cols,
    rows: record.rows,
    started_at: record.started_at,
    age_ms: record.age_ms,
    unread_bytes: record.unread_bytes,
    end_offset: record.end_offset,
    dropped_bytes: record.dropped_bytes,
    owner: ownerOf(files),
    labels: record.labels,
    restart_count: record.restart_count,
    health: record.health,
    ended_by: record.ended_by,
    ended_at: record.ended_at,
    runs: record.runs,
    cpu_percent: record.cpu_percent,
    cpu_seconds: record.cpu_seconds,
    rss_bytes: record.rss_bytes,
  };
}

// ---- the poll shared by start, send and read --------------------------------

interface PollRequest {
  until?: string;
  stop?: string[];
  idle_ms?: number;
  yield_ms?: number;
  reader?: string;
  format?: Format;
  max_output_tokens?: number;
  limit_bytes?: number;
}

async function pollRead(
  files: SessionFiles,
  input: PollRequest,
  context: CallContext,
  options: {
    // Send this input first (on the same kept connection); until/stop match from where it began.
    send?: api.SendOptions;
    defaultYield?: number;
    // until and stop as combinedPattern made them (when the caller checked them already).
    pattern?: ReturnType<typeof combinedPattern>;
  } = {},
): Promise<ReadOutput> {
  const wait = clampWait(input.yield_ms, options.defaultYield ?? DEFAULT_YIELD_MS, context);
  const patterns = { until: input.until, stop: input.stop };
  const pattern = options.pattern ?? combinedPattern(patterns);
  const capture = new ReadCapture(files, input.max_output_tokens);
  const started = performance.now();
  const pollOptions: api.PollOptions = {
    reader: checkReader(input.reader ?? "default"),
    limit: input.limit_bytes,
    yield_ms: wait.ms,
    idle_ms: input.idle_ms ?? (pattern ? 0 : DEFAULT_IDLE_MS),
    until: pattern?.source,
    settle: false,
    sink: capture.sink,
  };
  // A live session answers on a kept connection; an ended one from its files
  // (input needs a running session: send fails as the API says).
  const connection = options.send
    ? await api.leaseConnection(files.id)
    : await api.leaseConnection(files.id).catch(() => undefined);
  // A cancelled call ends its connection: the supervisor drops the wait, and
  // output that was not acknowledged stays unread for the next read.
  const cancel = () => connection?.cancel();
  context.signal?.addEventListener("abort", cancel, { once: true });
  let read: api.ReadOutput;
  try {
    read = await withProgress(context, `waiting for output of session ${files.id}`, () =>
      resultOf(
        options.send
          ? api.send(files.id, { ...options.send, ...pollOptions, connection })
          : api.poll(files.id, { ...pollOptions, connection }),
      ),
    );
  } finally {
    context.signal?.removeEventListener("abort", cancel);
  }
  return readOutputOf(capture, read, {
    yieldMs: wait.ms,
    requestedMs: wait.requested,
    elapsedMs: performance.now() - started,
    patterns,
    format: input.format ?? "text",
  });
}

// ---- tools ------------------------------------------------------------------

export async function startTool(
  input: z.infer<typeof S.startInput>,
  state: ServerState,
  context: CallContext,
): Promise<ToolResult> {
  const command =
    input.command === undefined ? [] : typeof input.command === "string" ? [input.command] : input.command;
  const readiness = [input.ready_regex, input.ready_port, input.ready_file, input.ready_url].some(
    (v) => v !== undefined,
  );
  const timeout = clampWait(input.ready_timeout_ms, DEFAULT_READY_TIMEOUT_MS, context);
  const { record, reused } = await withProgress(context, "waiting for the session to be ready", () =>
    startSession({
      command,
      name: input.name ?? null,
      cwd: input.cwd,
      env: { ...(input.env_profile === "agent" ? AGENT_ENV : {}), ...input.env },
      cols: input.cols ?? 120,
      rows: input.rows ?? 40,
      reuse: input.if_exists === "reuse",
      replace: input.if_exists === "replace",
      ready: input.ready_regex,
      ready_port: input.ready_port,
      ready_file: input.ready_file,
      ready_url: input.ready_url,
      ready_timeout_ms: timeout.ms,
      labels: { ...input.labels, [OWNER_LABEL]: context.owner() },
      max_runtime_ms: input.max_runtime_ms,
      ttl_ms: input.ttl_ms,
      rm: input.rm,
      restart: input.restart as StartOptions["restart"],
      backoff: input.backoff,
      max_restarts: input.max_restarts,
      health_url: input.health_url,
      health_port: input.health_port,
      health_cmd: input.health_cmd,
      health_interval_ms: input.health_interval_ms,
      health_threshold: input.health_threshold,
      health_timeout_ms: input.health_timeout_ms,
      health_start_period_ms: input.health_start_period_ms,
      wait_ready: input.wait_ready,
    }),
  );
  const files = resolveSession(String(record.id));
  if (!reused) state.onStarted(files);
  // Not waited for (wait_ready: false): unknown, as without a check.
  const ready = readiness && input.wait_ready !== false ? true : null;
  const yieldMs = input.yield_ms ?? (ready ? 0 : START_YIELD_MS);
  const output =
    yieldMs > 0 || ready ? await pollRead(files, { ...input, yield_ms: yieldMs }, context, { defaultYield: 0 }) : null;
  const structured = {
    ...publicRecord(await buildRecord(files), files),
    reused,
    ready,
    ttl_ms: input.ttl_ms ?? null,
    output,
  };
  const head = `session ${files.id}${structured.name ? ` (${structured.name})` : ""} ${reused ? "reused" : "started"}: ${structured.command.join(" ")}${ready ? " - ready" : ""}`;
  return result(structured, output ? `${head}\n${renderRead(output)}` : head);
}

export async function sendTool(
  input: z.infer<typeof S.sendInput>,
  state: ServerState,
  context: CallContext,
): Promise<ToolResult> {
  const files = sessionRef(input.id);
  checkMayDrive(files, state, context, input.any_owner);
  const keyNames = input.keys ?? [];
  for (const name of keyNames) encodeKey(name); // unknown keys fail before anything is sent
  const pattern = combinedPattern(input); // invalid regexes fail before anything is sent
  // Text is typed (pasted when multi-line, as the program asked), then Enter, then the keys.
  const enter = input.enter ?? true;
  const send: api.SendOptions =
    input.text === undefined
      ? { keys: keyNames, enter }
      : {
          data: Buffer.from(input.text),
          keys: enter ? ["Enter", ...keyNames] : keyNames,
          paste: input.paste === "always" ? true : input.paste === "never" ? false : undefined,
        };
  const output = await pollRead(files, input, context, { send, pattern });
  return result(output, renderRead(output));
}

export async function readTool(input: z.infer<typeof S.readInput>, context: CallContext): Promise<ToolResult> {
  const refs = input.ids ?? (input.id === undefined ? [] : [input.id]);
  if (refs.length === 0) throw usageError("give id or ids");
  if (input.id !== undefined && input.ids !== undefined) throw usageError("give id or ids, not both");
  const targets = refs.map(sessionRef);
  const reader = checkReader(input.reader ?? "default");
  combinedPattern(input);
  if (input.from_offset !== undefined) {
    if (targets.length > 1) throw usageError("from_offset reads one session");
    const files = targets[0]!;
    const capture = new ReadCapture(files, input.max_output_tokens);
    const read = await resultOf(
      api.read(files.id, { reader, from: input.from_offset, limit: input.limit_bytes, sink: capture.sink }),
    );
    const output = readOutputOf(capture, read, {
      yieldMs: 0,
      elapsedMs: 0,
      patterns: {},
      format: input.format ?? "text",
    });
    return result(output, renderRead(output));
  }
  let files = targets[0]!;
  if (targets.length > 1) {
    const wait = clampWait(input.yield_ms, DEFAULT_YIELD_MS, context);
    const pattern = combinedPattern(input);
    try {
      const first = await withProgress(context, "waiting for output", () =>
        api.firstWithOutput(
          targets.map((target) => target.id),
          {
            reader,
            yield_ms: wait.ms,
            idle_ms: input.idle_ms ?? (pattern ? 0 : DEFAULT_IDLE_MS),
            until: pattern?.source,
            settle: false,
          },
        ),
      );
      files = targets.find((target) => target.id === first) ?? files;
    } catch {
      throw timeoutError(`none of the sessions had unread output within ${wait.ms} ms`);
    }
    const output = await pollRead(files, { ...input, yield_ms: 0, idle_ms: 0 }, context);
    return result(output, renderRead(output));
  }
  const output = await pollRead(files, input, context);
  return result(output, renderRead(output));
}

export async function execTool(
  input: z.infer<typeof S.execInput>,
  state: ServerState,
  context: CallContext,
): Promise<ToolResult> {
  let files: SessionFiles;
  if (input.id !== undefined) {
    files = sessionRef(input.id);
    checkMayDrive(files, state, context, input.any_owner);
  } else {
    files = await ownShell(state, context);
  }
  const timeout = clampWait(input.timeout_ms, 30_000, context);
  // The output as the terminal gave it, with where it starts in the stream.
  let raw = Buffer.alloc(0);
  const sink = { write: (chunk: Uint8Array) => void (raw = Buffer.from(chunk)) };
  const outcome = await withProgress(context, `running in session ${files.id}`, async () => {
    try {
      return await api.exec(files.id, {
        command: input.command,
        timeout_ms: timeout.ms,
        interrupt: input.interrupt ?? true,
        sink,
        raw: true,
      });
    } catch (error) {
      // Still running after the timeout: a result, not an error.
      if (error instanceof api.ResultError && error.exitCode === EXIT.timeout) return error.result as api.ExecResult;
      throw error;
    }
  });
  const budgeted = budgetBuffer(raw, outcome.start_offset ?? 0, budgetBytes(input.max_output_tokens));
  const render = (bytes: Buffer) => renderText(bytes, "text");
  const output = budgeted.omitted
    ? joinOmitted(render(budgeted.head), budgeted.omitted, render(budgeted.tail))
    : render(budgeted.head);
  const structured = {
    id: files.id,
    exit_code: outcome.exit_code,
    output,
    timed_out: outcome.timed_out,
    duration_ms: outcome.duration_ms,
    running: outcome.running ?? true,
    timeout_ms: timeout.ms,
    ...(timeout.requested === undefined ? {} : { timeout_requested_ms: timeout.requested }),
    omitted: budgeted.omitted,
  };
  const status = outcome.timed_out
    ? outcome.exit_code === null
      ? `timed out after ${timeout.ms} ms; still running in session ${files.id}`
      : `timed out after ${timeout.ms} ms, interrupted: exit ${outcome.exit_code}`
    : `exit ${outcome.exit_code}`;
  return result(
    structured,
    `${output}${output.endsWith("\n") || output === "" ? "" : "\n"}[${status} · ${outcome.duration_ms} ms]`,
  );
}

// This client's persistent shell for exec: started on first use, reused after.
async function ownShell(state: ServerState, context: CallContext): Promise<SessionFiles> {
  if (state.execShell !== undefined) {
    try {
      const files = resolveSession(String(state.execShell));
      if (files.readStatus() === undefined) return files;
      // The shell ended (a command ran `exit`): remove it, start another.
      await closeOne(files, "SIGHUP", 0);
    } catch {
      // Closed meanwhile: start another.
    }
  }
  const { record } = await startSession({
    command: [Bun.which("bash") ?? "/bin/sh"],
    env: AGENT_ENV,
    cols: 120,
    rows: 40,
    labels: { [OWNER_LABEL]: context.owner(), "mcp.role": "exec-shell" },
  });
  const files = resolveSession(String(record.id));
  state.execShell = files.id;
  state.onStarted(files);
  return files;
}

export async function screenTool(input: z.infer<typeof S.screenInput>): Promise<ToolResult> {
  const files = sessionRef(input.id);
  const snapshot = await screenOf(files, { scrollback: input.scrollback ?? 0, ansi: input.ansi === true });
  noteAlternateScreen(files.id, snapshot.alternate_screen);
  const structured = { id: files.id, ...snapshot };
  const lines = [...snapshot.lines];
  while (lines.length > 0 && lines.at(-1)!.trim() === "") lines.pop();
  let text = lines.join("\n");
  if (input.cursor) text += `\n[cursor row ${snapshot.cursor_y} col ${snapshot.cursor_x}]`;
  if (snapshot.alternate_screen) text += "\n[alternate screen]";
  return result(structured, text);
}

export async function waitTool(input: z.infer<typeof S.waitInput>, context: CallContext): Promise<ToolResult> {
  const targets = input.ids.map(sessionRef);
  const timeout = clampWait(input.timeout_ms, DEFAULT_YIELD_MS, context);
  if (input.ready) return waitReadyTool(targets, timeout, context);
  const first = await withProgress(context, "waiting for an exit", () => firstExit(targets, timeout.ms));
  const winner = first ? { files: targets.find((files) => files.id === first.id)!, code: first.exit_code } : null;
  const structured = {
    outcome: winner ? ("exited" as const) : ("timeout" as const),
    id: winner?.files.id ?? null,
    exit_code: winner?.code ?? null,
    timeout_ms: timeout.ms,
    ...(timeout.requested === undefined ? {} : { timeout_requested_ms: timeout.requested }),
  };
  const text = winner
    ? `session ${winner.files.id} exited with code ${winner.code}`
    : `no session exited within ${timeout.ms} ms`;
  return result(structured, text);
}

// wait ready: true: until every session passes its start readiness check.
async function waitReadyTool(
  targets: SessionFiles[],
  timeout: { ms: number; requested?: number },
  context: CallContext,
): Promise<ToolResult> {
  const deadline = performance.now() + timeout.ms;
  let ready = true;
  try {
    await withProgress(context, "waiting for readiness", () =>
      Promise.all(
        targets.map((files) =>
          waitReady(files.id, { timeout_ms: Math.max(1, Math.floor(deadline - performance.now())) }),
        ),
      ),
    );
  } catch (error) {
    if (!(error instanceof BgtermError) || error.exitCode !== EXIT.timeout) throw error;
    ready = false;
  }
  const ids = targets.map((files) => files.id);
  const structured = {
    outcome: ready ? ("ready" as const) : ("timeout" as const),
    id: ids.length === 1 ? ids[0]! : null,
    exit_code: null,
    timeout_ms: timeout.ms,
    ...(timeout.requested === undefined ? {} : { timeout_requested_ms: timeout.requested }),
  };
  const which = ids.map((id) => `session ${id}`).join(", ");
  return result(structured, ready ? `${which} ready` : `${which} not ready within ${timeout.ms} ms`);
}

function lastLine(files: SessionFiles): string {
  const text = renderText(tailBytes(files, 4096), "lines");
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  return (lines.at(-1) ?? "").slice(0, 200);
}

export async function listTool(input: z.infer<typeof S.listInput>, context: CallContext): Promise<ToolResult> {
  const me = context.owner();
  const wanted = parseLabelsObject(input.labels ?? {}, "labels");
  const sessions = (await listRecords(() => {}))
    .filter((record) => matchLabels(record.labels, wanted))
    .map((record) => {
      const files = resolveSession(String(record.id));
      const base = publicRecord(record, files);
      return { ...base, owned: base.owner === me, last_line: lastLine(files) };
    })
    .filter((session) => input.all === true || session.owned);
  const text =
    sessions.length === 0
      ? input.all
        ? "no sessions"
        : "no sessions of this client (all: true lists every session)"
      : sessions
          .map(
            (s) =>
              `${s.id}\t${s.name ?? "-"}\t${s.state}${s.exit_code === null ? "" : ` ${s.exit_code}`}\t${s.unread_bytes} unread\t${s.command.join(" ")}\t${s.last_line}`,
          )
          .join("\n");
  return result({ sessions }, text);
}

export async function closeTool(
  input: z.infer<typeof S.closeInput>,
  state: ServerState,
  context: CallContext,
): Promise<ToolResult> {
  const byLabels = input.labels !== undefined;
  if (input.ids !== undefined && (input.owned === true || byLabels)) {
    throw usageError("give ids or owned: true (one of them); labels go with owned, not with ids");
  }
  if (input.ids === undefined && input.owned !== true && !byLabels) {
    throw usageError("give ids or owned: true, or labels");
  }
  const wanted = parseLabelsObject(input.labels ?? {}, "labels");
  const signal = parseSignal(input.signal ?? "HUP");
  const graceMs = input.grace_ms ?? 1000;
  let targets: SessionFiles[];
  if (input.ids) {
    targets = input.ids.map(sessionRef); // every id resolved first: a bad one closes nothing
    for (const files of targets) checkMayDrive(files, state, context, input.any_owner);
  } else {
    const me = context.owner();
    const anyOwner = byLabels && input.owned !== true && input.any_owner === true;
    targets = (await listRecords(() => {}, false))
      .filter((record) => matchLabels(record.labels, wanted))
      .map((record) => resolveSession(String(record.id)))
      .filter((files) => files.id !== state.ownSession && (anyOwner || ownerOf(files) === me));
  }
  await Promise.all(targets.map((files) => closeOne(files, signal, graceMs)));
  const closed = targets.map((files) => files.id);
  return result(
    { closed },
    closed.length ? `closed ${closed.map((id) => `session ${id}`).join(", ")}` : "nothing to close",
  );
}

export async function signalTool(
  input: z.infer<typeof S.signalInput>,
  state: ServerState,
  context: CallContext,
): Promise<ToolResult> {
  const files = sessionRef(input.id);
  checkMayDrive(files, state, context, input.any_owner);
  const signal = parseSignal(input.signal ?? "INT");
  await signalForeground(files, signal);
  return result({ id: files.id, signal }, `sent ${signal} to session ${files.id}'s foreground process group`);
}

export async function pruneTool(input: z.infer<typeof S.pruneInput>, context: CallContext): Promise<ToolResult> {
  const labels = parseLabelsObject(input.labels ?? {}, "labels");
  // This client's own ended sessions unless all: true.
  if (input.all !== true) labels[OWNER_LABEL] = context.owner();
  const { removed } = await pruneSessions({ older_than_ms: input.older_than_ms, labels });
  return result(
    { removed },
    removed.length === 0
      ? "nothing to prune"
      : `removed ${removed.map((r) => `session ${r.id}${r.name ? ` (${r.name})` : ""} ${r.state}${r.exit_code === null ? "" : ` ${r.exit_code}`}`).join(", ")}`,
  );
}

type ProjectInput = z.infer<typeof S.upInput>;
function projectOptions(input: ProjectInput, context: CallContext) {
  const timeout = clampWait(input.timeout_ms, CAP_MS, context);
  return { cwd: input.cwd, file: input.file, names: input.names, timeout_ms: timeout.ms };
}

export async function upTool(input: ProjectInput, context: CallContext): Promise<ToolResult> {
  const outcome = await withProgress(context, "bringing the project up", () =>
    projectUp(projectOptions(input, context)),
  );
  const rows = outcome.sessions.map(
    (row) =>
      `${row.name}\t${row.id}\t${row.action === "reused" ? `${row.state} (reused)` : row.state}\t${row.ready_by ?? "-"}`,
  );
  return result(outcome, [`${outcome.file}:`, ...rows].join("\n"));
}

export async function downTool(input: z.infer<typeof S.downInput>, context: CallContext): Promise<ToolResult> {
  const outcome = await projectDown(projectOptions(input, context));
  return result(
    outcome,
    outcome.closed.length === 0
      ? "nothing to close"
      : `closed ${outcome.sessions.map((s) => `session ${s.id}${s.name ? ` (${s.name})` : ""}`).join(", ")}`,
  );
}
