// Shell integration: the hook scripts that make bash, zsh and fish report
// their prompt and every command's start and end as OSC 133 marks carrying the
// session's secret nonce, and the argv/environment changes that load them when
// bgterm starts the shell itself (the way terminal emulators do it). A shell
// started any other way gets the same hooks typed once by the first exec.
import fs from "node:fs";
import path from "node:path";
import { makePrivateDir, writeFileAtomic } from "../shared/private-fs.ts";

export type HookShell = "bash" | "zsh" | "fish";

// The shell a program name stands for (login shells show as -bash).
export function shellKind(program: string): HookShell | "sh" | undefined {
  const name = path.basename(program).replace(/^-/, "");
  if (name === "bash" || name === "zsh" || name === "fish") return name;
  if (name === "sh" || name === "dash" || name === "ash" || name === "ksh" || name === "mksh") return "sh";
  return undefined;
}

// printf formats shared by every hook: OSC 133 A (prompt), B (end of prompt),
// C (command starts; cmd= carries the command line, control characters blanked)
// and D (command ended with a status), each ending in BEL.
function bashHooks(nonce: string, flag: string): string {
  const FLAG = quoteSh(flag);
  return `# bgterm shell integration (bash); sourced once, safe under set -eu.
__bgterm_n=${nonce}
__bgterm_b='\\[\\e]133;B;bgterm=${nonce}\\a\\]'
__bgterm_run=0
__bgterm_ready=0
__bgterm_pg=0
__bgterm_u=$'\\001'
__bgterm_flag=${FLAG}
__bgterm_pagers_on() {
  __bgterm_pg=1
  __bgterm_sv=("\${PAGER-$__bgterm_u}" "\${GIT_PAGER-$__bgterm_u}" "\${MANPAGER-$__bgterm_u}" "\${SYSTEMD_PAGER-$__bgterm_u}")
  export PAGER=cat GIT_PAGER=cat MANPAGER=cat SYSTEMD_PAGER=
}
__bgterm_pagers_off() {
  local i=0 v
  for v in PAGER GIT_PAGER MANPAGER SYSTEMD_PAGER; do
    if [ "\${__bgterm_sv[$i]}" = "$__bgterm_u" ]; then unset "$v"; else export "$v=\${__bgterm_sv[$i]}"; fi
    i=$((i + 1))
  done
  __bgterm_pg=0
}
__bgterm_precmd() {
  local s=$?
  if [ "$__bgterm_pg" = 1 ]; then __bgterm_pagers_off; fi
  if [ "\${__bgterm_run-0}" = 1 ]; then printf '\\033]133;D;%s;bgterm=%s\\007' "$s" "$__bgterm_n"; fi
  __bgterm_run=0
  printf '\\033]133;A;bgterm=%s;pid=%s\\007' "$__bgterm_n" "$$"
  case "\${PS1-}" in *"$__bgterm_b"*) ;; *) PS1="\${PS1-}$__bgterm_b" ;; esac
  case ":\${HISTCONTROL-}:" in *:ignorespace:* | *:ignoreboth:*) ;; *) HISTCONTROL="\${HISTCONTROL:+$HISTCONTROL:}ignorespace" ;; esac
  return 0
}
__bgterm_prompted() { __bgterm_ready=1; return 0; }
__bgterm_debug() {
  if [ "\${__bgterm_ready-0}" = 1 ] && [ -z "\${COMP_LINE-}" ]; then
    case "$BASH_COMMAND" in
    __bgterm_precmd* | __bgterm_prompted*) ;;
    *)
      __bgterm_ready=0
      __bgterm_run=1
      if [ -e "$__bgterm_flag" ]; then __bgterm_pagers_on; fi
      printf '\\033]133;C;bgterm=%s\\007' "$__bgterm_n"
      ;;
    esac
  fi
  case " \${PROMPT_COMMAND[*]-} " in *" __bgterm_precmd "*) ;; *) PROMPT_COMMAND=(__bgterm_precmd "\${PROMPT_COMMAND[@]}" __bgterm_prompted) ;; esac
  if [ -n "\${__bgterm_prev_debug-}" ]; then eval "$__bgterm_prev_debug"; fi
  return 0
}
__bgterm_prev_debug=$(trap -p DEBUG)
__bgterm_prev_debug=\${__bgterm_prev_debug#"trap -- '"}
__bgterm_prev_debug=\${__bgterm_prev_debug%"' DEBUG"}
case "$__bgterm_prev_debug" in *__bgterm_debug*) __bgterm_prev_debug= ;; esac
if [ "\${BASH_VERSINFO[0]}" -ge 5 ] && [ "\${BASH_VERSINFO[0]}\${BASH_VERSINFO[1]}" != 50 ]; then
  PROMPT_COMMAND=(__bgterm_precmd "\${PROMPT_COMMAND[@]}" __bgterm_prompted)
else
  PROMPT_COMMAND="__bgterm_precmd;\${PROMPT_COMMAND:+$PROMPT_COMMAND;}__bgterm_prompted"
fi
trap '__bgterm_debug' DEBUG
bind 'set enable-bracketed-paste on' 2>/dev/null || :
# Typed by exec into a running shell: the line that sourced this file leaves history.
if [ "\${1-}" = typed ]; then builtin history -d -1 2>/dev/null || :; fi
`;
}

