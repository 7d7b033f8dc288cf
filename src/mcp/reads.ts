// Read-like results for the MCP tools: one capture (budgeted head and tail,
// a match window, the alternate-screen switch) and one result shape, used by
// start's first output, send and read alike.
import { parseRegex } from "../cli/args.ts";
import { resolveOverwrites } from "../client/transcript.ts";
import { PlainFilter } from "../text/plain.ts";
import { BudgetCapture, BYTES_PER_TOKEN, DEFAULT_OUTPUT_TOKENS, MAX_OUTPUT_TOKENS, joinOmitted } from "./budget.ts";
import type { ReadOutput as ApiReadOutput } from "../client/api.ts";
import { foregroundOf, type SessionFiles, sessionPid } from "./session-api.ts";
import type { readOutput } from "./schemas.ts";
import type { z } from "zod";
import { SUPPORTED_SHELLS } from "../client/exec.ts";

export type ReadOutput = z.infer<typeof readOutput>;
export type Format = "text" | "lines" | "raw";
type Pattern = { source: string; flags: string };

// The window of text that `until`/`stop` are checked against to tell which matched.
const MATCH_WINDOW = 1024 * 1024;

export function budgetBytes(tokens: number | undefined): number {
  return Math.min(tokens ?? DEFAULT_OUTPUT_TOKENS, MAX_OUTPUT_TOKENS) * BYTES_PER_TOKEN;
}

