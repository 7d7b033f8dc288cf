// One-shot probes used by readiness (client) and health checks (supervisor):
// an HTTP GET that must answer 2xx, and "is this TCP port listened on by a
// process of this terminal session" (read from /proc, so another program that
// already holds the port does not count).
import fs from "node:fs";
import { sessionMembers } from "./procfs.ts";

// A probe reads at most this much of an answer's body before hanging up.
const DRAIN_LIMIT_BYTES = 8 << 20;

// GET url; true for a 2xx answer within timeoutMs. Redirects are not followed
// (a 3xx is not ready). The body is read to its end and discarded (within the
// time limit and DRAIN_LIMIT_BYTES): hanging up mid-answer resets the
// connection, which servers log as an error at every probe.
export async function httpOk(url: string, timeoutMs: number): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "GET",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: { "user-agent": "bgterm" },
    });
  } catch {
    return false;
  }
  await drain(response.body);
  return response.status >= 200 && response.status < 300;
}

async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (let total = 0; total <= DRAIN_LIMIT_BYTES; ) {
      const chunk = await reader.read();
      if (chunk.done) return;
      total += chunk.value.byteLength;
    }
  } catch {
    // Timed out or reset mid-body: the status already answered.
  }
  await reader.cancel().catch(() => {});
}

// Socket inodes of listening TCP sockets (IPv4 and IPv6) on `port`.
export function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = fs.readFileSync(table, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const local = fields[1];
      if (!local || fields[3] !== "0A") continue; // 0A = LISTEN
      if (local.slice(local.lastIndexOf(":") + 1) === hexPort && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

// Does a live process of terminal session `sid` hold a socket listening on `port`?
export function portOwnedBySession(port: number, sid: number): boolean {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return false;
  for (const member of sessionMembers(sid)) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${member.pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${member.pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target.startsWith("socket:[") && inodes.has(target.slice(8, -1))) return true;
    }
  }
  return false;
}

// Runs `sh -c cmd` in cwd; true if it exits 0 within timeoutMs (killed otherwise).
export async function commandOk(cmd: string, cwd: string, env: Record<string, string>, timeoutMs: number) {
  try {
    const child = Bun.spawn(["/bin/sh", "-c", cmd], { cwd, env, stdio: ["ignore", "ignore", "ignore"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const code = await child.exited;
    clearTimeout(timer);
    return code === 0;
  } catch {
    return false;
  }
}
