/**
 * HookRun status values as pure functions: conditions (metav1.Condition semantics: lastTransitionTime
 * moves only when the status flips), the phase from the summary, and the whole status for a journal
 * image. No I/O, no clock (times are passed in).
 */
import type { HookRunCondition, HookRunResult, HookRunSkipped, HookRunStatus, HookRunStatusPhase, HookRunSummary, PlannedPod } from './hookrun-types.ts';
import { SKIPPED_MAX_ENTRIES } from './hookrun-types.ts';
import type { SkippedPod } from '../model/plan.ts';
import { utf8Head } from './journal.ts';

export const CONDITION_ACCEPTED = 'Accepted';
export const CONDITION_COMPLETE = 'Complete';
export const CONDITION_RESUMED = 'Resumed';

export interface ConditionInput {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/** Sets `next` in `list` (by type), keeping lastTransitionTime when the status did not change. */
export function setCondition(list: readonly HookRunCondition[], next: ConditionInput, now: string, generation: number | undefined): HookRunCondition[] {
  const previous = list.find((c) => c.type === next.type);
  const condition: HookRunCondition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: utf8Head(next.message, 4096),
    lastTransitionTime: previous !== undefined && previous.status === next.status ? previous.lastTransitionTime : now,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  return [...list.filter((c) => c.type !== next.type), condition];
}

/** Every hook has a result: Succeeded when none failed, else Failed. */
export function finalPhase(summary: Pick<HookRunSummary, 'failed'>): HookRunStatusPhase {
  return summary.failed > 0 ? 'Failed' : 'Succeeded';
}

/** status.skipped: the first SKIPPED_MAX_ENTRIES pods, reasons capped. */
export function skippedEntries(skipped: readonly SkippedPod[]): HookRunSkipped[] {
  return skipped.slice(0, SKIPPED_MAX_ENTRIES).map((s) => ({ namespace: s.namespace, pod: s.pod, code: s.code, reason: utf8Head(s.reason, 512) }));
}

/** What stays fixed through a run (written with the plan) besides the journal's results. */
export interface RunFrame {
  readonly startTime: string;
  readonly observedGeneration: number | undefined;
  readonly plannedPods: readonly PlannedPod[];
  readonly outputTailBytes: number;
  readonly skipped: readonly HookRunSkipped[];
  readonly skippedCount: number;
  /** The run's HookRunJournal (ADR 0024), recorded with the plan. */
  readonly journalUID?: string | undefined;
}

export function runStatus(
  frame: RunFrame,
  image: { readonly results: readonly HookRunResult[]; readonly summary: Omit<HookRunSummary, 'skipped'> },
  conditions: readonly HookRunCondition[],
  end: { readonly phase: HookRunStatusPhase; readonly completionTime: string } | undefined,
): HookRunStatus {
  return {
    phase: end?.phase ?? 'Running',
    ...(frame.observedGeneration === undefined ? {} : { observedGeneration: frame.observedGeneration }),
    conditions,
    startTime: frame.startTime,
    ...(end === undefined ? {} : { completionTime: end.completionTime }),
    summary: { ...image.summary, skipped: frame.skippedCount },
    plannedPods: frame.plannedPods,
    outputTailBytes: frame.outputTailBytes,
    results: image.results,
    skipped: frame.skipped,
    ...(frame.journalUID === undefined ? {} : { journalUID: frame.journalUID }),
  };
}