function zshHooks(nonce: string, flag: string): string {
  const FLAG = quoteSh(flag);
  return `# bgterm shell integration (zsh)
typeset -g __bgterm_n=${nonce} __bgterm_run=0
typeset -g __bgterm_b=$'%{\\e]133;B;bgterm=${nonce}\\a%}'
typeset -g __bgterm_e=$'%{\\e]133;E;bgterm=${nonce}\\a%}'
typeset -g __bgterm_pg=0 __bgterm_flag=${FLAG} __bgterm_u=$'\\001'
typeset -ga __bgterm_sv
__bgterm_precmd() {
  local s=$?
  emulate -L zsh
  if (( __bgterm_pg )); then
    local v i=1
    for v in PAGER GIT_PAGER MANPAGER SYSTEMD_PAGER; do
      if [[ $__bgterm_sv[i] == $__bgterm_u ]]; then unset $v; else export $v=$__bgterm_sv[i]; fi
      (( i++ ))
    done
    __bgterm_pg=0
  fi
  (( __bgterm_run )) && printf '\\033]133;D;%s;bgterm=%s\\007' $s $__bgterm_n
  __bgterm_run=0
  printf '\\033]133;A;bgterm=%s;pid=%s\\007' $__bgterm_n $$
  [[ $PS1 == *$__bgterm_b* ]] || PS1=$PS1$__bgterm_b
  [[ \${PROMPT_EOL_MARK-} == $__bgterm_e* ]] || PROMPT_EOL_MARK=$__bgterm_e\${PROMPT_EOL_MARK-%B%S%#%s%b}
  return 0
}
__bgterm_preexec() {
  emulate -L zsh
  __bgterm_run=1
  if [[ -e $__bgterm_flag ]]; then
    __bgterm_pg=1
    __bgterm_sv=("\${PAGER-$__bgterm_u}" "\${GIT_PAGER-$__bgterm_u}" "\${MANPAGER-$__bgterm_u}" "\${SYSTEMD_PAGER-$__bgterm_u}")
    export PAGER=cat GIT_PAGER=cat MANPAGER=cat SYSTEMD_PAGER=
  fi
  printf '\\033]133;C;bgterm=%s;cmd=%s\\007' $__bgterm_n "\${1//[[:cntrl:]]/ }"
}
__bgterm_history() { [[ $1 != ' '* ]]; }
typeset -ga precmd_functions preexec_functions zshaddhistory_functions
precmd_functions=(__bgterm_precmd \${precmd_functions:#__bgterm_precmd})
preexec_functions=(__bgterm_preexec \${preexec_functions:#__bgterm_preexec})
zshaddhistory_functions=(__bgterm_history \${zshaddhistory_functions:#__bgterm_history})
`;
}

