// A private OpenSSH server for the remote tests: sshd on 127.0.0.1 and two free
// ports, run as the current user with keys, config, pid file and homes all in
// one temp dir, and an ssh_config the client side gets through BGTERM_SSH
// ("ssh -F FILE"), so nothing touches the user's own SSH set-up.
// Aliases: `a` and `b` (same server, state dirs state-a and state-b, remote
// HOME home), `bare` (a second port whose HOME has no bgterm), `refused` (a key
// the server does not know).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Bg, ensureProgram, eventually, processAlive } from "./helpers.ts";

async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

function keygen(file: string): void {
  const result = Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bgterm-test", "-f", file]);
  if (result.exitCode !== 0) throw new Error(`ssh-keygen failed: ${result.stderr.toString()}`);
}

// Whether this machine can run the server (root may need /run/sshd, which we create).
export function sshAvailable(): boolean {
  const sshd =
    ensureProgram("sshd", "openssh-server") ?? (fs.existsSync("/usr/sbin/sshd") ? "/usr/sbin/sshd" : undefined);
  return sshd !== undefined && ensureProgram("ssh", "openssh-client") !== undefined;
}

export class SshServer {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "bgr-"));
  readonly sshConfig = path.join(this.dir, "ssh_config");
  readonly home = path.join(this.dir, "home");
  readonly bareHome = path.join(this.dir, "bare");
  readonly localHome = path.join(this.dir, "local");
  // The CLI side: its own state dir (control sockets live there) and temp HOME.
  readonly local: Bg;
  private pid = 0;
  private ports: number[] = [];

  constructor() {
    for (const dir of [this.home, this.bareHome, this.localHome]) fs.mkdirSync(dir, { mode: 0o700 });
    this.local = new Bg(undefined, { BGTERM_SSH: `ssh -F ${this.sshConfig}`, HOME: this.localHome });
  }

  // The state dir the alias's remote bgterm uses (a Bg for checking and cleaning up there).
  stateDir(alias: "a" | "b" | "bare"): string {
    return path.join(this.dir, `state-${alias}`);
  }

  async start(): Promise<void> {
    const d = this.dir;
    keygen(path.join(d, "host_key"));
    keygen(path.join(d, "client_key"));
    keygen(path.join(d, "stranger_key"));
    fs.copyFileSync(path.join(d, "client_key.pub"), path.join(d, "authorized_keys"));
    this.ports = [await freePort(), await freePort()];
    const [port, barePort] = this.ports as [number, number];
    const sshd = Bun.which("sshd") ?? "/usr/sbin/sshd";
    if (process.getuid?.() === 0) fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    // The first SetEnv line wins in sshd_config; a Match block replaces it.
    fs.writeFileSync(
      path.join(d, "sshd_config"),
      [
        `Port ${port}`,
        `Port ${barePort}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${d}/host_key`,
        `PidFile ${d}/sshd.pid`,
        `AuthorizedKeysFile ${d}/authorized_keys`,
        "StrictModes no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "UsePAM no",
        "PermitRootLogin yes",
        "AcceptEnv BGTERM_DIR",
        "LogLevel ERROR",
        `SetEnv PATH=/usr/bin:/bin HOME=${this.home}`,
        `Match LocalPort ${barePort}`,
        `  SetEnv PATH=/usr/bin:/bin HOME=${this.bareHome}`,
        "",
      ].join("\n"),
    );
    const hostKey = fs.readFileSync(path.join(d, "host_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
    fs.writeFileSync(path.join(d, "known_hosts"), this.ports.map((p) => `[127.0.0.1]:${p} ${hostKey}\n`).join(""));
    const user = Bun.spawnSync(["id", "-un"]).stdout.toString().trim();
    const alias = (name: string, p: number, key: string, state: string) =>
      [
        `Host ${name}`,
        "  HostName 127.0.0.1",
        `  Port ${p}`,
        `  User ${user}`,
        `  IdentityFile ${d}/${key}`,
        "  IdentitiesOnly yes",
        `  UserKnownHostsFile ${d}/known_hosts`,
        "  StrictHostKeyChecking yes",
        "  LogLevel ERROR",
        `  SetEnv BGTERM_DIR=${state}`,
        "",
      ].join("\n");
    fs.writeFileSync(
      this.sshConfig,
      alias("a", port, "client_key", this.stateDir("a")) +
        alias("b", port, "client_key", this.stateDir("b")) +
        alias("bare", barePort, "client_key", this.stateDir("bare")) +
        alias("refused", port, "stranger_key", this.stateDir("a")),
    );
    const child = Bun.spawn([sshd, "-D", "-e", "-f", path.join(d, "sshd_config")], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: Bun.file(path.join(d, "sshd.log")),
    });
    this.pid = child.pid;
    // Ready once both ports accept connections.
    await eventually(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`sshd exited: ${fs.readFileSync(path.join(d, "sshd.log"), "utf8")}`);
        const open = await Promise.all(
          this.ports.map((p) =>
            Bun.connect({ hostname: "127.0.0.1", port: p, socket: { data() {} } }).then(
              (socket) => {
                socket.end();
                return true;
              },
              () => false,
            ),
          ),
        );
        return open.every(Boolean);
      },
      "the private sshd to listen",
      20_000,
    );
  }

  // Closes sessions on both remote state dirs, hangs up the shared connections,
  // stops sshd (by its pid) and removes everything.
  async stop(): Promise<void> {
    try {
      for (const alias of ["a", "b"] as const) {
        if (fs.existsSync(this.stateDir(alias))) await new Bg(this.stateDir(alias)).cleanup();
      }
      for (const alias of ["a", "b", "bare", "refused"]) await this.local.run(["host", "disconnect", alias]);
      await this.local.cleanup();
    } finally {
      if (this.pid) {
        process.kill(this.pid, "SIGTERM");
        await eventually(() => !processAlive(this.pid), "sshd to exit");
      }
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
