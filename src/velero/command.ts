import { makeIssue, type ParseIssue } from './issue.ts';

export type CommandForm = 'json' | 'json-invalid' | 'plain' | 'empty';

export interface ParsedCommand {
  readonly argv: string[];
  readonly form: CommandForm;
  /** true when a JSON null element was turned into "" (Go's json.Unmarshal into []string). */
  readonly hadNull?: boolean;
}

/**
 * Velero's `…/command` annotation rule (§2.4): JSON array of strings only when the very first
 * character is `[`; anything else (including JSON that fails to decode) is one argv element.
 * Never splits on whitespace, never throws.
 */
export function parseCommandAnnotation(raw: string): ParsedCommand {
  if (raw === '') return { argv: [], form: 'empty' };
  if (!raw.startsWith('[')) return { argv: [raw], form: 'plain' };
  let decoded: unknown;
  try {
    decoded = JSON.parse(raw);
  } catch {
    return { argv: [raw], form: 'json-invalid' };
  }
  if (!Array.isArray(decoded)) return { argv: [raw], form: 'json-invalid' };
  const argv: string[] = [];
  let hadNull = false;
  for (const element of decoded as unknown[]) {
    if (typeof element === 'string') argv.push(element);
    else if (element === null) {
      hadNull = true;
      argv.push('');
    } else return { argv: [raw], form: 'json-invalid' };
  }
  return hadNull ? { argv, form: 'json', hadNull } : { argv, form: 'json' };
}

const WHITESPACE = /\s/;

/**
 * Problems with a command argv: empty, or a program name with whitespace (a shell line in one
 * element). Shared by annotation and spec parsing.
 */
export function commandArgvIssues(argv: readonly string[], key: string): ParseIssue[] {
  const program = argv[0];
  if (program === undefined) return [makeIssue('command-empty', key, 'the command is an empty list; Velero fails the hook with "command is required"')];
  if (program === '') {
    return [makeIssue('command-empty', key, 'the program (first element of the command) is an empty string; the exec cannot run it')];
  }
  if (WHITESPACE.test(program)) {
    const looksJson = program.trimStart().startsWith('[');
    const message = looksJson
      ? `the command ${JSON.stringify(program)} has whitespace before "[", so Velero does not decode it as JSON and runs it as one program name`
      : `the program ${JSON.stringify(program)} contains whitespace; Velero runs it as ONE program name (no shell, no splitting), so the exec fails`;
    if (looksJson) return [makeIssue('command-json-invalid', key, message, { hint: 'Remove the whitespace before "[".' })];
    return [
      makeIssue('command-shell-line', key, message, {
        hint: `Split it into a JSON array, or run a shell: ${JSON.stringify(['/bin/sh', '-c', program])}.`,
      }),
    ];
  }
  return [];
}

/** All problems with a `…/command` annotation value (the empty string is the caller's business). */
export function commandAnnotationIssues(raw: string, parsed: ParsedCommand, key: string): ParseIssue[] {
  if (parsed.form === 'empty') return [];
  if (parsed.form === 'json-invalid') {
    return [
      makeIssue(
        'command-json-invalid',
        key,
        `the command starts with "[" but is not a JSON array of strings; Velero runs the whole text ${JSON.stringify(raw)} as one program name`,
      ),
    ];
  }
  const issues = commandArgvIssues(parsed.argv, key);
  if (parsed.hadNull === true) {
    issues.push(makeIssue('command-null-element', key, 'the command array contains null, which Velero turns into an empty-string argument'));
  }
  return issues;
}