function fishHooks(nonce: string, flag: string): string {
  const FLAG = quoteSh(flag);
  return `# bgterm shell integration (fish); lines starting with a space stay out of history.
set -g __bgterm_n ${nonce}
set -g __bgterm_run 0
function __bgterm_prompt --on-event fish_prompt
    printf '\\033]133;A;bgterm=%s;pid=%s\\007' $__bgterm_n $fish_pid
end
set -g __bgterm_flag ${FLAG}
set -g __bgterm_pg 0
function __bgterm_preexec --on-event fish_preexec
    set -g __bgterm_run 1
    if test -e $__bgterm_flag
        set -g __bgterm_pg 1
        for v in PAGER GIT_PAGER MANPAGER SYSTEMD_PAGER
            if set -q $v
                set -g __bgterm_sv_$v $$v
            else
                set -e __bgterm_sv_$v
            end
        end
        set -gx PAGER cat
        set -gx GIT_PAGER cat
        set -gx MANPAGER cat
        set -gx SYSTEMD_PAGER ''
    end
    printf '\\033]133;C;bgterm=%s;cmd=%s\\007' $__bgterm_n (string replace -ra '[[:cntrl:]]' ' ' -- "$argv")
end
function __bgterm_postexec --on-event fish_postexec
    set -l s $status
    if test "$__bgterm_run" = 1
        printf '\\033]133;D;%s;bgterm=%s\\007' $s $__bgterm_n
    end
    set -g __bgterm_run 0
    if test "$__bgterm_pg" = 1
        for v in PAGER GIT_PAGER MANPAGER SYSTEMD_PAGER
            set -l saved __bgterm_sv_$v
            if set -q $saved
                set -gx $v $$saved
            else
                set -e $v
            end
        end
        set -g __bgterm_pg 0
    end
end
`;
}

// Files under the session's folder; `shell/` holds every hook script.
export class ShellHooks {
  readonly dir: string;
  constructor(
    sessionDir: string,
    readonly nonce: string,
  ) {
    this.dir = path.join(sessionDir, "shell");
  }

  // Present while exec runs a command that should see PAGER=cat and friends.
  get pagerFlag(): string {
    return path.join(this.dir, "exec-pagers");
  }

  hookFile(shell: HookShell): string {
    return path.join(this.dir, `hooks.${shell}`);
  }

  // Writes every hook script (0600, in a 0700 folder), and the zsh ZDOTDIR shim.
  write(): void {
    makePrivateDir(this.dir);
    writeFileAtomic(this.hookFile("bash"), bashHooks(this.nonce, this.pagerFlag));
    writeFileAtomic(this.hookFile("zsh"), zshHooks(this.nonce, this.pagerFlag));
    writeFileAtomic(this.hookFile("fish"), fishHooks(this.nonce, this.pagerFlag));
    const zdot = path.join(this.dir, "zdotdir");
    makePrivateDir(zdot);
    // Each shim file sources the user's own file with ZDOTDIR set as the user
    // had it (their .zshenv may change it), then points ZDOTDIR back at the shim.
    const user = `\${__bgterm_zdotdir:-$HOME}`;
    const shim = (file: string) =>
      `__bgterm_shim=$ZDOTDIR; ZDOTDIR=${user}\n[[ -r "$ZDOTDIR/${file}" ]] && source "$ZDOTDIR/${file}"\n__bgterm_zdotdir=$ZDOTDIR; ZDOTDIR=$__bgterm_shim\n`;
    const start = `if [[ -n "\${BGTERM_ZDOTDIR+x}" ]]; then __bgterm_zdotdir=$BGTERM_ZDOTDIR; fi\nunset BGTERM_ZDOTDIR\n`;
    writeFileAtomic(path.join(zdot, ".zshenv"), start + shim(".zshenv"));
    writeFileAtomic(path.join(zdot, ".zprofile"), shim(".zprofile"));
    // The last shim: restore the user's ZDOTDIR for good, then add the hooks.
    writeFileAtomic(
      path.join(zdot, ".zshrc"),
      `ZDOTDIR=${user}\n[[ -r "$ZDOTDIR/.zshrc" ]] && source "$ZDOTDIR/.zshrc"\nif [[ -n "\${__bgterm_zdotdir-}" ]]; then ZDOTDIR=$__bgterm_zdotdir; else unset ZDOTDIR; fi\nunset __bgterm_zdotdir __bgterm_shim\nsource ${quoteSh(this.hookFile("zsh"))}\n`,
    );
    // bash --rcfile: what an interactive bash reads, then the hooks.
    writeFileAtomic(
      path.join(this.dir, "bashrc"),
      `if [ -n "\${__bgterm_login-}" ]; then\n  unset __bgterm_login\n  [ -r /etc/profile ] && . /etc/profile\n  for f in ~/.bash_profile ~/.bash_login ~/.profile; do [ -r "$f" ] && { . "$f"; break; }; done\nelif [ -z "\${__bgterm_norc-}" ]; then\n  [ -r /etc/bash.bashrc ] && . /etc/bash.bashrc\n  [ -r ~/.bashrc ] && . ~/.bashrc\nfi\nunset __bgterm_norc\n. ${quoteSh(this.hookFile("bash"))}\n`,
    );
  }

