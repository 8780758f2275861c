import { formatMs } from '../duration/go-duration.ts';
import type { Plan, PlannedHook } from '../model/plan.ts';
import { terminalSafe } from './terminal-text.ts';
import type { PlanStagesView } from './plan-json.ts';

const HEADERS = ['NAMESPACE', 'POD', 'CONTAINER', 'TYPE', 'SOURCE', 'NAME', 'PHASE', 'INDEX', 'ON-ERROR', 'TIMEOUT', 'WAIT', 'COMMAND'] as const;

/** Shell-like quoting so one argv element with spaces reads as one. */
export function formatArgv(argv: readonly string[]): string {
  if (argv.length === 0) return '(entrypoint)';
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

function row(h: PlannedHook, staged: boolean): string[] {
  const wait = h.type === 'init'
    ? '-'
    : `${h.waitTimeoutMs === 0 ? 'none' : formatMs(h.waitTimeoutMs)}${h.waitForReady ? ' ready' : ''}`;
  const cells = [
    h.namespace,
    h.pod,
    h.container,
    h.type,
    h.injectedBy === 'kubevirt' ? `${h.source} (KubeVirt)` : h.source,
    h.name,
    h.phase,
    String(h.index),
    h.type === 'init' ? '-' : h.onError,
    h.type === 'init' ? '-' : formatMs(h.execTimeoutMs),
    wait,
    formatArgv(h.command),
  ];
  // ADR 0019: a plan with stages shows each hook's stage first (rows are in run order within a stage).
  if (staged) cells.unshift(String(h.stage ?? 0));
  return cells.map(terminalSafe);
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  // The last column (command) is not padded.
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

export interface PlanTextOptions {
  /** `-o wide`: each skipped pod's stable code too. (The table has every column already and is never cut.) */
  readonly wide?: boolean;
  /** A backup plan's stages; given only when the plan has stages. */
  readonly stages?: PlanStagesView | undefined;
}

/** The plan as an aligned table in execution order, then the skipped pods with their reasons. */
export function renderPlanText(plan: Plan, options: PlanTextOptions = {}): string {
  const out: string[] = [];
  if (plan.hooks.length === 0) out.push('No hooks planned.');
  else {
    const staged = options.stages !== undefined;
    const headers: string[] = staged ? ['STAGE', ...HEADERS] : [...HEADERS];
    out.push(...table([headers, ...plan.hooks.map((h) => row(h, staged))]));
  }
  if (options.stages !== undefined) out.push('', ...stageLines(plan, options.stages));
  const differs = plan.hooks.filter((h) => (h.velero?.notes.length ?? 0) > 0);
  const first = differs[0]?.velero;
  if (first !== undefined) {
    out.push('', `Velero ${first.version} (--velero-version ${first.version}) differs for ${differs.length} hook${differs.length === 1 ? '' : 's'}:`);
    for (const h of differs) {
      for (const note of h.velero?.notes ?? []) out.push(`  ${terminalSafe(`${h.namespace}/${h.pod} ${h.container} ${h.name}#${h.index}: ${note}`)}`);
    }
  }
  const kubevirt = plan.hooks.filter((h) => h.injectedBy === 'kubevirt').length;
  if (kubevirt > 0) {
    out.push('', `${kubevirt} hook${kubevirt === 1 ? ' was' : 's were'} injected by KubeVirt (virt-freezer on virt-launcher pods): exit 0 does not prove a freeze when the VM has no guest agent or is paused; see kubehooks lint.`);
  }
  if (plan.skipped.length > 0) {
    out.push('', `Skipped (${plan.skipped.length}):`);
    for (const s of plan.skipped) out.push(`  ${terminalSafe(`${s.namespace}/${s.pod}: ${s.reason}`)}${options.wide === true ? ` [${s.code}]` : ''}`);
  }
  const pods = new Set(plan.hooks.map((h) => `${h.namespace}/${h.pod}`)).size;
  out.push('', `${plan.hooks.length} hook${plan.hooks.length === 1 ? '' : 's'} in ${pods} pod${pods === 1 ? '' : 's'}, ${plan.skipped.length} skipped`);
  return out.join('\n') + '\n';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The stages in the order they run, and the estimate of the longest freeze (ADR 0019). */
function stageLines(plan: Plan, view: PlanStagesView): string[] {
  const phase = plan.hooks[0]?.phase ?? 'pre';
  const order = phase === 'post' ? 'post hooks run in reverse stage order by default (--thaw-order same: this order)' : 'each stage ends in every pod before the next starts';
  const lines = [`Stages (${order}):`];
  for (const s of view.stages) {
    lines.push(`  stage ${s.stage}: ${plural(s.hooks, 'hook')} in ${plural(s.pods, 'pod')}, up to ${formatMs(s.execTimeoutMs)}`);
  }
  const f = view.longestFreeze;
  if (f !== undefined) {
    lines.push(
      `Longest freeze (run backup, --thaw-order ${f.thawOrder}): up to ${formatMs(f.longestFreezeMs)} plus COMMAND, for the pods of stage ${f.stage} (the sum of the exec timeouts along the stage chain, pre and post)`,
    );
  }
  return lines;
}
