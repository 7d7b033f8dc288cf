// Lifecycle, supervisor side: --max-runtime, restart with backoff and runs
// recorded, health checks against a real HTTP server, --ttl, and surviving the
// removal of the state dir (what a logout does to $XDG_RUNTIME_DIR).
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Bg, eventually, processAlive } from "../helpers.ts";

const bg = new Bg();
afterAll(() => bg.cleanup());

function freePort(): number {
  return 31000 + Math.floor(Math.random() * 9000);
}

describe("time limits", () => {
  test("--max-runtime 2s ends the program with SIGTERM; the session stays readable; ended_by says why", async () => {
    const id = await bg.start(["--max-runtime", "2s", "sh", "-c", "echo started; exec sleep 600"]);
    const wait = await bg.run(["wait", id, "--timeout", "30s"]);
    expect(wait.code).toBe(143);
    const record = await bg.json(["info", id]);
    expect(record).toMatchObject({ state: "exited", exit_code: 143, ended_by: "max-runtime" });
    expect(Date.parse(record.ended_at) - Date.parse(record.started_at)).toBeGreaterThanOrEqual(1900);
    expect(await bg.ok(["read", id, "--plain"])).toBe("started\n");
    // A program that ignores SIGTERM is killed after the grace period.
    const stubborn = await bg.start(["--max-runtime", "500ms", "sh", "-c", "trap '' TERM; echo ready; sleep 600"]);
    expect((await bg.run(["wait", stubborn, "--timeout", "30s"])).code).toBe(137);
    await bg.ok(["close", id, stubborn]);
  });

  test("--ttl closes and removes the session whatever its state", async () => {
    const running = await bg.start(["--ttl", "1s", "-n", "short-lived", "sleep", "600"]);
    const finished = await bg.start(["--ttl", "1500ms", "true"]);
    const pid = (await bg.json(["info", running])).pid;
    await eventually(
      () => !fs.existsSync(path.join(bg.stateDir, "sessions", running)),
      "the ttl to remove the running session",
      20_000,
    );
    await eventually(() => !processAlive(pid), "its program to end");
    expect((await bg.run(["info", "short-lived"])).code).toBe(3);
    // The exited one lingers (readable) until its ttl.
    await eventually(
      () => !fs.existsSync(path.join(bg.stateDir, "sessions", finished)),
      "the ttl to remove the exited session",
      20_000,
    );
  });
});

