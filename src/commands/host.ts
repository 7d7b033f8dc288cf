// bgterm host install|check|disconnect H: set up, inspect, and hang up a remote host.
import { command } from "../cli/command.ts";
import { outputMode, printJson, printLine } from "../cli/output.ts";
import { splitCommand } from "../cli/remote-args.ts";
import { BgtermError, EXIT, usageError } from "../errors.ts";
import pkg from "../../package.json" with { type: "json" };
import type { Target } from "../remote/transport.ts";

const ACTIONS = ["install", "check", "disconnect"];

export default command({
  name: "host",
  summary: "Set up a remote host: install (copy this bgterm there), check (version, state dir, survival), disconnect",
  local: true,
  args: [
    { name: "action", kind: "enum", values: ACTIONS, help: "install, check or disconnect" },
    { name: "host", optional: true, help: "The host: anything ssh accepts (default $BGTERM_HOST)" },
  ],
  options: {
    via: { help: "Reach the host through this command instead of ssh, e.g. 'docker exec -i box'" },
  },
  outputNote:
    "install: {host, path, version, sha256, bytes, sent_bytes}; check: {host, version, protocol, os, arch, binary, state_dir, systemd, linger, scope_available, survives_logout, note, same_version}",
  async run(args) {
    const action = args.action as string;
    if (!ACTIONS.includes(action)) throw usageError(`host takes ${ACTIONS.join(", ")}, not '${action}'`);
    const via = args.via === undefined ? undefined : splitCommand(args.via as string);
    const host = (args.host as string | undefined) ?? via?.join(" ") ?? process.env.BGTERM_HOST;
    if (!host) throw usageError("missing argument HOST (see --help)");
    const target: Target = { host, via, install: false };
    if (action === "install") {
      const { installBinary } = await import("../remote/install.ts");
      const result = await installBinary(target);
      if (outputMode.json) return printJson(result);
      const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
      return printLine(
        `installed bgterm ${result.version} on ${host} (${result.path}, ${mib(result.sent_bytes)} MiB sent for ${mib(result.bytes)} MiB, sha256 checked)`,
      );
    }
    if (action === "disconnect") {
      if (via) return;
      const { sshBase } = await import("../remote/transport.ts");
      const child = Bun.spawn([...sshBase(false, host), "-O", "exit", "--", host], {
        stdout: "ignore",
        stderr: "ignore",
      });
      await child.exited;
      return;
    }
    const { RpcClient } = await import("../remote/client.ts");
    const client = await RpcClient.open(target);
    try {
      const response = await client.call("host_info", {}, { timeoutMs: 30_000 });
      if (response.error) throw new BgtermError(response.error.code, response.error.message);
      const info = response.result as import("../remote/host-info.ts").HostInfo;
      if (outputMode.json) return printJson({ host, ...info, same_version: info.version === pkg.version });
      const same =
        info.version === pkg.version ? "same as here" : `here: ${pkg.version}; run: bgterm host install ${host}`;
      await printLine(`host       ${host}`);
      await printLine(`version    ${info.version} (protocol ${info.protocol}; ${same})`);
      await printLine(`platform   ${info.os}/${info.arch}`);
      await printLine(`binary     ${info.binary}`);
      await printLine(`state dir  ${info.state_dir}`);
      await printLine(
        `survival   ${info.survives_logout ? "sessions outlive logout" : info.note}${info.scope_available ? " (start --scope available)" : ""}`,
      );
    } finally {
      client.close();
    }
    return EXIT.ok;
  },
});
