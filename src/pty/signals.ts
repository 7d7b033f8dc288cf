// Signal names and numbers, and the shell convention of 128+n for a signal death.
import os from "node:os";
import { usageError } from "../errors.ts";

const numbers = os.constants.signals as Record<string, number>;

// "INT", "SIGINT", "int" or "2" -> "SIGINT"; anything else is a usage error.
export function parseSignal(value: string): NodeJS.Signals {
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    const name = Object.keys(numbers).find((key) => numbers[key] === n);
    if (name) return name as NodeJS.Signals;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
    if (name in numbers) return name as NodeJS.Signals;
  }
  throw usageError(`unknown signal '${value}'`);
}

// 128+n for a signal name, as shells report it.
export function signalExitCode(signal: string): number {
  return 128 + (numbers[signal] ?? 0);
}
