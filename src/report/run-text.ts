import type { HookResult, RunReport } from '../model/result.ts';
import { terminalSafe, terminalSafeLines } from './terminal-text.ts';

export interface RunTextOptions {
  /** Leave out output excerpts of failed hooks (`--no-output`). */
  readonly omitOutput?: boolean;
  /** Lines of output shown per stream for a failed hook (default 5). */
  readonly excerptLines?: number;
  /** Widest the reason column may be (default 70). */
  readonly reasonWidth?: number;
}

const HEADERS = ['STATUS', 'POD', 'CONTAINER', 'HOOK', 'DURATION', 'REASON'] as const;

function duration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

function shorten(text: string, width: number): string {
  const one = terminalSafe(text.replace(/\s+/g, ' ').trim());
  return one.length <= width ? one : `${one.slice(0, width - 1)}…`;
}

function row(r: HookResult, reasonWidth: number): string[] {
  return [
    r.status,
    terminalSafe(`${r.namespace}/${r.pod}`),
    terminalSafe(r.container),
    terminalSafe(`${r.name}#${r.index}`),
    duration(r.durationMs),
    r.reason === null ? '' : shorten(r.reason, reasonWidth),
  ];
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

function excerpt(label: string, text: string, lines: number, truncated: boolean): string[] {
  const all = terminalSafeLines(text.replace(/\s+$/, ''));
  if (all.length === 1 && all[0] === '') return [];
  const tail = all.slice(-lines);
  const cut = all.length > lines || truncated ? ` (last ${tail.length} line${tail.length === 1 ? '' : 's'}${truncated ? ', capture truncated' : ''})` : '';
  return [`    ${label}${cut}:`, ...tail.map((l) => `      ${l}`)];
}

/**
 * The readable report: one row per hook in execution order, then output excerpts of hooks that did
 * not succeed, then Velero's counts.
 */
export function renderRunText(report: RunReport, options: RunTextOptions = {}): string {
  const out: string[] = [];
  const reasonWidth = options.reasonWidth ?? 70;
  if (report.results.length === 0) out.push('No hooks to run.');
  else out.push(...table([[...HEADERS], ...report.results.map((r) => row(r, reasonWidth))]));
  if (options.omitOutput !== true) {
    const lines = options.excerptLines ?? 5;
    const failures = report.results.filter((r) => (r.status === 'failed' || r.status === 'timed-out') && (r.stdout !== '' || r.stderr !== ''));
    for (const r of failures) {
      out.push('', `${r.status}: ${terminalSafe(`${r.namespace}/${r.pod} ${r.container} ${r.name}#${r.index}`)}`);
      if (r.reason !== null) out.push(`    reason: ${terminalSafe(r.reason)}`);
      out.push(...excerpt('stdout', r.stdout, lines, r.truncated), ...excerpt('stderr', r.stderr, lines, r.truncated));
    }
  }
  const counts = new Map<string, number>();
  for (const r of report.results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const detail = ['succeeded', 'failed', 'timed-out', 'not-run']
    .filter((s) => (counts.get(s) ?? 0) > 0)
    .map((s) => `${counts.get(s) ?? 0} ${s}`)
    .join(', ');
  out.push('', `Hooks attempted: ${report.summary.attempted}, failed: ${report.summary.failed}${detail === '' ? '' : ` (${detail})`}`);
  return out.join('\n') + '\n';
}
