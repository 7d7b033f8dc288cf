// Entry point. Every call pays for what this module imports before it runs,
// so it imports nothing: `--version` answers here, the rest loads cli/main.ts.
import pkg from "../package.json" with { type: "json" };

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  await Bun.write(Bun.stdout, `${pkg.version}\n`);
  process.exit(0);
}
await (await import("./cli/main.ts")).main(argv);