describe("restart", () => {
  test("each ended run's terminal is released at the respawn: a crash loop holds no growing number of PTYs", async () => {
    const id = await bg.start(["--restart", "always", "sh", "-c", "echo hi; sleep 0.1"]);
    try {
      const ptys = (pid: number) =>
        fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
          try {
            return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === "/dev/ptmx";
          } catch {
            return false; // closed while listed
          }
        }).length;
      await eventually(async () => (await bg.json(["info", id])).restart_count >= 12, "a dozen restarts", 60_000);
      const { supervisor_pid } = await bg.json(["info", id]);
      // One terminal for the current run, perhaps one for the run ending now.
      expect(ptys(supervisor_pid)).toBeLessThanOrEqual(3);
    } finally {
      await bg.ok(["close", id]);
    }
  });

  test("a program that crashes twice then stays up: same id, one stream, runs recorded with backoff", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-crash-"));
    const script = path.join(dir, "crashy.sh");
    fs.writeFileSync(
      script,
      `#!/bin/sh\nn=$(cat ${dir}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/count\necho "run $n"\nif [ $n -le 2 ]; then echo crash; exit 3; fi\necho up; exec sleep 600\n`,
      { mode: 0o755 },
    );
    const id = await bg.start([
      "--restart",
      "on-failure",
      "--backoff",
      "--ready",
      "^up",
      "--ready-timeout",
      "60s",
      script,
    ]);
    const record = await bg.json(["info", id]);
    expect(record.state).toBe("running");
    expect(record.restart_count).toBe(2);
    expect(record.runs.map((run: { exit_code: number | null }) => run.exit_code)).toEqual([3, 3, null]);
    expect(record.runs[2].pid).toBe(record.pid);
    // Backoff doubles from 1 s: ~1 s before run 2, ~2 s before run 3.
    const gap = (i: number) => Date.parse(record.runs[i].started_at) - Date.parse(record.runs[i - 1].ended_at);
    expect(gap(1)).toBeGreaterThanOrEqual(900);
    expect(gap(2)).toBeGreaterThanOrEqual(1900);
    expect(await bg.ok(["read", id, "--plain"])).toBe("run 1\ncrash\nrun 2\ncrash\nrun 3\nup\n");
    expect(record.runs[1].start_offset).toBe("run 1\r\ncrash\r\n".length);
    // The history: markers in the timing record, asciicast "m" events on export.
    const markers = (await bg.ok(["export", id]))
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => JSON.parse(line))
      .filter((event) => event[1] === "m")
      .map((event) => event[2]);
    expect(markers).toEqual([
      "run 1 exited (code 3); restart in 1000 ms",
      `run 2 started (pid ${record.runs[1].pid})`,
      "run 2 exited (code 3); restart in 2000 ms",
      `run 3 started (pid ${record.runs[2].pid})`,
    ]);
    // history --runs lists the same runs: JSON as info's runs, text one line per run.
    expect(await bg.json(["history", id, "--runs"])).toEqual(record.runs);
    expect(await bg.json(["history", id, "--runs", "--tail", "1"])).toEqual([record.runs[2]]);
    const runLines = (await bg.ok(["history", id, "--runs"])).trim().split("\n");
    expect(runLines.map((line) => line.split("\t").slice(0, 2).join(" "))).toEqual(["1 3", "2 3", "3 -"]);
    expect(runLines[1]!.split("\t")[4]).toBe(String(record.runs[1].start_offset));
    const ls = (await bg.json(["ls"])).find((r: { id: number }) => r.id === Number(id));
    expect(ls.restart_count).toBe(2);
    expect(await bg.ok(["ls"])).toMatch(new RegExp(`^${id}\\t-\\trunning \\(2 restarts\\)`, "m"));
    await bg.ok(["close", id]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("--max-restarts bounds the runs; wait gets the last exit; --restart always restarts clean exits", async () => {
    const failing = await bg.start(["--restart", "on-failure", "--max-restarts", "2", "sh", "-c", "echo try; exit 7"]);
    expect((await bg.run(["wait", failing, "--timeout", "30s"])).code).toBe(7);
    const record = await bg.json(["info", failing]);
    expect(record.runs).toHaveLength(3);
    expect((await bg.ok(["read", failing, "--plain"])).match(/try/g)).toHaveLength(3);
    const clean = await bg.start(["--restart", "always", "--max-restarts", "1", "true"]);
    expect((await bg.run(["wait", clean, "--timeout", "30s"])).code).toBe(0);
    expect((await bg.json(["info", clean])).runs).toHaveLength(2);
    expect(await bg.ok(["ls"])).toMatch(new RegExp(`^${clean}\\t-\\texited \\(1 restart\\)\\t`, "m"));
    const once = await bg.start(["--restart", "on-failure", "true"]);
    expect((await bg.run(["wait", once, "--timeout", "30s"])).code).toBe(0);
    expect((await bg.json(["info", once])).runs).toHaveLength(1);
    await bg.ok(["close", failing, clean, once]);
  });
});