  // The argv and environment that start `argv` with the hooks loaded, or
  // undefined when the shell cannot take them this way (then the first exec
  // types them). --norc / --noprofile / -f / --no-config are honoured: the
  // user's startup files stay unread, the hooks still load where possible.
  integrate(argv: string[], env: Record<string, string>): { argv: string[]; env: Record<string, string> } | undefined {
    const kind = shellKind(argv[0] ?? "");
    const args = argv.slice(1);
    // A script or -c command is not an interactive shell.
    const interactiveFlag = args.includes("-i");
    const operands = args.filter((arg) => !arg.startsWith("-"));
    if (operands.length > 0 && !interactiveFlag) return undefined;
    if (args.some((arg) => arg === "-c" || arg === "-s" || /^-[a-z]*c/.test(arg))) return undefined;
    if (kind === "bash") {
      if (args.some((arg) => arg === "--rcfile" || arg === "--init-file" || arg === "--posix")) return undefined;
      const login = args.some((arg) => arg === "-l" || arg === "--login") || argv[0]!.startsWith("-");
      const norc = args.includes("--norc");
      const noprofile = args.includes("--noprofile");
      const kept = args.filter((arg) => !["-l", "--login", "--norc", "--noprofile"].includes(arg));
      const next = { ...env };
      // The rcfile reads these and unsets them, so they are not exported on.
      if (login && !noprofile) next.__bgterm_login = "1";
      else if (norc || (login && noprofile)) next.__bgterm_norc = "1";
      const program = argv[0]!.replace(/^-/, "");
      return { argv: [program, "--rcfile", path.join(this.dir, "bashrc"), ...kept], env: next };
    }
    if (kind === "zsh") {
      if (args.some((arg) => arg === "-f" || arg === "--no-rcs" || arg === "--norcs" || /^-[a-z]*f/.test(arg))) {
        return undefined;
      }
      const next: Record<string, string> = { ...env, ZDOTDIR: path.join(this.dir, "zdotdir") };
      if (env.ZDOTDIR !== undefined) next.BGTERM_ZDOTDIR = env.ZDOTDIR;
      return { argv, env: next };
    }
    if (kind === "fish") {
      return { argv: [argv[0]!, ...args, "--init-command", `source ${quoteSh(this.hookFile("fish"))}`], env };
    }
    return undefined;
  }

  // The line a shell without hooks is given (once, its echo hidden) to load them.
  installLine(shell: HookShell): string {
    return ` source ${quoteSh(this.hookFile(shell))}${shell === "bash" ? " typed" : ""}\r`;
  }
}

export function quoteSh(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

// Removes the hook files (the session folder goes with close anyway).
export function removeHooks(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
