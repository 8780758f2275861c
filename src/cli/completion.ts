/**
 * `kubehooks completion bash|zsh|fish`: a completion script generated from the registered commands
 * (their subcommands, options, option choices and arguments), so it follows every command added to
 * COMMANDS. Each script completes subcommands, options, the values of options with choices, argument
 * words (choices, or a description of the form `a | b | c`) and file names for `<file>`/path values.
 */
import { Argument } from 'commander';
import type { Command, Option } from 'commander';
import type { CliCommand, CommandContext } from './command.ts';
import { EXIT_OK } from './context.ts';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What completion needs of one command, read from commander's definitions. */
export interface CompletionNode {
  /** Subcommand names from the root, e.g. ['run']; [] for the program. */
  readonly path: readonly string[];
  readonly description: string;
  readonly subcommands: readonly string[];
  readonly options: readonly CompletionOption[];
  /** Words for positional arguments; 'files' when they are paths. */
  readonly argumentWords: readonly string[] | 'files' | 'none';
}
export interface CompletionOption {
  /** Every spelling: ['-o', '--output']. */
  readonly names: readonly string[];
  readonly description: string;
  /** undefined: a flag; [] a value without a fixed set; 'files' a file name. */
  readonly value: readonly string[] | 'files' | undefined;
}

const WORD_LIST = /^[a-z0-9][a-z0-9-]*(?: \| [a-z0-9][a-z0-9-]*)+$/;

function argumentWords(args: readonly Argument[]): CompletionNode['argumentWords'] {
  const first = args[0];
  if (first === undefined) return 'none';
  if (first.argChoices !== undefined) return first.argChoices;
  const described = first.description.trim();
  if (WORD_LIST.test(described)) return described.split(' | ');
  return 'files';
}

function optionValue(option: Option): CompletionOption['value'] {
  if (!option.required && !option.optional) return undefined;
  if (option.argChoices !== undefined) return option.argChoices;
  return /<(file|path|paths|dir)>/.test(option.flags) ? 'files' : [];
}

function optionNames(option: Option): string[] {
  return [option.short, option.long].filter((name): name is string => name !== undefined);
}

/** The command tree, depth first, including commander's implicit help option. */
export function completionTree(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: readonly string[]): void => {
    const help = command.createHelp();
    const options = help.visibleOptions(command).map((option) => ({
      names: optionNames(option),
      description: option.description,
      value: optionValue(option),
    }));
    const subcommands = command.commands.filter((sub) => !(sub as unknown as { _hidden?: boolean })._hidden);
    nodes.push({
      path,
      description: command.description(),
      subcommands: subcommands.map((sub) => sub.name()),
      options,
      argumentWords: subcommands.length > 0 ? 'none' : argumentWords(command.registeredArguments),
    });
    for (const sub of subcommands) visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
  return nodes;
}

const shellWord = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * The shell-independent part as shell `case` tables, used by the bash and zsh scripts:
 * `<fn>_words PATH CURRENT PREVIOUS` prints the candidate words, or `@files` for file names.
 */
function caseTables(fn: string, nodes: readonly CompletionNode[]): string {
  const key = (node: CompletionNode): string => shellWord(node.path.join(' '));
  const lines: string[] = [];
  lines.push(`${fn}_subcommands() {`, `  case "$1" in`);
  for (const node of nodes) if (node.subcommands.length > 0) lines.push(`    ${key(node)}) echo ${shellWord(node.subcommands.join(' '))} ;;`);
  lines.push(`  esac`, `}`);
  lines.push(`${fn}_options() {`, `  case "$1" in`);
  for (const node of nodes) lines.push(`    ${key(node)}) echo ${shellWord(node.options.flatMap((o) => o.names).join(' '))} ;;`);
  lines.push(`  esac`, `}`);
  lines.push(`# PATH OPTION -> "flag" (takes no value), "@files", or the words of its value (may be empty)`);
  lines.push(`${fn}_option_value() {`, `  case "$1|$2" in`);
  for (const node of nodes) {
    for (const option of node.options) {
      const value = option.value === undefined ? 'flag' : option.value === 'files' ? '@files' : option.value.join(' ');
      for (const name of option.names) lines.push(`    ${shellWord(`${node.path.join(' ')}|${name}`)}) echo ${shellWord(value)} ;;`);
    }
  }
  lines.push(`    *) echo flag ;;`, `  esac`, `}`);
  lines.push(`${fn}_arguments() {`, `  case "$1" in`);
  for (const node of nodes) {
    if (node.argumentWords === 'none') continue;
    lines.push(`    ${key(node)}) echo ${shellWord(node.argumentWords === 'files' ? '@files' : node.argumentWords.join(' '))} ;;`);
  }
  lines.push(`  esac`, `}`);
  lines.push(
    `# ${fn}_words WORD... : the words typed so far (command name first, the word being completed last)`,
    `${fn}_words() {`,
    `  local path="" skip="" w i n=$#`,
    `  local -a args`,
    `  args=("$@")`,
    `  local cur="\${args[n-1]}" prev=""`,
    `  i=1`,
    `  while [ "$i" -lt $((n-1)) ]; do`,
    `    w="\${args[i]}"`,
    `    if [ -n "$skip" ]; then skip=""`,
    `    elif [ "\${w#-}" != "$w" ]; then`,
    `      case "$w" in *=*) ;; *) [ "$(${fn}_option_value "$path" "$w")" != flag ] && skip=1 ;; esac`,
    `    else`,
    `      case " $(${fn}_subcommands "$path") " in *" $w "*) path="\${path:+$path }$w" ;; esac`,
    `    fi`,
    `    i=$((i+1))`,
    `  done`,
    `  if [ -n "$skip" ]; then ${fn}_option_value "$path" "\${args[n-2]}"; return; fi`,
    `  case "$cur" in`,
    `    -*) ${fn}_options "$path" ;;`,
    `    *) local subs; subs="$(${fn}_subcommands "$path")"`,
    `       if [ -n "$subs" ]; then echo "$subs"; else ${fn}_arguments "$path"; fi ;;`,
    `  esac`,
    `}`,
  );
  return lines.join('\n');
}