describe("health", () => {
  test("a real HTTP server is healthy; failing checks mark it unhealthy, or restart it with a policy", async () => {
    const port = freePort();
    const web = await bg.start([
      "--health-url",
      `http://127.0.0.1:${port}/`,
      "--health-interval",
      "200ms",
      "--ready-port",
      String(port),
      "python3",
      "-m",
      "http.server",
      String(port),
      "--bind",
      "127.0.0.1",
    ]);
    await eventually(async () => (await bg.json(["info", web])).health === "healthy", "the server to be healthy");
    // A check on a port nobody in this session listens on: unhealthy, no restart policy.
    const deaf = await bg.start([
      "--health-port",
      String(port),
      "--health-interval",
      "200ms",
      "--health-threshold",
      "2",
      "sleep",
      "600",
    ]);
    await eventually(
      async () => (await bg.json(["info", deaf])).health === "unhealthy",
      "the deaf session to be unhealthy",
    );
    expect(await bg.ok(["ls"])).toMatch(new RegExp(`^${deaf}\\t-\\tunhealthy\\t`, "m"));
    expect((await bg.json(["info", deaf])).restart_count).toBe(0);
    // With a restart policy an unhealthy run is ended and started again.
    const restarted = await bg.start([
      "--restart",
      "always",
      "--health-cmd",
      "false",
      "--health-interval",
      "200ms",
      "--health-threshold",
      "2",
      "sleep",
      "600",
    ]);
    await eventually(
      async () => (await bg.json(["info", restarted])).restart_count >= 1,
      "the unhealthy session to be restarted",
      20_000,
    );
    const runs = (await bg.json(["info", restarted])).runs;
    expect(runs[0].exit_code).toBe(143);
    await bg.ok(["close", web, deaf, restarted]);
  });

  test("--health-start-period: failed checks do not count until it elapses; a pass makes it healthy", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-grace-"));
    const options = (name: string) => [
      "--health-cmd",
      `echo x >> ${dir}/${name}.probes; test -f ${dir}/${name}.ok`,
      "--health-interval",
      "200ms",
      "--health-threshold",
      "1",
    ];
    try {
      const patient = await bg.start([...options("patient"), "--health-start-period", "10m", "sleep", "600"]);
      const strict = await bg.start([...options("strict"), "sleep", "600"]);
      await eventually(
        async () => (await bg.json(["info", strict])).health === "unhealthy",
        "the session without a grace to be unhealthy",
      );
      const probes = () => fs.readFileSync(path.join(dir, "patient.probes"), "utf8").split("\n").length - 1;
      await eventually(() => fs.existsSync(path.join(dir, "patient.probes")) && probes() >= 3, "three failed checks");
      expect((await bg.json(["info", patient])).health).toBe("starting");
      fs.writeFileSync(path.join(dir, "patient.ok"), "");
      await eventually(
        async () => (await bg.json(["info", patient])).health === "healthy",
        "a passing check in the grace to make it healthy",
      );
      await bg.ok(["close", patient, strict]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("URL probes read the answer to its end: the server logs finished requests, not resets", async () => {
    // A page bigger than what arrives with the headers: a probe that dropped
    // the connection after the status made http.server log a traceback per probe.
    const site = fs.mkdtempSync(path.join(os.tmpdir(), "bgterm-site-"));
    fs.writeFileSync(path.join(site, "index.html"), "x".repeat(4 << 20));
    const port = freePort();
    const url = `http://127.0.0.1:${port}/`;
    const web = await bg.start([
      "-C",
      site,
      "--ready-url",
      url,
      "--ready-timeout",
      "30s",
      "--health-url",
      url,
      "--health-interval",
      "200ms",
      "python3",
      "-m",
      "http.server",
      String(port),
      "--bind",
      "127.0.0.1",
    ]);
    const gets = async () =>
      ((await bg.ok(["read", web, "--peek", "--plain"])).match(/"GET \/ HTTP\/1.1" 200/g) ?? []).length;
    await eventually(async () => (await gets()) >= 6, "six probes answered", 30_000);
    await eventually(async () => (await bg.json(["info", web])).health === "healthy", "the server to be healthy");
    const log = await bg.ok(["read", web, "--peek", "--plain"]);
    expect(log).not.toMatch(/Traceback|ConnectionResetError|BrokenPipeError/);
    await bg.ok(["close", web]);
    fs.rmSync(site, { recursive: true, force: true });
  });
});

describe("survive logout", () => {
  test("deleting the state dir while a program prints: the supervisor recreates it and the session keeps working", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "bgt-xdg-"));
    const state = path.join(home, "bgterm");
    const logout = new Bg(state);
    try {
      const id = await logout.start([
        "-n",
        "printer",
        "sh",
        "-c",
        "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done",
      ]);
      await logout.readUntil(id, /tick 3\r\n/);
      fs.rmSync(home, { recursive: true, force: true });
      await eventually(
        () => fs.existsSync(path.join(state, "sessions", id, "sock")),
        "the session folder to come back",
      );
      const record = await logout.json(["info", "printer"]);
      expect(record.state).toBe("running");
      expect(record.end_offset).toBeGreaterThan(0);
      // Output from before the removal is still there, and new output keeps coming.
      expect((await logout.ok(["lines", id, "0:2"])).trim()).toBe("tick 1\ntick 2");
      await logout.readUntil(id, /tick 3[0-9]\r\n/, 20_000);
      expect(fs.statSync(state).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(state, "sessions", id, "meta.json")).mode & 0o777).toBe(0o600);
      // Again, only the session's folder this time: the new watch sees it too.
      fs.rmSync(path.join(state, "sessions", id), { recursive: true, force: true });
      await eventually(() => fs.existsSync(path.join(state, "sessions", id, "sock")), "the folder to come back again");
      await logout.readUntil(id, /tick 4[0-9]\r\n/, 20_000);
      // The runtime dir cannot be made (a file holds its place, as /run/user/UID
      // is not the user's to create): the supervisor waits for an event on the
      // nearest folder that exists, and comes back once the way is clear.
      fs.rmSync(home, { recursive: true, force: true });
      fs.writeFileSync(home, "");
      // Its log went with the folder; the open descriptor still shows it.
      const log = `/proc/${record.supervisor_pid}/fd/2`;
      await eventually(
        () => fs.readFileSync(log, "utf8").includes("could not recreate the session folder"),
        "the supervisor to find the way blocked",
      );
      fs.rmSync(home);
      await eventually(
        () => fs.existsSync(path.join(state, "sessions", id, "sock")),
        "the folder after the way cleared",
      );
      await logout.readUntil(id, /tick [5-9][0-9]\r\n/, 20_000);
      expect((await logout.run(["close", "printer"])).code).toBe(0);
      expect(await logout.json(["ls"])).toEqual([]);
    } finally {
      await logout.cleanup();
    }
  });
});
