/**
 * The report of `kubehooks run backup` (the quiesce window, ADR 0018): three sections, pre, command
 * and post, in text; one document in JSON (schemas/run-backup-output.schema.json) whose `pre` and
 * `post` are each a `run -o json` document (schemas/run-output.schema.json).
 */
import type { CommandStep, FrozenPod, WindowReport, WindowStatus } from '../run/quiesce-window.ts';
import type { CommandSummary, LongestFreeze, PodFreeze, WindowSummary } from '../run/window-timeline.ts';
import { formatMs } from '../duration/go-duration.ts';
import { fieldOrder, pickInOrder } from './json-fields.ts';
import { runToJson, type RunContext } from './run-json.ts';
import { renderRunText, type RunTextOptions } from './run-text.ts';
import { terminalSafe } from './terminal-text.ts';

/** COMMAND's step in JSON. */
export interface CommandJson {
  readonly ran: boolean;
  /** ran: false: why not (`pre-failed`: a Fail pre hook failed; `interrupted`). */
  readonly why?: 'pre-failed' | 'interrupted';
  /** ran: true: how it ended. */
  readonly outcome?: 'exited' | 'signaled' | 'spawn-failed';
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly message?: string | null;
  readonly stoppedBy?: 'window-timeout' | 'interrupted' | null;
  readonly startedAt?: string;
  readonly durationMs?: number;
}

export interface WindowJson {
  readonly kind: 'backup';
  readonly runId: string;
  readonly status: WindowStatus;
  readonly exitCode: number;
  readonly backup: string | null;
  readonly namespaces: readonly string[] | null;
  readonly kubehooksVersion: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly interrupted: boolean;
  /** The journal file (crash recovery: `kubehooks thaw --journal FILE`); null without one. */
  readonly journal: string | null;
  readonly frozen: readonly FrozenPod[];
  readonly notThawed: readonly FrozenPod[];
  /** Counts, the longest freeze and COMMAND's exit status (src/run/window-timeline.ts). */
  readonly summary: WindowSummary;
  /** Per frozen pod, in plan order: frozenAt, thawedAt, frozenMs, thaw. */
  readonly freezes: readonly PodFreeze[];
  readonly pre: Record<string, unknown>;
  readonly command: CommandJson;
  readonly post: Record<string, unknown>;
}

/** What the window was, beside its report: the document's own fields, and the two phases' run contexts (kind pre-backup / post-backup). */
export type WindowContext = Pick<WindowJson, 'exitCode' | 'backup' | 'namespaces' | 'kubehooksVersion' | 'startedAt' | 'finishedAt' | 'interrupted' | 'journal'> & {
  readonly pre: RunContext;
  readonly post: RunContext;
};

export const WINDOW_JSON_FIELDS = fieldOrder<WindowJson>()([
  'kind', 'runId', 'status', 'exitCode', 'backup', 'namespaces', 'kubehooksVersion', 'startedAt', 'finishedAt', 'interrupted',
  'journal', 'frozen', 'notThawed', 'summary', 'freezes', 'pre', 'command', 'post',
]);
export const WINDOW_SUMMARY_FIELDS = fieldOrder<WindowSummary>()(['frozen', 'thawed', 'notThawed', 'longestFreeze', 'command']);
export const LONGEST_FREEZE_FIELDS = fieldOrder<LongestFreeze>()(['namespace', 'name', 'frozenMs']);
export const COMMAND_SUMMARY_FIELDS = fieldOrder<CommandSummary>()(['ran', 'exitCode', 'signal', 'durationMs', 'timedOut']);
export const POD_FREEZE_FIELDS = fieldOrder<PodFreeze>()(['namespace', 'name', 'stage', 'frozenAt', 'thawedAt', 'frozenMs', 'thaw']);
export const FROZEN_POD_FIELDS = fieldOrder<FrozenPod>()(['namespace', 'name', 'uid', 'pvcs']);
export const COMMAND_FIELDS = fieldOrder<CommandJson>()(['ran', 'why', 'outcome', 'exitCode', 'signal', 'message', 'stoppedBy', 'startedAt', 'durationMs']);

function podJson(p: FrozenPod): FrozenPod {
  return pickInOrder({ ...p, pvcs: [...p.pvcs] }, FROZEN_POD_FIELDS) as unknown as FrozenPod;
}

function summaryJson(s: WindowSummary): WindowSummary {
  return pickInOrder({
    ...s,
    longestFreeze: s.longestFreeze === null ? null : pickInOrder(s.longestFreeze, LONGEST_FREEZE_FIELDS),
    command: pickInOrder(s.command, COMMAND_SUMMARY_FIELDS),
  }, WINDOW_SUMMARY_FIELDS) as unknown as WindowSummary;
}

export function commandJson(step: CommandStep): CommandJson {
  if (!step.ran) {
    const skipped: CommandJson = { ran: false, why: step.why };
    return pickInOrder(skipped, COMMAND_FIELDS) as unknown as CommandJson;
  }
  const o = step.outcome;
  const doc: CommandJson = {
    ran: true,
    outcome: o.kind,
    exitCode: o.kind === 'exited' ? o.exitCode : null,
    signal: o.kind === 'signaled' ? o.signal : null,
    message: o.kind === 'spawn-failed' ? o.message : null,
    stoppedBy: step.stoppedBy,
    startedAt: new Date(step.startedAt).toISOString(),
    durationMs: Math.max(0, step.endedAt - step.startedAt),
  };
  return pickInOrder(doc, COMMAND_FIELDS) as unknown as CommandJson;
}

