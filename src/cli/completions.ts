// Shell completion scripts generated from the command declarations: commands,
// each command's options (long, short, --no-X), and for every value its kind's
// completion (kinds.ts): live session ids and names, key names after -k,
// signals, enum values, files, and after `start` a program, then files.
import os from "node:os";
import { KEY_NAMES } from "../text/keys.ts";
import { type BgCommand, globalOptions, isNegatable } from "./command.ts";
import { type Completion, KINDS, kindOf } from "./kinds.ts";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

const SIGNAL_NAMES = Object.keys(os.constants.signals).map((name) => name.replace(/^SIG/, ""));

interface Table {
  name: string;
  options: string[]; // every option word: --key -k --no-enter
  valued: [string, string][]; // option word -> completion of its value
  args: string[]; // completion of each positional
  restRepeats: boolean; // the last positional takes more than one value
}

// "values:a,b" carries enum values through the scripts.
function completionOf(spec: { kind?: BgCommand["args"][number]["kind"]; values?: readonly string[] }): string {
  const complete: Completion = KINDS[kindOf(spec)].complete;
  return complete === "values" ? `values:${spec.values!.join(",")}` : complete;
}

function table(command: BgCommand): Table {
  const options: string[] = [];
  const valued: [string, string][] = [];
  for (const [key, option] of Object.entries(command.options)) {
    if (option.hidden) continue;
    const words = [`--${key}`, ...(option.short ? [`-${option.short}`] : [])];
    options.push(...words);
    if (isNegatable(option)) options.push(`--no-${key}`);
    if (kindOf(option) !== "boolean") for (const word of words) valued.push([word, completionOf(option)]);
  }
  const last = command.args.at(-1);
  return {
    name: command.name,
    options,
    valued,
    args: command.args.map(completionOf),
    restRepeats: last !== undefined && (last.many === true || last.kind === "command"),
  };
}

const GLOBAL_WORDS = [...Object.keys(globalOptions).map((key) => `--${key}`), "--version"];

function bashScript(commands: BgCommand[]): string {
  const tables = commands.map(table);
  const names = commands.map((command) => command.name).join(" ");
  const cases = tables
    .map(
      (t) =>
        `    ${t.name}) opts="${t.options.join(" ")}"; valued="${t.valued.map(([w, c]) => `${w}=${c}`).join(" ")}"; args="${t.args.join(" ")}"; rest=${t.restRepeats ? 1 : 0} ;;`,
    )
    .join("\n");
  return `# bash completion for bgterm; load with: source <(bgterm completions bash)
_bgterm_sessions() {
  command bgterm ls 2>/dev/null | while IFS=$'\\t' read -r id name _rest; do
    printf '%s\\n' "$id"; [ "$name" != "-" ] && printf '%s\\n' "$name"
  done
}
_bgterm_value() {
  local cur=$2
  case $1 in
    sessions) local IFS=$'\\n'; COMPREPLY=($(compgen -W "$(_bgterm_sessions)" -- "$cur")) ;;
    keys) COMPREPLY=($(compgen -W "${KEY_NAMES.join(" ")}" -- "$cur")) ;;
    signals) COMPREPLY=($(compgen -W "${SIGNAL_NAMES.join(" ")}" -- "$cur")) ;;
    subcommands) COMPREPLY=($(compgen -W "${names}" -- "$cur")) ;;
    files) local IFS=$'\\n'; COMPREPLY=($(compgen -f -- "$cur")) ;;
    dirs) local IFS=$'\\n'; COMPREPLY=($(compgen -d -- "$cur")) ;;
    commands) COMPREPLY=($(compgen -c -- "$cur" | sort -u)) ;;
    values:*) local v=\${1#values:}; COMPREPLY=($(compgen -W "\${v//,/ }" -- "$cur")) ;;
    *) COMPREPLY=() ;;
  esac
}
_bgterm() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local cmd="" at=0 i word opts="" valued="" args="" rest=0 n=0 skip=0 pair
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in -*) ;; *) cmd=\${COMP_WORDS[i]}; at=$i; break ;; esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W "${names} ${GLOBAL_WORDS.join(" ")}" -- "$cur"))
    return
  fi
  case $cmd in
${cases}
    *) return ;;
  esac
  local -a kinds=($args)
  for ((i = at + 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if ((skip)); then skip=0; continue; fi
    case $word in
      --) ;;
      -*=*) ;;
      -*) [[ " $valued " == *" $word="* ]] && skip=1 ;;
      *) n=$((n + 1)) ;;
    esac
    # After start's program, everything is the program's: complete files.
    if [ "\${kinds[0]}" = commands ] && ((n > 0)); then _bgterm_value files "$cur"; return; fi
  done
  if ((skip)); then
    for pair in $valued; do
      if [ "\${pair%%=*}" = "$prev" ]; then _bgterm_value "\${pair#*=}" "$cur"; return; fi
    done
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  if ((n >= \${#kinds[@]})); then
    ((rest && \${#kinds[@]} > 0)) || return
    n=$((\${#kinds[@]} - 1))
  fi
  _bgterm_value "\${kinds[n]}" "$cur"
}
complete -F _bgterm bgterm
`;
}

