// The pure parts of remote routing: HOST:ID refs, the host list, and the
// round trip from parsed options to rpc params and back to an argv.
import { describe, expect, test } from "bun:test";
import { parseArgs, parseJsonArgs } from "../../src/cli/args.ts";
import { splitCommand, splitSessionRef, targetHosts } from "../../src/cli/remote-args.ts";
import send from "../../src/commands/send.ts";
import start from "../../src/commands/start.ts";
import { checkParams } from "../../src/rpc/dispatch.ts";
import { argsToParams, callDeadline } from "../../src/remote/run.ts";
import { shellQuote } from "../../src/remote/transport.ts";
import { survivalProblem } from "../../src/remote/host-info.ts";

const parse = (command: typeof send, argv: string[]) => parseArgs(argv, command);

describe("remote routing", () => {
  test("HOST:ID splits at the last colon; names never contain one", () => {
    expect(splitSessionRef("build1:web")).toEqual(["build1", "web"]);
    expect(splitSessionRef("me@box:3")).toEqual(["me@box", "3"]);
    expect(splitSessionRef("web")).toEqual([undefined, "web"]);
  });

  test("hosts come from --host, a HOST: prefix (stripped), then BGTERM_HOST", () => {
    const prefixed = parse(send, ["build1:web", "make"]);
    expect(targetHosts(prefixed, {})).toEqual(["build1"]);
    expect(prefixed.session).toBe("web");
    expect(targetHosts(parse(send, ["-H", "a", "3"]), { BGTERM_HOST: "b" })).toEqual(["a"]);
    expect(targetHosts(parse(send, ["3"]), { BGTERM_HOST: "b" })).toEqual(["b"]);
    expect(targetHosts(parse(send, ["--host=", "3"]), { BGTERM_HOST: "b" })).toEqual([]);
    expect(() => targetHosts(parse(send, ["-H", "a", "b:3"]), {})).toThrow("give one host");
  });

  test("options survive the trip to JSON params and back, values that look like options included", () => {
    const args = parse(send, [
      "-H",
      "a",
      "3",
      "-k",
      "C-c",
      "-k",
      "Up",
      "--no-enter",
      "--yield",
      "2s",
      "--",
      "-rf; $HOME",
    ]);
    const params = argsToParams(send, args);
    expect(params).toMatchObject({ session: "3", text: "-rf; $HOME", key: ["C-c", "Up"], enter: false, yield: 2000 });
    expect(params.host).toBeUndefined();
    const again = parseJsonArgs(checkParams(send, params, "send"), send);
    expect(argsToParams(send, again)).toEqual(params);
    const startArgs = parse(start, ["--name", "x", "python3", "-c", "print(1)", "--name"]);
    const back = parseJsonArgs(checkParams(start, argsToParams(start, startArgs), "start"), start);
    expect(back.command).toEqual(["python3", "-c", "print(1)", "--name"]);
    expect(checkParams(start, { ready_timeout: 5000, command: ["sh"] }, "start")).toEqual({
      "ready-timeout": 5000,
      command: ["sh"],
    });
    expect(checkParams(send, { yield_ms: 0, keys: ["Up"], session: 3 }, "send")).toEqual({
      yield: 0,
      key: ["Up"],
      session: 3,
    });
    expect(() => checkParams(send, { host: "x" }, "send")).toThrow("unknown parameter 'host'");
    expect(() => checkParams(send, { nope: 1 }, "send")).toThrow("unknown parameter 'nope' for send");
  });

  test("quoting and command vectors", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(splitCommand(`docker exec -i "my box"`)).toEqual(["docker", "exec", "-i", "my box"]);
    expect(callDeadline("wait", {})).toBeUndefined();
    expect(callDeadline("poll", { yield: "2s" })).toBe(62_000);
  });

  test("survival: only systemd without lingering is a problem; a state dir under the runtime dir says so", () => {
    const facts = {
      systemd: true,
      user: "ann",
      linger: false,
      runtimeDir: "/run/user/1000",
      stateDir: "/run/user/1000/bgterm",
    };
    expect(survivalProblem(facts)).toContain("/run/user/1000 (the state dir) is removed at logout");
    expect(survivalProblem(facts)).toContain("loginctl enable-linger ann");
    expect(survivalProblem({ ...facts, stateDir: "/tmp/bgterm-1000" })).toContain("start with --scope");
    expect(survivalProblem({ ...facts, linger: true })).toBeNull();
    expect(survivalProblem({ ...facts, systemd: false, linger: null })).toBeNull();
  });
});
