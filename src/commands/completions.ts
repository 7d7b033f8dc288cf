// bgterm completions bash|zsh|fish: a completion script that completes
// subcommands, their options, and live session ids and names (asked of
// `bgterm ls` at completion time). Options come from the command definitions,
// so the scripts never drift from the CLI.
import { usageError } from "../errors.ts";
import { command } from "../cli/command.ts";
import { printLine } from "../cli/output.ts";
import { commands } from "./index.ts";

// Subcommands whose positional arguments are sessions.
const TAKES_SESSION = [
  "send",
  "poll",
  "read",
  "wait",
  "exec",
  "export",
  "screen",
  "attach",
  "lines",
  "grep",
  "close",
  "kill",
  "resize",
  "info",
];

async function optionTable(): Promise<Record<string, string[]>> {
  const table: Record<string, string[]> = {};
  for (const [name, load] of Object.entries(commands)) {
    if (name.startsWith("_")) continue;
    const def = (await load()).default.def;
    const args = (def.args ?? {}) as Record<string, { type?: string; alias?: string | string[] }>;
    table[name] = Object.entries(args)
      .filter(([, arg]) => arg.type !== "positional")
      .flatMap(([key, arg]) => [`--${key}`, ...(arg.type === "boolean" && key === "enter" ? ["--no-enter"] : [])]);
  }
  return table;
}

function bashScript(table: Record<string, string[]>): string {
  const cases = Object.entries(table)
    .map(([name, options]) => `    ${name}) opts="${options.join(" ")}" ;;`)
    .join("\n");
  return `# bash completion for bgterm; load with: source <(bgterm completions bash)
_bgterm_sessions() {
  command bgterm ls 2>/dev/null | while IFS=$'\\t' read -r id name _rest; do
    printf '%s\\n' "$id"; [ "$name" != "-" ] && printf '%s\\n' "$name"
  done
}
_bgterm() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd="" i opts=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in -*) ;; *) cmd=\${COMP_WORDS[i]}; break ;; esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W "${Object.keys(table).join(" ")} --json --plain --help --version" -- "$cur"))
    return
  fi
  case $cmd in
${cases}
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ " ${TAKES_SESSION.join(" ")} " == *" $cmd "* ]]; then
    COMPREPLY=($(compgen -W "$(_bgterm_sessions)" -- "$cur"))
  elif [ "$cmd" = completions ]; then
    COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur"))
  fi
}
complete -F _bgterm bgterm
`;
}

function zshScript(table: Record<string, string[]>): string {
  return `#compdef bgterm
# zsh completion for bgterm; load with: source <(bgterm completions zsh)
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit -u; }
autoload -U +X bashcompinit && bashcompinit
${bashScript(table).replace(/^# bash completion.*\n/, "")}`;
}

function fishScript(table: Record<string, string[]>): string {
  const lines = [
    "# fish completion for bgterm; load with: bgterm completions fish | source",
    "complete -c bgterm -f",
    `complete -c bgterm -n __fish_use_subcommand -a "${Object.keys(table).join(" ")}"`,
    `complete -c bgterm -n "__fish_seen_subcommand_from ${TAKES_SESSION.join(" ")}" -a "(command bgterm ls 2>/dev/null | cut -f1,2 | string split \\t | string match -v -- -)"`,
    `complete -c bgterm -n "__fish_seen_subcommand_from completions" -a "bash zsh fish"`,
  ];
  for (const [name, options] of Object.entries(table)) {
    for (const option of options)
      lines.push(`complete -c bgterm -n "__fish_seen_subcommand_from ${name}" -l ${option.slice(2)}`);
  }
  return `${lines.join("\n")}\n`;
}

export default command({
  meta: { name: "completions", description: "Print a shell completion script: bash, zsh or fish" },
  args: {
    shell: { type: "positional", description: "bash, zsh or fish", required: true },
    help: { type: "boolean", alias: "h", description: "Show this help" },
  },
  async run(args) {
    const table = await optionTable();
    const shell = args.shell as string;
    const script =
      shell === "bash"
        ? bashScript(table)
        : shell === "zsh"
          ? zshScript(table)
          : shell === "fish"
            ? fishScript(table)
            : undefined;
    if (script === undefined) throw usageError(`unknown shell '${shell}' (choose bash, zsh or fish)`);
    await printLine(script.trimEnd());
  },
});
