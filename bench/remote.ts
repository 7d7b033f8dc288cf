// Remote hosts: the same calls through a private sshd on 127.0.0.1 (the test
// harness's), so the figures are bgterm's own overhead on top of ssh, not a
// network's. First call = ssh handshake + login + bgterm start; warm calls reuse
// the ControlMaster connection.
import { SshServer, sshAvailable } from "../test/remote-helpers.ts";
import { BIN, measure, run, type Stats, stats } from "./lib.ts";

type RecordRow = (row: {
  section: string;
  metric: string;
  unit: string;
  value: Stats | number | null;
  compare?: { label: string; value: Stats | number };
  note?: string;
}) => void;

// Runs fn with this process's BGTERM_DIR and BGTERM_SSH set as the CLI's are.
function withClientEnv<T>(env: Record<string, string>, fn: () => T): T {
  const saved = { dir: process.env.BGTERM_DIR, ssh: process.env.BGTERM_SSH };
  process.env.BGTERM_DIR = env.BGTERM_DIR;
  process.env.BGTERM_SSH = env.BGTERM_SSH;
  try {
    return fn();
  } finally {
    process.env.BGTERM_DIR = saved.dir;
    process.env.BGTERM_SSH = saved.ssh;
  }
}

export async function remoteLatency(record: RecordRow, n: number): Promise<void> {
  console.error("remote hosts (ssh to 127.0.0.1)");
  if (!sshAvailable()) {
    record({ section: "remote", metric: "remote send round trip", unit: "ms", value: null, note: "no sshd" });
    return;
  }
  const server = new SshServer();
  await server.start();
  const env = server.local.env();
  const cli = (args: string[]) => run([BIN, ...args], env);
  try {
    if ((await cli(["host", "install", "a"])).code !== 0) throw new Error("host install failed");
    const first = await measure(Math.min(n, 8), 0, async () => {
      await cli(["host", "disconnect", "a"]);
      return (await cli(["ls", "-H", "a"])).ms;
    });
    record({ section: "remote", metric: "first remote call (ssh handshake, ls)", unit: "ms", value: first });

    const remoteCat = (await cli(["-H", "a", "start", "cat"])).stdout.trim();
    const localCat = (await cli(["start", "cat"])).stdout.trim();
    // Local and remote samples alternate, so drift on a shared machine hits both alike.
    const localSamples: number[] = [];
    const remoteSamples: number[] = [];
    for (let i = -3; i < n; i++) {
      const localMs = (await cli(["send", localCat, `p${i}`, "--until", `p${i}`])).ms;
      const remoteMs = (await cli(["send", `a:${remoteCat}`, `p${i}`, "--until", `p${i}`])).ms;
      if (i < 0) continue;
      localSamples.push(localMs);
      remoteSamples.push(remoteMs);
    }
    const local = stats(localSamples);
    const remote = stats(remoteSamples);
    // The floor: ssh itself running `true` over the same warm connection.
    const { sshBase } = await withClientEnv(env, () => import("../src/remote/transport.ts"));
    const sshArgv = withClientEnv(env, () => [...sshBase(false, "a"), "--", "a", "true"]);
    const sshFloor = await measure(n, 3, async () => (await run(sshArgv, env)).ms);
    record({ section: "remote", metric: "ssh a true, warm connection (floor)", unit: "ms", value: sshFloor });
    record({
      section: "remote",
      metric: "send on cat, warm connection (until echo)",
      unit: "ms",
      value: remote,
      compare: { label: "same call locally", value: local },
    });

    // One long-lived channel, as the MCP server keeps per host: a send per request.
    const { RpcClient } = await import("../src/remote/client.ts");
    const channel = await withClientEnv(env, () => RpcClient.open({ host: "a", install: false }));
    const viaRpc = await measure(n, 3, async (i) => {
      const started = performance.now();
      const response = await channel.call("send", { session: remoteCat, text: `r${i}`, until: `r${i}`, yield: "5000" });
      if (response.exit_code !== 0) throw new Error(`rpc send failed: ${JSON.stringify(response.error)}`);
      return performance.now() - started;
    });
    channel.close();
    record({
      section: "remote",
      metric: "rpc --stdio send round trip over ssh (open channel)",
      unit: "ms",
      value: viaRpc,
      compare: { label: "CLI send locally", value: local },
    });
    await cli(["close", localCat]);
    await cli(["close", `a:${remoteCat}`]);
  } finally {
    await server.stop();
  }
}
