// Session labels: KEY=VALUE pairs stored in the session's metadata and used to
// select sessions (ls --label, close --label, prune --label; AND across several).
// Key: 1-64 of letters, digits, '.', '_', '-', '/'. Value: up to 256 bytes of
// printable UTF-8 (no control characters).
import { usageError } from "../errors.ts";

export type Labels = Record<string, string>;

const KEY_RE = /^[A-Za-z0-9._/-]{1,64}$/;
const MAX_VALUE_BYTES = 256;
// C0, DEL, C1 controls, and the line/paragraph separators.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function checkLabelKey(key: string, option: string): string {
  if (!KEY_RE.test(key)) {
    throw usageError(
      `${option}: invalid label key ${JSON.stringify(key)}: use 1-64 letters, digits, '.', '_', '-' or '/'`,
    );
  }
  return key;
}

export function checkLabelValue(key: string, value: string, option: string): string {
  if (Buffer.byteLength(value, "utf8") > MAX_VALUE_BYTES || CONTROL_RE.test(value) || value.includes("\ufffd")) {
    throw usageError(
      `${option}: invalid value for label '${key}': use at most ${MAX_VALUE_BYTES} bytes of printable UTF-8`,
    );
  }
  return value;
}

// "KEY=VALUE" -> [key, value]; a usage error (exit 2) otherwise.
export function parseLabel(text: string, option: string): [string, string] {
  const eq = text.indexOf("=");
  if (eq < 0) throw usageError(`${option} takes KEY=VALUE, not ${JSON.stringify(text)}`);
  const key = checkLabelKey(text.slice(0, eq), option);
  return [key, checkLabelValue(key, text.slice(eq + 1), option)];
}

// Several -l options into one object (a later key replaces an earlier one).
export function parseLabels(texts: readonly string[], option: string): Labels {
  const labels: Labels = {};
  for (const text of texts) {
    const [key, value] = parseLabel(text, option);
    labels[key] = value;
  }
  return labels;
}

// Labels given as an object (the client API): checked like -l KEY=VALUE.
export function parseLabelsObject(labels: Record<string, unknown>, option: string): Labels {
  const out: Labels = {};
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== "string") throw usageError(`${option}: the value of label '${key}' must be a string`);
    out[checkLabelKey(key, option)] = checkLabelValue(key, value, option);
  }
  return out;
}

// Does a session with `labels` carry every one of `wanted` (AND)?
export function matchLabels(labels: Labels | undefined, wanted: Labels): boolean {
  return Object.entries(wanted).every(([key, value]) => labels?.[key] === value);
}

// Labels read back from a state file: anything malformed is dropped, not trusted.
export function sanitizeLabels(value: unknown): Labels {
  const labels: Labels = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) return labels;
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== "string" || !KEY_RE.test(key)) continue;
    if (Buffer.byteLength(text, "utf8") > MAX_VALUE_BYTES || CONTROL_RE.test(text)) continue;
    labels[key] = text;
  }
  return labels;
}
