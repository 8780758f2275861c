import type { SkippedPod } from '../model/plan.ts';
import type { HookResult, RunKind, RunReport, RunSummary } from '../model/result.ts';
import type { ConcurrencyReport } from '../run/adaptive-limit.ts';
import { fieldOrder, pickInOrder } from './json-fields.ts';

/** What the run was, beside its results: printed by `run -o json` (see schemas/run-output.schema.json). */
export interface RunContext {
  readonly kind: RunKind;
  /** The Backup (or Schedule) the spec hooks came from; null without --backup (annotation hooks only). */
  readonly backup: string | null;
  /** The Restore the spec hooks came from; null without --restore. */
  readonly restore: string | null;
  /** The namespaces listed and watched; null = all namespaces. */
  readonly namespaces: readonly string[] | null;
  /** Pods listed in those namespaces (before any was skipped). */
  readonly podsSeen: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly kubehooksVersion: string;
  /** SIGINT or SIGTERM stopped the run (the report is partial). */
  readonly interrupted: boolean;
  /** Pods that got no hook, with the reason and its stable code (as `plan -o json` prints them). */
  readonly skipped: readonly SkippedPod[];
}

export interface RunJsonOptions {
  /** Drop captured stdout/stderr (`--no-output`): they become "" and `truncated` false. */
  readonly omitOutput?: boolean;
  /** The run's context; without it only `summary` and `results` are printed (the library's minimal form). */
  readonly context?: RunContext;
}

/** A pod and its namespace, as listed in `needsPostBackup`. */
export interface PodRefJson {
  readonly namespace: string;
  readonly pod: string;
}

/** The whole `run -o json` document, in output order. */
export interface RunJson {
  readonly kind: RunKind;
  readonly phase: 'pre' | 'post' | 'restore';
  readonly backup: string | null;
  readonly restore: string | null;
  readonly namespaces: readonly string[] | null;
  readonly kubehooksVersion: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly interrupted: boolean;
  readonly summary: RunSummary;
  readonly results: readonly HookResult[];
  readonly podsSeen: number;
  readonly skipped: readonly SkippedPod[];
  /** Pre-backup runs that did not complete: the pods where pre hooks ran, which `run post-backup` should thaw. */
  readonly needsPostBackup: readonly PodRefJson[];
}

export const RUN_JSON_FIELDS = fieldOrder<RunJson>()([
  'kind', 'phase', 'backup', 'restore', 'namespaces', 'kubehooksVersion', 'startedAt', 'finishedAt', 'interrupted',
  'summary', 'results', 'podsSeen', 'skipped', 'needsPostBackup',
]);
export const RUN_SUMMARY_FIELDS = fieldOrder<RunSummary>()(['attempted', 'failed', 'concurrency']);
export const CONCURRENCY_FIELDS = fieldOrder<ConcurrencyReport>()(['initial', 'max', 'min', 'peak', 'final', 'peakInFlight', 'adjustments', 'slowStartEnd', 'history']);
/** reasonCode is an addition after `reason`, present when the hook did not succeed. */
export const RUN_RESULT_FIELDS = fieldOrder<HookResult>()([
  'namespace', 'pod', 'container', 'source', 'name', 'phase', 'index', 'status', 'exitCode', 'stdout', 'stderr', 'truncated',
  'startedAt', 'durationMs', 'reason', 'reasonCode',
]);
export const SKIPPED_POD_FIELDS = fieldOrder<SkippedPod>()(['namespace', 'pod', 'reason', 'code']);

export function phaseOf(kind: RunKind): 'pre' | 'post' | 'restore' {
  return kind === 'pre-backup' ? 'pre' : kind === 'post-backup' ? 'post' : 'restore';
}

/**
 * A pre-backup that did not complete (a hook failed, timed out or did not run; or the run was
 * stopped) leaves the pods where pre hooks ran frozen: those are the pods `post-backup` must thaw.
 * A pre hook "ran" in a pod when its exec started (a failed or timed-out freeze may have half-applied).
 */
export function podsNeedingPostBackup(kind: RunKind, report: RunReport): PodRefJson[] {
  if (kind !== 'pre-backup') return [];
  const complete = report.results.every((r) => r.status === 'succeeded');
  if (complete) return [];
  const seen = new Map<string, PodRefJson>();
  for (const r of report.results) {
    if (r.startedAt === null) continue;
    const key = `${r.namespace}/${r.pod}`;
    if (!seen.has(key)) seen.set(key, { namespace: r.namespace, pod: r.pod });
  }
  return [...seen.values()];
}

/**
 * The `--output json` contract. Without a context: `{"summary":{"attempted","failed"},"results":[...]}`
 * (`summary.concurrency` is an addition, present when the limit adapted: ADR 0007). With one (the
 * CLI): the run's kind, phase, object, times, version, interruption and skipped pods around them.
 */
export function renderRunJson(report: RunReport, options: RunJsonOptions = {}): string {
  return JSON.stringify(runToJson(report, options), null, 2) + '\n';
}

export function runToJson(report: RunReport, options: RunJsonOptions = {}): Record<string, unknown> {
  const omit = options.omitOutput === true;
  const results = report.results.map((r) =>
    pickInOrder(omit ? { ...r, stdout: '', stderr: '', truncated: false } : r, RUN_RESULT_FIELDS),
  );
  const { concurrency } = report.summary;
  const summary = pickInOrder(
    { ...report.summary, concurrency: concurrency === undefined ? undefined : pickInOrder(concurrency, CONCURRENCY_FIELDS) as unknown as ConcurrencyReport },
    RUN_SUMMARY_FIELDS,
  );
  const c = options.context;
  if (c === undefined) return { summary, results };
  const doc: RunJson = {
    kind: c.kind,
    phase: phaseOf(c.kind),
    backup: c.backup,
    restore: c.restore,
    namespaces: c.namespaces === null ? null : [...c.namespaces],
    kubehooksVersion: c.kubehooksVersion,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    interrupted: c.interrupted,
    summary: summary as unknown as RunSummary,
    results: results as unknown as HookResult[],
    podsSeen: c.podsSeen,
    skipped: c.skipped.map((s) => pickInOrder(s, SKIPPED_POD_FIELDS) as unknown as SkippedPod),
    needsPostBackup: podsNeedingPostBackup(c.kind, report),
  };
  return pickInOrder(doc, RUN_JSON_FIELDS);
}
