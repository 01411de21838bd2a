import { RemotelerError } from '@remoteler/core';
import { COMMAND_TREE, type CommandSpec, FLAG_VALUES, type FlagValue } from './command-tree.js';

/** The shells `remoteler completion` writes a script for. */
export type CompletionShell = 'bash' | 'zsh' | 'fish';

/** Every shell {@link completionScript} supports. */
export const COMPLETION_SHELLS: readonly CompletionShell[] = Object.freeze(['bash', 'zsh', 'fish']);

interface Node {
  /** Space-joined subcommand path, `''` for the top. */
  readonly path: string;
  readonly spec: CommandSpec;
}

function nodes(spec: CommandSpec = COMMAND_TREE, path = ''): Node[] {
  const out: Node[] = [{ path, spec }];
  for (const [name, child] of Object.entries(spec.subcommands ?? {}))
    out.push(...nodes(child, path === '' ? name : `${path} ${name}`));
  return out;
}

function flagValue(spec: CommandSpec, flag: string): FlagValue | undefined {
  return spec.values?.[flag] ?? FLAG_VALUES[flag];
}

/** Every flag that takes a value anywhere: its value must not be read as a subcommand. */
function valueFlags(): string[] {
  const flags = new Set<string>();
  for (const { spec } of nodes())
    for (const flag of spec.flags ?? []) if (flagValue(spec, flag) !== undefined) flags.add(flag);
  return [...flags].sort();
}

// Every word placed in a script comes from COMMAND_TREE (letters, digits, `-`, `/`, `_`): checked
// here so that a careless edit of the tree can never inject shell syntax.
function word(text: string): string {
  if (!/^[A-Za-z0-9_/-]*$/.test(text)) throw new TypeError(`not a plain completion word: ${text}`);
  return text;
}

/** A subcommand path such as `admin get`: plain words separated by single spaces. */
function pathWord(path: string): string {
  return path.split(' ').map(word).join(' ');
}

function words(list: readonly string[]): string {
  return list.map(word).join(' ');
}

/**
 * Bash functions shared by the bash and zsh scripts (zsh runs them through `bashcompinit`, which
 * provides `complete`/`compgen` and 0-based COMP_WORDS).
 */
function bashFunctions(): string {
  const all = nodes();
  const children = all
    .map(
      ({ path, spec }) => `    '${pathWord(path)}') echo '${words(Object.keys(spec.subcommands ?? {}))}' ;;`,
    )
    .join('\n');
  const positional = all
    .map(
      ({ path, spec }) =>
        `    '${pathWord(path)}') echo '${words([...Object.keys(spec.subcommands ?? {}), ...(spec.args ?? [])])}' ;;`,
    )
    .join('\n');
  const flags = all
    .map(({ path, spec }) => `    '${pathWord(path)}') echo '${words(spec.flags ?? [])}' ;;`)
    .join('\n');
  const values: string[] = [];
  for (const { path, spec } of all)
    for (const flag of spec.flags ?? []) {
      const value = flagValue(spec, flag);
      if (value === undefined) continue;
      const action =
        value === 'file'
          ? `COMPREPLY=( $(compgen -f -- "$cur") )`
          : value === 'text'
            ? 'COMPREPLY=()'
            : `COMPREPLY=( $(compgen -W '${words(value)}' -- "$cur") )`;
      values.push(`    '${pathWord(path)}|${word(flag)}') ${action}; return 0 ;;`);
    }
  return `_remoteler_children() {
  case "$1" in
${children}
  esac
}

_remoteler_positional() {
  case "$1" in
${positional}
  esac
}

_remoteler_flags() {
  case "$1" in
${flags}
  esac
}

_remoteler() {
  local cur prev path word i skip=0
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  if (( COMP_CWORD > 0 )); then prev="\${COMP_WORDS[COMP_CWORD-1]}"; fi
  path=""
  # Walk the words before the cursor: subcommands deepen the path; flags (and the value of a flag
  # that takes one) and free arguments do not.
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word="\${COMP_WORDS[i]}"
    if (( skip )); then skip=0; continue; fi
    case "$word" in
      ${valueFlags().map(word).join('|')}) skip=1; continue ;;
      -*) continue ;;
    esac
    case " $(_remoteler_children "$path") " in
      *" $word "*) path="\${path:+$path }$word" ;;
    esac
  done
  case "$path|$prev" in
${values.join('\n')}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$(_remoteler_flags "$path")" -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$(_remoteler_positional "$path")" -- "$cur") )
  fi
  # \`rm role/\`: no space after a KIND/ prefix, so the name follows it directly.
  if (( \${#COMPREPLY[@]} == 1 )) && [[ "\${COMPREPLY[0]}" == */ ]] && type compopt >/dev/null 2>&1; then
    compopt -o nospace 2>/dev/null
  fi
  return 0
}
`;
}

