// Entry point. Every call pays for what this module imports before it runs,
// so it imports nothing: `--version` answers here, the supervisor loads its
// command file alone, the rest loads cli/main.ts.
import pkg from "../package.json" with { type: "json" };

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  await Bun.write(Bun.stdout, `${pkg.version}\n`);
  process.exit(0);
}
// The supervisor, exactly as the launcher spawns it: no argument parsing.
if (argv.length === 3 && argv[0] === "_supervise") {
  await (await import("./commands/_supervise.ts")).superviseMain(argv[1]!, argv[2]!);
}
await (await import("./cli/main.ts")).main(argv);
