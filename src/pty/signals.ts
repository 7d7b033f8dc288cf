// Signal names and numbers, and the shell convention of 128+n for a signal death.
import { usageError } from "../errors.ts";

// node:os (~1 ms to load) only once a signal is named: not on every client call
// that merely imports the API, nor in a supervisor that never signals.
let table: Record<string, number> | undefined;
const signalNumbers = (): Record<string, number> =>
  (table ??= (import.meta.require("node:os") as typeof import("node:os")).constants.signals as Record<string, number>);

// "INT", "SIGINT", "int" or "2" -> "SIGINT"; anything else is a usage error.
export function parseSignal(value: string): NodeJS.Signals {
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    const numbers = signalNumbers();
    const name = Object.keys(numbers).find((key) => numbers[key] === n);
    if (name) return name as NodeJS.Signals;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
    if (name in signalNumbers()) return name as NodeJS.Signals;
  }
  throw usageError(`unknown signal '${value}'`);
}

// 128+n for a signal name, as shells report it.
export function signalExitCode(signal: string): number {
  return 128 + (signalNumbers()[signal] ?? 0);
}