function zshScript(commands: BgCommand[]): string {
  return `#compdef bgterm
# zsh completion for bgterm; load with: source <(bgterm completions zsh)
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit -u; }
autoload -U +X bashcompinit && bashcompinit
${bashScript(commands).replace(/^# bash completion.*\n/, "")}`;
}

const FISH_VALUES: Record<string, string> = {
  sessions: "(__bgterm_sessions)",
  keys: KEY_NAMES.join(" "),
  signals: SIGNAL_NAMES.join(" "),
  commands: "(__fish_complete_command)",
};

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function fishScript(commands: BgCommand[]): string {
  const names = commands.map((command) => command.name).join(" ");
  const lines = [
    "# fish completion for bgterm; load with: bgterm completions fish | source",
    "function __bgterm_sessions",
    "  command bgterm ls 2>/dev/null | cut -f1,2 | string split \\t | string match -v -- -",
    "end",
    // True when the word being completed is positional argument $1 (from 0) of
    // the subcommand, or a later one when $2 is 1 (the last one repeats); the
    // rest of the arguments are the options that take a value.
    "function __bgterm_arg",
    "  set -l want $argv[1]; set -l rest $argv[2]; set -l valued $argv[3..-1]",
    "  set -l n 0; set -l skip 0; set -l sub 0; set -l ended 0",
    "  for w in (commandline -opc)[2..-1]",
    "    if test $skip = 1; set skip 0; continue; end",
    "    if test $sub = 0; string match -q -- '-*' $w; or set sub 1; continue; end",
    "    if test $ended = 0; and string match -q -- '-*' $w",
    "      test $w = --; and set ended 1",
    "      contains -- $w $valued; and set skip 1",
    "      continue",
    "    end",
    "    set n (math $n + 1)",
    "  end",
    "  test $n -eq $want; or begin; test $rest = 1; and test $n -gt $want; end",
    "end",
    "complete -c bgterm -f",
    `complete -c bgterm -n __fish_use_subcommand -a ${fishQuote(names)}`,
  ];
  const valueFlags = (completion: string, subcommands: string) => {
    if (completion === "files") return "-r -F";
    if (completion === "dirs") return `-x -a "(__fish_complete_directories)"`;
    if (completion === "subcommands") return `-x -a ${fishQuote(subcommands)}`;
    if (completion.startsWith("values:")) return `-x -a ${fishQuote(completion.slice(7).replaceAll(",", " "))}`;
    const values = FISH_VALUES[completion];
    return values === undefined ? "-x" : `-x -a ${values.startsWith("(") ? `"${values}"` : fishQuote(values)}`;
  };
  for (const command of commands) {
    const when = `-n "__fish_seen_subcommand_from ${command.name}"`;
    for (const [key, option] of Object.entries(command.options)) {
      if (option.hidden) continue;
      const short = option.short ? ` -s ${option.short}` : "";
      const flags = kindOf(option) === "boolean" ? "" : ` ${valueFlags(completionOf(option), names)}`;
      lines.push(`complete -c bgterm ${when}${short} -l ${key}${flags} -d ${fishQuote(option.help)}`);
      if (isNegatable(option)) lines.push(`complete -c bgterm ${when} -l no-${key}`);
    }
    const { args, restRepeats, valued } = table(command);
    const valuedWords = valued.map(([word]) => word).join(" ");
    args.forEach((completion, index) => {
      const last = index === args.length - 1;
      const at = (position: number, rest: boolean) =>
        `-n "__fish_seen_subcommand_from ${command.name}; and __bgterm_arg ${position} ${rest ? 1 : 0} ${valuedWords}"`;
      if (completion === "none") return;
      if (completion === "files") lines.push(`complete -c bgterm ${at(index, last && restRepeats)} -F`);
      else if (completion === "commands") {
        // A program, then its arguments: files.
        lines.push(`complete -c bgterm ${at(index, false)} -a "(__fish_complete_command)"`);
        lines.push(`complete -c bgterm ${at(index + 1, true)} -F`);
      } else {
        const flags = valueFlags(completion, names).replace(/^-[xr] /, "");
        lines.push(`complete -c bgterm ${at(index, last && restRepeats)} ${flags}`);
      }
    });
  }
  return `${lines.join("\n")}\n`;
}

export function completionScript(shell: Shell, commands: BgCommand[]): string {
  const shown = commands.filter((command) => !command.hidden);
  return shell === "bash" ? bashScript(shown) : shell === "zsh" ? zshScript(shown) : fishScript(shown);
}