function bashScript(): string {
  return `# bash completion for remoteler. Load it with
#   source <(remoteler completion bash)
# (in ~/.bashrc), or save it as /etc/bash_completion.d/remoteler.
${bashFunctions()}
complete -F _remoteler remoteler
`;
}

function zshScript(): string {
  return `# zsh completion for remoteler. Load it with
#   source <(remoteler completion zsh)
# in ~/.zshrc, after compinit. It runs the bash completion through zsh's bashcompinit.
autoload -U +X bashcompinit && bashcompinit
${bashFunctions()}
complete -F _remoteler remoteler
`;
}

function fishScript(): string {
  const all = nodes();
  const lines: string[] = [];
  for (const { path, spec } of all) {
    const at = `__remoteler_at '${pathWord(path)}'`;
    const positional = [...Object.keys(spec.subcommands ?? {}), ...(spec.args ?? [])];
    if (positional.length > 0) lines.push(`complete -c remoteler -n "${at}" -a '${words(positional)}'`);
    for (const flag of spec.flags ?? []) {
      const option = flag.startsWith('--') ? `-l ${word(flag.slice(2))}` : `-s ${word(flag.slice(1))}`;
      const value = flagValue(spec, flag);
      const takes =
        value === undefined
          ? ''
          : value === 'file'
            ? ' -r -F'
            : value === 'text'
              ? ' -x'
              : ` -x -a '${words(value)}'`;
      lines.push(`complete -c remoteler -n "${at}" ${option}${takes}`);
    }
  }
  const children = all
    .map(
      ({ path, spec }) =>
        `    case '${pathWord(path)}'\n      echo ${words(Object.keys(spec.subcommands ?? {}))}`,
    )
    .join('\n');
  return `# fish completion for remoteler. Load it with
#   remoteler completion fish | source
# or save it as ~/.config/fish/completions/remoteler.fish.
function __remoteler_children
  switch "$argv[1]"
${children}
  end
end

function __remoteler_path
  set -l path
  set -l skip 0
  for token in (commandline -opc)[2..-1]
    if test $skip -eq 1
      set skip 0
      continue
    end
    switch $token
      case ${valueFlags().map(word).join(' ')}
        set skip 1
        continue
      case '-*'
        continue
    end
    if contains -- $token (string split ' ' (__remoteler_children "$path"))
      set path $path $token
    end
  end
  echo (string join ' ' $path)
end

function __remoteler_at
  set -l path (__remoteler_path)
  test "$path" = "$argv[1]"
end

complete -c remoteler -f
${lines.join('\n')}
`;
}

/**
 * The completion script `remoteler completion <shell>` prints: commands, subcommands, the kinds
 * of `admin get`, flags, and the fixed values of flags such as `-o` and `--type`, all from
 * {@link COMMAND_TREE}.
 */
export function completionScript(shell: string): string {
  if (shell === 'bash') return bashScript();
  if (shell === 'zsh') return zshScript();
  if (shell === 'fish') return fishScript();
  throw new RemotelerError('RMT_CLIENT_USAGE', `completion takes bash, zsh or fish, got ${shell}`);
}