function identifier(name: string): string {
  return `_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
}

export function bashScript(name: string, nodes: readonly CompletionNode[]): string {
  const fn = identifier(name);
  return [
    `# bash completion for ${name}, generated by \`${name} completion bash\`.`,
    `# Load it with: source <(${name} completion bash)   (or save it in ~/.local/share/bash-completion/completions/${name})`,
    caseTables(fn, nodes),
    `${fn}_complete() {`,
    `  local cur="\${COMP_WORDS[COMP_CWORD]}" words`,
    `  words="$(${fn}_words "\${COMP_WORDS[@]:0:COMP_CWORD+1}")"`,
    `  if [ "$words" = "@files" ]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi`,
    `  COMPREPLY=($(compgen -W "$words" -- "$cur"))`,
    `}`,
    `complete -o default -F ${fn}_complete ${name}`,
    ``,
  ].join('\n');
}

export function zshScript(name: string, nodes: readonly CompletionNode[]): string {
  const fn = identifier(name);
  return [
    `#compdef ${name}`,
    `# zsh completion for ${name}, generated by \`${name} completion zsh\`.`,
    `# Load it with: source <(${name} completion zsh)   (after compinit), or save it as _${name} in your $fpath`,
    caseTables(fn, nodes).replace(/args\[n-1\]/g, 'args[n]').replace(/args\[n-2\]/g, 'args[n-1]').replace(/\$\{args\[i\]\}/g, '${args[i+1]}'),
    `${fn}_complete() {`,
    `  local out`,
    `  out="$(${fn}_words "\${(@)words[1,CURRENT]}")"`,
    `  if [ "$out" = "@files" ]; then _files; return; fi`,
    `  compadd -- \${=out}`,
    `}`,
    `if (( $+functions[compdef] )); then compdef ${fn}_complete ${name}; fi`,
    ``,
  ].join('\n');
}

export function fishScript(name: string, nodes: readonly CompletionNode[]): string {
  const lines = [`# fish completion for ${name}, generated by \`${name} completion fish\`.`, `# Load it with: ${name} completion fish | source   (or save it in ~/.config/fish/completions/${name}.fish)`];
  lines.push(`complete -c ${name} -f`);
  const condition = (node: CompletionNode): string => {
    if (node.path.length === 0) return '__fish_use_subcommand';
    const parent = nodes.find((other) => other.path.join(' ') === node.path.slice(0, -1).join(' '));
    const seen = node.path.map((word) => `__fish_seen_subcommand_from ${word}`).join('; and ');
    const others = node.subcommands.length > 0 ? `; and not __fish_seen_subcommand_from ${node.subcommands.join(' ')}` : '';
    return parent === undefined ? seen : `${seen}${others}`;
  };
  for (const node of nodes) {
    const cond = shellWord(condition(node));
    for (const sub of node.subcommands) {
      const child = nodes.find((other) => other.path.join(' ') === [...node.path, sub].join(' '));
      lines.push(`complete -c ${name} -n ${cond} -a ${shellWord(sub)} -d ${shellWord(oneLine(child?.description ?? ''))}`);
    }
    for (const option of node.options) {
      const spec = option.names.map((n) => (n.startsWith('--') ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`)).join(' ');
      const value = option.value === undefined ? '' : option.value === 'files' ? ' -r -F' : option.value.length > 0 ? ` -x -a ${shellWord(option.value.join(' '))}` : ' -x';
      lines.push(`complete -c ${name} -n ${cond} ${spec}${value} -d ${shellWord(oneLine(option.description))}`);
    }
    if (node.argumentWords === 'files') lines.push(`complete -c ${name} -n ${cond} -F`);
    else if (node.argumentWords !== 'none') lines.push(`complete -c ${name} -n ${cond} -a ${shellWord(node.argumentWords.join(' '))}`);
  }
  lines.push('');
  return lines.join('\n');
}

export function completionScript(shell: Shell, name: string, program: Command): string {
  const nodes = completionTree(program);
  switch (shell) {
    case 'bash':
      return bashScript(name, nodes);
    case 'zsh':
      return zshScript(name, nodes);
    case 'fish':
      return fishScript(name, nodes);
  }
}

export const completionCommand: CliCommand = {
  name: 'completion',
  register(program: Command, ctx: CommandContext) {
    program
      .command('completion')
      .description('print a shell completion script (bash, zsh or fish) for kubehooks')
      .addArgument(new Argument('<shell>', 'bash | zsh | fish').choices([...SHELLS]))
      .action((shell: Shell) => {
        // The kubectl plugin's name has a space; its completion is kubectl's business.
        const name = program.name().startsWith('kubectl ') ? 'kubehooks' : program.name();
        ctx.deps.io.stdout.write(completionScript(shell, name, program));
        ctx.setExitCode(EXIT_OK);
      });
  },
};
