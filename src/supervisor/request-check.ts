// Every field of a request is checked before a handler sees it: the socket
// is the user's own, but a client of another version, or a buggy one, must get
// a clear error, never a path built from a bad reader name or a NaN size.
import { usageError } from "../errors.ts";
import { checkReader } from "../shared/refs.ts";

type Check = (value: unknown) => boolean;

const MAX_MS = 2_147_483_647;
const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
const boolean: Check = (value) => typeof value === "boolean";
const text: Check = (value) => typeof value === "string" && value.length <= 256;
const reader: Check = (value) => {
  if (typeof value !== "string") return false;
  checkReader(value);
  return true;
};
const pattern: Check = (value) => {
  const { source, flags } = (value ?? {}) as { source?: unknown; flags?: unknown };
  if (typeof source !== "string" || typeof flags !== "string") return false;
  new RegExp(source, flags); // a bad pattern throws its own message
  return true;
};

// Per op: each field, whether it is required, and its check.
const FIELDS: Record<string, Record<string, [required: boolean, check: Check, what: string]>> = {
  hello: { protocol: [true, integer(0), "a whole number"] },
  input: { more: [false, boolean, "true or false"], quiet: [false, boolean, "true or false"] },
  poll: {
    reader: [true, reader, "a reader name"],
    limit: [false, integer(1), "a whole number from 1"],
    peek: [false, boolean, "true or false"],
    yield_ms: [true, integer(0, MAX_MS), "milliseconds"],
    idle_ms: [true, integer(0, MAX_MS), "milliseconds"],
    until: [false, pattern, "{source, flags} of a regular expression"],
    match_raw: [false, boolean, "true or false"],
    since: [false, integer(0), "an offset"],
    since_input: [false, boolean, "true or false"],
    settle: [false, boolean, "true or false"],
    max_stream_ms: [false, integer(1, MAX_MS), "milliseconds"],
    wants_input: [false, boolean, "true or false"],
  },
  peek: {
    reader: [true, reader, "a reader name"],
    from: [false, integer(0), "an offset"],
    limit: [false, integer(1), "a whole number from 1"],
  },
  ack: { to: [true, integer(0), "an offset"] },
  wait_exit: {},
  resize: { cols: [true, integer(1, 1000), "1 to 1000"], rows: [true, integer(1, 1000), "1 to 1000"] },
  signal: { signal: [true, text, "a signal name"] },
  close: { signal: [true, text, "a signal name"], grace_ms: [true, integer(0, MAX_MS), "milliseconds"] },
  screen: { scrollback: [false, integer(0, 100_000), "0 to 100000"], ansi: [false, boolean, "true or false"] },
  subscribe: { from: [true, integer(0), "an offset"] },
  modes: {},
  exec: {
    command: [true, (value) => typeof value === "string", "a command line"],
    timeout_ms: [false, integer(0, MAX_MS), "milliseconds"],
    no_wait: [false, boolean, "true or false"],
    interrupt: [false, boolean, "true or false"],
    allow_interactive: [false, boolean, "true or false"],
    pager: [false, boolean, "true or false"],
  },
};

// Throws a usage error naming the op and the field; unknown ops pass (the
// server answers them itself).
export function checkRequest(request: { op: string } & Record<string, unknown>): void {
  const fields = FIELDS[request.op];
  if (!fields) return;
  for (const [name, [required, check, what]] of Object.entries(fields)) {
    const value = request[name];
    if (value === undefined || value === null) {
      if (required) throw usageError(`bad request '${request.op}': ${name} is missing`);
      continue;
    }
    if (!check(value)) throw usageError(`bad request '${request.op}': ${name} must be ${what}`);
  }
}
