// Lifecycle's pure parts: labels, lifecycle options, backoff, the one-timer
// deadlines, dependency order.
import { describe, expect, test } from "bun:test";
import { buildLifecycle } from "../../src/client/lifecycle-options.ts";
import { type ProjectSession, startOrder } from "../../src/client/project.ts";
import { BgtermError } from "../../src/errors.ts";
import { matchLabels, parseLabel, sanitizeLabels } from "../../src/shared/labels.ts";
import { backoffDelay } from "../../src/shared/lifecycle.ts";
import { Deadlines } from "../../src/supervisor/deadlines.ts";

function exitCodeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof BgtermError ? error.exitCode : -1;
  }
  return undefined;
}

describe("labels", () => {
  test("KEY=VALUE with checked keys and values", () => {
    expect(parseLabel("app=shop", "-l")).toEqual(["app", "shop"]);
    expect(parseLabel("k8s.io/name=web=1", "-l")).toEqual(["k8s.io/name", "web=1"]);
    expect(parseLabel("empty=", "-l")).toEqual(["empty", ""]);
    expect(parseLabel("v=ünïcode ✓", "-l")).toEqual(["v", "ünïcode ✓"]);
    for (const bad of ["novalue", "=x", "a b=1", `${"k".repeat(65)}=1`, `k=${"é".repeat(129)}`, "k=a\nb", "k=\u0007"]) {
      expect({ bad, code: exitCodeOf(() => parseLabel(bad, "-l")) }).toEqual({ bad, code: 2 });
    }
  });
  test("selection is AND; labels read from files are sanitized", () => {
    expect(matchLabels({ a: "1", b: "2" }, { a: "1", b: "2" })).toBe(true);
    expect(matchLabels({ a: "1" }, { a: "1", b: "2" })).toBe(false);
    expect(matchLabels(undefined, {})).toBe(true);
    expect(sanitizeLabels({ ok: "x", "bad key": "y", n: 3, c: "a\nb" })).toEqual({ ok: "x" });
    expect(sanitizeLabels(["x"])).toEqual({});
  });
});

describe("lifecycle options", () => {
  test("valid options become the spec; bad ones are usage errors", () => {
    expect(
      buildLifecycle(
        { max_runtime: "2s", ttl: "1h", restart: "on-failure", backoff: true, max_restarts: "3", labels: ["a=b"] },
        "/tmp",
      ),
    ).toEqual({
      labels: { a: "b" },
      max_runtime_ms: 2000,
      ttl_ms: 3_600_000,
      restart: { policy: "on-failure", backoff: true, max_restarts: 3 },
    });
    expect(buildLifecycle({ health_url: "http://127.0.0.1:1/", health_interval: "500ms" }, "/").health).toEqual({
      probe: { kind: "url", url: "http://127.0.0.1:1/" },
      interval_ms: 500,
      threshold: 3,
      timeout_ms: 500,
    });
    const bad = [
      { max_runtime: "5x" },
      { ttl: "-1" },
      { restart: "sometimes" },
      { backoff: true },
      { ready_url: "ftp://x/" },
      { ready_url: "http://" },
      { health_cmd: " " },
      { health_threshold: "0", health_cmd: "true" },
      { health_interval: "10ms", health_cmd: "true" },
      { ready: "(" },
      { ready_port: "80", ready_file: "x" },
    ];
    for (const input of bad)
      expect({ input, code: exitCodeOf(() => buildLifecycle(input, "/")) }).toEqual({ input, code: 2 });
  });
  test("backoff doubles from 1 s and stops at 5 min", () => {
    expect([0, 1, 2, 3, 8, 9, 50].map(backoffDelay)).toEqual([1000, 2000, 4000, 8000, 256_000, 300_000, 300_000]);
  });
});

describe("deadlines", () => {
  test("one timer fires each deadline in order; cleared ones never fire", async () => {
    const deadlines = new Deadlines();
    const fired: string[] = [];
    deadlines.set("late", 60, () => fired.push("late"));
    deadlines.set("early", 10, () => fired.push("early"));
    deadlines.set("never", 30, () => fired.push("never"));
    deadlines.clear("never");
    expect(deadlines.has("late")).toBe(true);
    await Bun.sleep(150);
    expect(fired).toEqual(["early", "late"]);
    expect(deadlines.has("late")).toBe(false);
  });
});

describe("dependency order", () => {
  const session = (name: string, after: string[]) => ({ name, after }) as unknown as ProjectSession;
  const sessions = new Map(
    [session("db", []), session("web", ["db"]), session("worker", ["web", "db"]), session("tests", ["worker"])].map(
      (s) => [s.name, s],
    ),
  );
  test("dependencies first, each once; a subset pulls in what it needs", () => {
    expect(startOrder(sessions, ["tests", "web"], "f").map((s) => s.name)).toEqual(["db", "web", "worker", "tests"]);
    expect(startOrder(sessions, ["web"], "f").map((s) => s.name)).toEqual(["db", "web"]);
  });
  test("cycles and unknown names are usage errors", () => {
    const cyclic = new Map([session("a", ["b"]), session("b", ["c"]), session("c", ["a"])].map((s) => [s.name, s]));
    expect(() => startOrder(cyclic, ["a"], "f")).toThrow("dependency cycle: a -> b -> c -> a");
    expect(exitCodeOf(() => startOrder(sessions, ["nope"], "f"))).toBe(2);
  });
});
