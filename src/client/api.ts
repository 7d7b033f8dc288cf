// The client API: every operation on sessions, used by the CLI's commands and
// meant to be exposed as is by the MCP server and `bgterm rpc`. Options and
// results are plain JSON objects whose snake_case fields are those of the CLI's
// --json output; failures are BgtermError carrying the CLI's exit code (a
// failure that still produced a result, such as an --until that never matched,
// is a ResultError holding it); every operation takes a deadline (timeout_ms).
// Some options are for in-process callers only: `sink` streams output bytes
// exactly as they come (with their stream offsets) instead of collecting them
// into `text`, `data` sends raw bytes, and `connection` (poll, send) runs the
// call on a connection kept between calls (leaseConnection, for a long-lived
// caller such as the MCP server: it saves the connect and hello per call).
export {
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_IDLE_MS,
  DEFAULT_MAX_STREAM_MS,
  DEFAULT_MAX_BUFFER,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_YIELD_MS,
  type Deadline,
  REQUEST_TIMEOUT_MS,
  ResultError,
  type SessionRef,
} from "./api/common.ts";
export {
  acksSettled,
  type Connection,
  dropConnections,
  forgetConnection,
  leaseConnection,
} from "./api/connections.ts";
export { type ExecOptions, type ExecResult, exec } from "./api/exec.ts";
export { type SendOptions, type StreamedInput, send } from "./api/input.ts";
export { close, type StartOptions, start, startSession, wait } from "./api/lifecycle.ts";
export {
  firstWithOutput,
  type PollOptions,
  poll,
  pollAny,
  type ReadNowOptions,
  type ReadOptions,
  type ReadOutput,
  read,
  type WaitOptions,
} from "./api/reading.ts";
export {
  type GrepMatch,
  type GrepOptions,
  grep,
  history,
  info,
  type LinesOptions,
  type LinesResult,
  type ListOptions,
  lines,
  list,
  runs,
} from "./api/records.ts";
export type { RunRecord } from "../shared/lifecycle.ts";
export {
  closeAfterWait,
  down,
  type FollowOptions,
  follow,
  type ProjectOptions,
  type PruneOptions,
  prune,
  type UpRow,
  up,
  waitReady,
} from "./api/supervision.ts";
export type { LifecycleOptions } from "./lifecycle-options.ts";
export { type Attachment, kill, resize, type ScreenOptions, screen, subscribe } from "./api/terminal.ts";
export type { ScreenSnapshot } from "../shared/screen-model.ts";
export type { SessionRecord } from "./record.ts";
export type { CommandRecord } from "../shared/command-records.ts";
export type { OutputSink } from "./requests.ts";