export function windowToJson(report: WindowReport, context: WindowContext, omitOutput: boolean): Record<string, unknown> {
  const { pre, post, ...fields } = context;
  const doc: WindowJson = {
    ...fields,
    kind: 'backup',
    runId: report.runId,
    status: report.status,
    namespaces: fields.namespaces === null ? null : [...fields.namespaces],
    frozen: report.frozen.map(podJson),
    notThawed: report.notThawed.map(podJson),
    summary: summaryJson(report.timeline.summary),
    freezes: report.timeline.freezes.map((f) => pickInOrder(f, POD_FREEZE_FIELDS) as unknown as PodFreeze),
    pre: runToJson(report.pre, { omitOutput, context: pre }),
    command: commandJson(report.command),
    post: runToJson(report.post, { omitOutput, context: post }),
  };
  return pickInOrder(doc, WINDOW_JSON_FIELDS);
}

export function renderWindowJson(report: WindowReport, context: WindowContext, omitOutput: boolean): string {
  return `${JSON.stringify(windowToJson(report, context, omitOutput), null, 2)}\n`;
}

/** COMMAND's step in one line. */
export function describeCommandStep(step: CommandStep): string {
  if (!step.ran) {
    return step.why === 'pre-failed'
      ? 'not run: a pre hook with onError Fail failed (--on-pre-failure continue runs it anyway)'
      : 'not run: interrupted';
  }
  const o = step.outcome;
  const what = o.kind === 'exited' ? `exited ${o.exitCode}` : o.kind === 'signaled' ? `ended by ${o.signal}` : terminalSafe(o.message);
  const why = step.stoppedBy === 'window-timeout' ? ' (stopped: --window-timeout)' : step.stoppedBy === 'interrupted' ? ' (stopped: interrupted)' : '';
  return `${what}${why} after ${formatMs(Math.max(0, step.endedAt - step.startedAt))}`;
}

const STATUS_TEXT: Readonly<Record<WindowStatus, string>> = {
  ok: 'ok: every pre hook, COMMAND and every post hook succeeded',
  'pre-failed': 'pre-failed: a pre hook failed',
  'command-failed': 'command-failed: COMMAND did not succeed',
  'window-timeout': 'window-timeout: COMMAND exceeded --window-timeout and was stopped',
  'thaw-failed': 'thaw-failed: a post hook did not succeed; pods may still be frozen',
  interrupted: 'interrupted',
};

function podList(pods: readonly FrozenPod[]): string {
  return pods.map((p) => terminalSafe(`${p.namespace}/${p.name}`)).join(', ');
}

/** `HH:MM:SS.mmm` of an ISO time, in UTC (the section header says so); `-` for none. */
function clockUtc(iso: string | null): string {
  return iso === null ? '-' : iso.slice(11, 23);
}

/**
 * `== freezes (UTC)`: one row per frozen pod (STAGE only in a plan with stages); FOR is the frozen
 * duration, `-` when the pod was not thawed. Empty when nothing was frozen.
 */
export function freezeTable(freezes: readonly PodFreeze[]): string {
  if (freezes.length === 0) return '';
  const staged = freezes.some((f) => f.stage !== null);
  const rows = [
    ['POD', ...(staged ? ['STAGE'] : []), 'FROZEN', 'THAWED', 'FOR', 'THAW'],
    ...freezes.map((f) => [
      terminalSafe(`${f.namespace}/${f.name}`),
      ...(staged ? [f.stage === null ? '-' : String(f.stage)] : []),
      clockUtc(f.frozenAt),
      clockUtc(f.thawedAt),
      f.frozenMs === null ? '-' : formatMs(f.frozenMs),
      f.thaw,
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
  return `== freezes (UTC)\n${lines.join('\n')}\n`;
}

function longestText(summary: WindowSummary): string {
  const l = summary.longestFreeze;
  return l === null ? '' : `; longest freeze ${terminalSafe(`${l.namespace}/${l.name}`)} ${formatMs(l.frozenMs)}`;
}

/** The text report: `== pre`, `== command`, `== post`, `== freezes (UTC)`, then the window's status line. */
export function renderWindowText(report: WindowReport, context: WindowContext, options: RunTextOptions): string {
  const phase = (r: WindowReport['pre']): string => renderRunText(r, options);
  const { summary } = report.timeline;
  const lines = [
    `== pre: ${report.frozen.length} pod${report.frozen.length === 1 ? '' : 's'} frozen${report.frozen.length > 0 ? ` (${podList(report.frozen)})` : ''}\n`,
    phase(report.pre),
    `== command: ${describeCommandStep(report.command)}\n`,
    `== post\n`,
    phase(report.post),
    freezeTable(report.timeline.freezes),
    `== window ${terminalSafe(report.runId)}: ${STATUS_TEXT[report.status]} (exit ${context.exitCode}): ${summary.frozen} frozen, ${summary.thawed} thawed, ${summary.notThawed} not thawed${longestText(summary)}\n`,
  ];
  if (report.notThawed.length > 0) {
    const thaw = context.journal === null ? 'run `kubehooks run post-backup` with the same file and namespaces' : `run \`kubehooks thaw --journal ${terminalSafe(context.journal)}\``;
    lines.push(`Not thawed: ${podList(report.notThawed)}\n  They may still be frozen: ${thaw}.\n`);
  }
  return lines.join('');
}
