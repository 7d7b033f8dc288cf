// `bgterm host install`: this very binary, gzip-compressed on the wire, to
// ~/.local/bin/bgterm on the target. The far side refuses another OS or CPU
// before reading anything, checks the SHA-256 of what arrived, and renames it
// into place only then, so a broken transfer never leaves a broken bgterm.
import fs from "node:fs";
import { BgtermError, EXIT } from "../errors.ts";
import { selfCommand } from "../client/launch.ts";
import { scriptArgv, type Target } from "./transport.ts";

// uname -s / uname -m spellings of this binary's platform.
const UNAME_OS: Record<string, string> = { linux: "Linux", darwin: "Darwin", freebsd: "FreeBSD" };
const UNAME_ARCH: Record<string, string[]> = { x64: ["x86_64", "amd64"], arm64: ["aarch64", "arm64"] };

function installScript(hash: string): string {
  const os = UNAME_OS[process.platform] ?? process.platform;
  const patterns = (UNAME_ARCH[process.arch] ?? [process.arch]).map((arch) => `${os}/${arch}`).join("|");
  return [
    "p=$(uname -s)/$(uname -m)",
    `case "$p" in ${patterns}) ;; *) echo "bgterm-wrong-platform $p" >&2; exit 90;; esac`,
    'd="$HOME/.local/bin"; mkdir -p "$d" || exit 92',
    't="$d/.bgterm.$$.tmp"',
    'gzip -dc > "$t" || { rm -f "$t"; echo "bgterm-transfer-failed" >&2; exit 92; }',
    'h=$(sha256sum "$t" 2>/dev/null || shasum -a 256 "$t"); h=${h%% *}',
    `[ "$h" = "${hash}" ] || { rm -f "$t"; echo "bgterm-bad-hash $h" >&2; exit 91; }`,
    'chmod 755 "$t" && mv -f "$t" "$d/bgterm" || { rm -f "$t"; exit 92; }',
    '"$d/bgterm" --version',
  ].join("\n");
}

export interface InstallResult {
  host: string;
  path: string;
  version: string;
  sha256: string;
  bytes: number;
  sent_bytes: number;
}

export async function installBinary(target: Target): Promise<InstallResult> {
  const self = selfCommand();
  if (self.length !== 1) {
    throw new BgtermError(EXIT.usage, "host install copies the compiled binary; run it from dist/bgterm (make build)");
  }
  const binary = fs.readFileSync(self[0]!);
  const hash = new Bun.CryptoHasher("sha256").update(binary).digest("hex");
  const packed = Bun.gzipSync(binary, { level: 4 });
  const child = Bun.spawn(scriptArgv(target, installScript(hash), []), {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stdin = child.stdin as import("bun").FileSink;
  const sending = (async () => {
    try {
      for (let at = 0; at < packed.length; at += 1 << 20) {
        stdin.write(packed.subarray(at, at + (1 << 20)));
        await stdin.flush();
      }
      await stdin.end();
    } catch {
      // The far side stopped reading (wrong platform, no space): its exit says why.
    }
  })();
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout as ReadableStream).text(),
    new Response(child.stderr as ReadableStream).text(),
    child.exited,
  ]);
  await sending;
  const platform = /bgterm-wrong-platform (\S+)/.exec(stderr)?.[1];
  if (platform) {
    throw new BgtermError(
      EXIT.internal,
      `${target.host} is ${platform}; this bgterm is built for ${process.platform}/${process.arch}: install a matching build there`,
    );
  }
  if (code === 91)
    throw new BgtermError(
      EXIT.internal,
      `the copy on ${target.host} did not match (SHA-256 differs); nothing was installed`,
    );
  if (code !== 0) {
    const last = stderr.trim().split("\n").pop() ?? "";
    const reason = code === 255 && !target.via ? "cannot connect" : `exit ${code}`;
    throw new BgtermError(EXIT.internal, `installing on ${target.host} failed (${reason})${last ? `: ${last}` : ""}`);
  }
  return {
    host: target.host,
    path: "~/.local/bin/bgterm",
    version: stdout.trim().split("\n").pop() ?? "",
    sha256: hash,
    bytes: binary.length,
    sent_bytes: packed.length,
  };
}
