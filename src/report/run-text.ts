import type { SkippedPod } from '../model/plan.ts';
import type { HookResult, HookStatus, RunReport } from '../model/result.ts';
import { NO_COLORS, type Colors } from './color.ts';
import type { PodRefJson } from './run-json.ts';
import { terminalSafe, terminalSafeLines } from './terminal-text.ts';

export interface RunTextOptions {
  /** Leave out output excerpts of failed hooks (`--no-output`). */
  readonly omitOutput?: boolean;
  /** Lines of output shown per stream for a failed hook (default 5). */
  readonly excerptLines?: number;
  /**
   * Widest the reason column may be; undefined = never cut. The CLI cuts only on a terminal and never
   * with `-o wide` (kubectl never truncates piped output).
   */
  readonly reasonWidth?: number;
  /** `-o wide`: the source, phase, exit code, start time and reason code columns too. */
  readonly wide?: boolean;
  /** Pods that got no hook, listed as `plan` lists them. */
  readonly skipped?: readonly SkippedPod[];
  /** A pre-backup that did not complete: the pods where pre hooks ran (to thaw with post-backup). */
  readonly needsPostBackup?: readonly PodRefJson[];
  /** The command that thaws them, shown in the hint (default: `kubehooks run post-backup`). */
  readonly thawCommand?: string;
  /** Paints the status column (default: no colour). */
  readonly colors?: Colors;
}

const HEADERS = ['STATUS', 'POD', 'CONTAINER', 'HOOK', 'DURATION', 'REASON'] as const;
const WIDE_HEADERS = ['STATUS', 'POD', 'CONTAINER', 'HOOK', 'SOURCE', 'PHASE', 'EXIT', 'STARTED', 'DURATION', 'CODE', 'REASON'] as const;

function duration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

function oneLine(text: string, width: number | undefined): string {
  const one = terminalSafe(text.replace(/\s+/g, ' ').trim());
  return width === undefined || one.length <= width ? one : `${one.slice(0, Math.max(1, width - 1))}…`;
}

function row(r: HookResult, reasonWidth: number | undefined, wide: boolean): string[] {
  const reason = r.reason === null ? '' : oneLine(r.reason, reasonWidth);
  const head = [r.status, terminalSafe(`${r.namespace}/${r.pod}`), terminalSafe(r.container), terminalSafe(`${r.name}#${r.index}`)];
  if (!wide) return [...head, duration(r.durationMs), reason];
  return [...head, r.source, r.phase, r.exitCode === null ? '-' : String(r.exitCode), r.startedAt ?? '-', duration(r.durationMs), r.reasonCode ?? '-', reason];
}

function paintStatus(status: string, colors: Colors): string {
  const by: Readonly<Record<HookStatus, (t: string) => string>> = {
    succeeded: colors.green,
    failed: colors.red,
    'timed-out': colors.red,
    'not-run': colors.yellow,
  };
  return Object.hasOwn(by, status) ? by[status as HookStatus](status) : status;
}

/** Aligned columns; the last is not padded. Cells are padded before they are painted (escapes have no width). */
function table(rows: readonly (readonly string[])[], colors: Colors): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r, n) =>
    r
      .map((cell, i) => {
        const padded = i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
        return n > 0 && i === 0 ? padded.replace(cell, paintStatus(cell, colors)) : padded;
      })
      .join('  ')
      .trimEnd(),
  );
}

function excerpt(label: string, text: string, lines: number, truncated: boolean): string[] {
  const all = terminalSafeLines(text.replace(/\s+$/, ''));
  if (all.length === 1 && all[0] === '') return [];
  const tail = all.slice(-lines);
  const cut = all.length > lines || truncated ? ` (last ${tail.length} line${tail.length === 1 ? '' : 's'}${truncated ? ', capture truncated' : ''})` : '';
  return [`    ${label}${cut}:`, ...tail.map((l) => `      ${l}`)];
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The warning of a pre-backup that stopped part-way: which pods ran pre hooks and what thaws them. */
export function thawLines(pods: readonly PodRefJson[], thawCommand = 'kubehooks run post-backup'): string[] {
  if (pods.length === 0) return [];
  return [
    `Pre hooks ran in ${plural(pods.length, 'pod')} before the run stopped: ${pods.map((p) => terminalSafe(`${p.namespace}/${p.pod}`)).join(', ')}`,
    `  They may still be frozen. Run \`${thawCommand}\` (same file and namespaces) to thaw them.`,
  ];
}

/**
 * The readable report: one row per hook in execution order, then output excerpts of hooks that did
 * not succeed, the skipped pods, the thaw warning of an incomplete pre-backup, then Velero's counts.
 */
export function renderRunText(report: RunReport, options: RunTextOptions = {}): string {
  const out: string[] = [];
  const colors = options.colors ?? NO_COLORS;
  const wide = options.wide === true;
  const reasonWidth = wide ? undefined : options.reasonWidth;
  if (report.results.length === 0) out.push('No hooks to run.');
  else out.push(...table([[...(wide ? WIDE_HEADERS : HEADERS)], ...report.results.map((r) => row(r, reasonWidth, wide))], colors));
  if (options.omitOutput !== true) {
    const lines = options.excerptLines ?? 5;
    const failures = report.results.filter((r) => (r.status === 'failed' || r.status === 'timed-out') && (r.stdout !== '' || r.stderr !== ''));
    for (const r of failures) {
      out.push('', `${paintStatus(r.status, colors)}: ${terminalSafe(`${r.namespace}/${r.pod} ${r.container} ${r.name}#${r.index}`)}`);
      if (r.reason !== null) out.push(`    reason: ${terminalSafe(r.reason)}`);
      out.push(...excerpt('stdout', r.stdout, lines, r.truncated), ...excerpt('stderr', r.stderr, lines, r.truncated));
    }
  }
  const skipped = options.skipped ?? [];
  if (skipped.length > 0) {
    out.push('', `Skipped (${skipped.length}):`);
    for (const s of skipped) out.push(`  ${terminalSafe(`${s.namespace}/${s.pod}: ${s.reason}`)}${wide ? ` [${s.code}]` : ''}`);
  }
  const thaw = thawLines(options.needsPostBackup ?? [], options.thawCommand);
  if (thaw.length > 0) out.push('', ...thaw);
  const counts = new Map<string, number>();
  for (const r of report.results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const detail = ['succeeded', 'failed', 'timed-out', 'not-run']
    .filter((s) => (counts.get(s) ?? 0) > 0)
    .map((s) => `${counts.get(s) ?? 0} ${s}`)
    .join(', ');
  out.push('', `Hooks attempted: ${report.summary.attempted}, failed: ${report.summary.failed}${detail === '' ? '' : ` (${detail})`}`);
  return out.join('\n') + '\n';
}
