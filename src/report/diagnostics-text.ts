import type { Diagnostic, Severity } from '../model/diagnostic.ts';
import type { SkippedPath } from '../load/read-inputs.ts';
import { NO_COLORS, type Colors } from './color.ts';
import { terminalSafe } from './terminal-text.ts';

const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

/** Stable order: file, line, column, severity, code. */
export function sortDiagnostics<T extends Diagnostic>(diagnostics: readonly T[]): T[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

export interface DiagnosticCounts {
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
}

export function countDiagnostics(diagnostics: readonly Diagnostic[]): DiagnosticCounts {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const d of diagnostics) {
    if (d.severity === 'error') errors += 1;
    else if (d.severity === 'warning') warnings += 1;
    else infos += 1;
  }
  return { errors, warnings, infos };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `N errors, M warnings` (and `, K info` when there is any). */
export function summaryLine(diagnostics: readonly Diagnostic[]): string {
  const c = countDiagnostics(diagnostics);
  return `${plural(c.errors, 'error')}, ${plural(c.warnings, 'warning')}${c.infos > 0 ? `, ${c.infos} info` : ''}`;
}

function location(d: Diagnostic): string {
  if (d.file === '') return 'kubehooks';
  if (d.line <= 0) return d.file;
  return d.column > 0 ? `${d.file}:${d.line}:${d.column}` : `${d.file}:${d.line}`;
}

export interface DiagnosticsTextOptions {
  /** What the summary line counts, when more than is listed (`--quiet` lists errors only). */
  readonly counted?: readonly Diagnostic[];
  /** How many diagnostics opt-outs suppressed (shown in the summary when any). */
  readonly suppressed?: number;
  /** Paths directory walks left out: listed before the summary. */
  readonly skipped?: readonly SkippedPath[];
  /** Paints the severity word (red error, yellow warning, dim info) on a colour terminal; none by default. */
  readonly colors?: Colors;
}

function paintSeverity(severity: Severity, colors: Colors): string {
  return severity === 'error' ? colors.red(severity) : severity === 'warning' ? colors.yellow(severity) : colors.dim(severity);
}

function skippedLines(skipped: readonly SkippedPath[]): string[] {
  const lines = skipped.filter((p) => p.code !== 'not-a-manifest').map((p) => `skipped ${terminalSafe(p.path)}: ${p.reason}`);
  const others = skipped.filter((p) => p.code === 'not-a-manifest');
  if (others.length > 0) {
    const names = others.slice(0, 3).map((p) => terminalSafe(p.path)).join(', ');
    lines.push(`skipped ${plural(others.length, 'file')} not named *.yaml, *.yml or *.json (${names}${others.length > 3 ? ', …' : ''})`);
  }
  return lines;
}

/**
 * `file:line:col: severity code: message` with the hint indented below, files separated by a blank
 * line, then what was skipped and the summary line. Pure; ends with a newline.
 */
export function renderDiagnosticsText(diagnostics: readonly Diagnostic[], options: DiagnosticsTextOptions = {}): string {
  const lines: string[] = [];
  let file: string | undefined;
  const colors = options.colors ?? NO_COLORS;
  for (const d of sortDiagnostics(diagnostics)) {
    if (file !== undefined && d.file !== file) lines.push('');
    file = d.file;
    lines.push(`${terminalSafe(location(d))}: ${paintSeverity(d.severity, colors)} ${colors.bold(d.code)}: ${terminalSafe(d.message)}`);
    if (d.hint !== '') lines.push(`    hint: ${terminalSafe(d.hint)}`);
  }
  if (lines.length > 0) lines.push('');
  const skipped = skippedLines(options.skipped ?? []);
  if (skipped.length > 0) lines.push(...skipped, '');
  const suppressed = options.suppressed ?? 0;
  lines.push(`${summaryLine(options.counted ?? diagnostics)}${suppressed > 0 ? `, ${suppressed} suppressed` : ''}`);
  return lines.join('\n') + '\n';
}