// Alternate screen as last switched in the output this server has seen.
const alternateScreens = new Map<number, boolean>();
const ALT_SWITCH = /\x1b\[\?(?:1049|1047|47)([hl])/g;
const ALT_SWITCH_START = Buffer.from("\x1b[?");

export function noteAlternateScreen(id: number, on: boolean): void {
  alternateScreens.set(id, on);
}

// Collects one delivery: budgeted bytes, a match window from `since` on, and
// the last alternate-screen switch.
export class ReadCapture {
  readonly budget: BudgetCapture;
  // The last MATCH_WINDOW bytes delivered, with their offsets.
  private window: { offset: number; bytes: Buffer }[] = [];
  private windowBytes = 0;
  private alternate: boolean | undefined;
  // Whether the window has let go of the delivery's first bytes.
  private trimmed = false;

  constructor(
    readonly files: SessionFiles,
    tokens: number | undefined,
  ) {
    this.budget = new BudgetCapture(budgetBytes(tokens));
  }

  readonly sink = {
    write: (chunk: Uint8Array, offset: number) => {
      const bytes = Buffer.from(chunk); // one copy, shared by the budget and the window
      this.budget.write(bytes, offset);
      if (bytes.includes(ALT_SWITCH_START)) {
        for (const match of bytes.toString("latin1").matchAll(ALT_SWITCH)) this.alternate = match[1] === "h";
      }
      this.window.push({ offset, bytes });
      this.windowBytes += bytes.length;
      while (this.window.length > 1 && this.windowBytes - this.window[0]!.bytes.length >= MATCH_WINDOW) {
        this.windowBytes -= this.window.shift()!.bytes.length;
        this.trimmed = true;
      }
    },
  };

  // The delivered text from offset `since` on (what until/stop were matched
  // against). `all`: the whole delivery already rendered as text, the answer
  // when the window still holds all of it and it all comes after `since`.
  matchText(since: number, all?: string): string {
    if (all !== undefined && !this.trimmed && (this.window[0]?.offset ?? since) >= since) return all;
    const parts = this.window
      .filter((part) => part.offset + part.bytes.length > since)
      .map((part) => part.bytes.subarray(Math.max(0, since - part.offset)));
    return renderText(Buffer.concat(parts), "text");
  }

  alternateScreen(): boolean {
    if (this.alternate !== undefined) alternateScreens.set(this.files.id, this.alternate);
    return alternateScreens.get(this.files.id) ?? false;
  }
}

// exec's markers (RS, a kind letter, the call's token, RS): noise outside exec.
const EXEC_MARKER = /\x1e[SER][0-9a-f]{16}(?::\d+)?\x1e/g;

export function renderText(bytes: Buffer, format: Format): string {
  if (format === "raw") return bytes.toString("utf8");
  // Markers go first: --plain filtering removes their RS bytes.
  const plain = new PlainFilter({ keepOverwrites: format === "lines" });
  const unmarked = Buffer.from(bytes.toString("utf8").replace(EXEC_MARKER, ""));
  const text = Buffer.concat([plain.push(unmarked), plain.flush()]).toString("utf8");
  return format === "lines" ? text.split("\n").map(resolveOverwrites).join("\n") : text;
}

export interface Patterns {
  until?: string;
  stop?: string[];
}

// until and stop as one regex for the supervisor's wait (it matches either).
export function combinedPattern(patterns: Patterns): Pattern | undefined {
  const parts: string[] = [];
  if (patterns.until !== undefined) parts.push(parseRegex(patterns.until, "until").source);
  for (const stop of patterns.stop ?? []) parts.push(parseRegex(stop, "stop").source);
  if (parts.length === 0) return undefined;
  return { source: parts.map((part) => `(?:${part})`).join("|"), flags: "m" };
}

// Which of until/stop matched first in the text.
function whichMatched(text: string, patterns: Patterns): ReadOutput["matched"] {
  let best: ReadOutput["matched"] = null;
  let bestAt = Number.POSITIVE_INFINITY;
  const candidates: [kind: "until" | "stop", source: string][] = [
    ...(patterns.until === undefined ? [] : [["until", patterns.until] as ["until", string]]),
    ...(patterns.stop ?? []).map((source) => ["stop", source] as ["stop", string]),
  ];
  for (const [kind, source] of candidates) {
    const match = findPattern(source, text);
    if (match && match.index < bestAt) {
      bestAt = match.index;
      best = { kind, pattern: source, text: match.text.slice(0, 200) };
    }
  }
  return best;
}

// A pattern without regex syntax matches exactly its own text.
const LITERAL = /^[^\\^$.|?*+()[\]{}]*$/;

// Where a pattern first matches: a literal one with indexOf (the same answer
// without compiling a regex, which costs more than the search), others as regexes.
function findPattern(source: string, text: string): { index: number; text: string } | undefined {
  if (LITERAL.test(source)) {
    const index = text.indexOf(source);
    return index === -1 ? undefined : { index, text: source };
  }
  const match = new RegExp(source, "m").exec(text);
  return match ? { index: match.index, text: match[0] } : undefined;
}

export interface WaitInfo {
  yieldMs: number;
  requestedMs?: number;
  elapsedMs: number;
  patterns: Patterns;
  format: Format;
  // Patterns were matched from this offset on (default: the input's, else 0).
  since?: number;
}

// The structured result of a read-like call.
export function readOutputOf(capture: ReadCapture, result: ApiReadOutput, wait: WaitInfo): ReadOutput {
  const files = capture.files;
  const { head, tail, omitted } = capture.budget.finish();
  const text = omitted
    ? joinOmitted(renderText(head, wait.format), omitted, renderText(tail, wait.format))
    : renderText(head, wait.format);
  const asked = wait.patterns.until !== undefined || (wait.patterns.stop?.length ?? 0) > 0;
  let matched: ReadOutput["matched"] = null;
  if (asked && result.matched !== false) {
    const since = wait.since ?? result.input_end ?? 0;
    // What was rendered above, when it is the whole delivery rendered as the matching sees it.
    const all = omitted === null && wait.format === "text" ? text : undefined;
    matched = whichMatched(capture.matchText(since, all), wait.patterns);
  }
  if (asked && result.matched === true && !matched) {
    // Matched in output older than this server's window: say so without the text.
    const kind = wait.patterns.until === undefined ? "stop" : "until";
    matched = { kind, pattern: wait.patterns.until ?? wait.patterns.stop?.[0] ?? "", text: "" };
  }
  let outcome: ReadOutput["outcome"];
  if (matched) outcome = matched.kind === "stop" ? "stopped" : "matched";
  else if (!result.running) outcome = "exited";
  else if (wait.yieldMs === 0) outcome = "no_wait";
  else if (asked || wait.elapsedMs >= wait.yieldMs || result.end_offset === result.start_offset) outcome = "timeout";
  else outcome = "idle";
  const foreground = result.running ? foregroundOf(sessionPid(files)) : null;
  return {
    id: files.id,
    name: result.name,
    text,
    running: result.running,
    exit_code: result.exit_code,
    start_offset: result.start_offset,
    end_offset: result.end_offset,
    remaining_bytes: result.remaining_bytes,
    dropped_bytes: result.dropped_bytes,
    truncated: result.truncated,
    outcome,
    matched,
    new_output: result.end_offset > result.start_offset,
    foreground: foreground && { ...foreground, shell: SUPPORTED_SHELLS.includes(foreground.name.replace(/^-/, "")) },
    alternate_screen: capture.alternateScreen(),
    yield_ms: wait.yieldMs,
    ...(wait.requestedMs === undefined ? {} : { yield_requested_ms: wait.requestedMs }),
    omitted,
  };
}

// The compact text rendering: the output, then one status line.
export function renderRead(out: ReadOutput): string {
  const state = out.running ? "running" : `exited ${out.exit_code ?? "?"}`;
  const parts = [
    `session ${out.id} ${state}`,
    `outcome ${out.outcome}${out.matched ? ` (${out.matched.kind} /${out.matched.pattern}/)` : ""}`,
    `offsets ${out.start_offset}-${out.end_offset}`,
  ];
  if (out.remaining_bytes > 0) parts.push(`${out.remaining_bytes} bytes unread`);
  // Output that left retention before this read: say so, or it looks complete.
  if (out.truncated)
    parts.push(`older output lost (${out.dropped_bytes} bytes dropped by retention before offset ${out.start_offset})`);
  if (out.foreground && !out.foreground.shell) parts.push(`foreground ${out.foreground.name}`);
  if (out.alternate_screen) parts.push("alternate screen (use terminal_screen)");
  if (out.yield_requested_ms !== undefined) parts.push(`yield clamped to ${out.yield_ms} ms`);
  return `${out.text}${out.text.endsWith("\n") || out.text === "" ? "" : "\n"}[${parts.join(" · ")}]`;
}
