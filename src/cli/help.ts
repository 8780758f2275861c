import type { Argument, Command, Option } from 'commander';

/** One example: the arguments after the program name, and what it does. */
export type Example = readonly [args: string, what: string];
/** One exit code and its meaning. */
export type ExitCode = readonly [code: number, meaning: string];

/** The exit codes every command shares beyond its own. */
export const USAGE_EXIT: ExitCode = [2, 'usage error: a bad flag or argument, or unreadable input'];

/**
 * Adds "Examples:" and "Exit codes:" sections after a command's help, as kubectl's help has them.
 * The program name is the root command's (kubehooks, or kubectl backup-hooks as a plugin).
 */
export function addHelpSections(command: Command, examples: readonly Example[], exitCodes: readonly ExitCode[]): Command {
  return command.addHelpText('after', () => {
    let root: Command = command;
    while (root.parent !== null) root = root.parent;
    const name = root.name();
    const width = Math.max(...examples.map(([args]) => name.length + 1 + args.length));
    const lines = ['', 'Examples:'];
    for (const [args, what] of examples) {
      const cmd = `${name} ${args}`;
      lines.push(cmd.length <= 56 ? `  ${cmd.padEnd(Math.min(width, 56))}  # ${what}` : `  # ${what}\n  ${cmd}`);
    }
    lines.push('', 'Exit codes:');
    for (const [code, meaning] of exitCodes) lines.push(`  ${String(code).padStart(3)}  ${meaning}`);
    return lines.join('\n') + '\n';
  });
}

/** A default as typed on a command line: a string as is, anything else as JSON. */
function plain(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * An option's help line with its choices and default written as a person types them, not as JS
 * strings: `(choices: text, json; default: text)`, `(default: 64)`.
 */
export function describeOption(option: Option): string {
  const extra: string[] = [];
  if (option.argChoices !== undefined && option.argChoices.length > 0) extra.push(`choices: ${option.argChoices.join(', ')}`);
  const shown = option.defaultValueDescription ?? (option.defaultValue === undefined || option.negate || typeof option.defaultValue === 'boolean' ? undefined : plain(option.defaultValue));
  if (shown !== undefined && shown !== '') extra.push(`default: ${shown}`);
  if (option.presetArg !== undefined && option.optional) extra.push(`preset: ${plain(option.presetArg)}`);
  if (option.envVar !== undefined) extra.push(`env: ${option.envVar}`);
  return extra.length === 0 ? option.description : `${option.description} (${extra.join('; ')})`;
}

/** An argument's help line, its choices and default unquoted as in describeOption. */
export function describeArgument(argument: Argument): string {
  const extra: string[] = [];
  if (argument.argChoices !== undefined && argument.argChoices.length > 0) extra.push(`choices: ${argument.argChoices.join(', ')}`);
  const shown = argument.defaultValueDescription ?? (argument.defaultValue === undefined ? undefined : plain(argument.defaultValue));
  if (shown !== undefined && shown !== '') extra.push(`default: ${shown}`);
  return extra.length === 0 ? argument.description : `${argument.description} (${extra.join('; ')})`;
}
