import type { Plan, PlannedHook, SkippedPod } from '../model/plan.ts';
import type { VeleroVersion } from '../velero/profiles.ts';

/** One planned hook as printed by `plan --output json`: the contract's fields (no `initContainer`). */
export type PlannedHookJson = Omit<PlannedHook, 'initContainer'>;

export interface PlanJson {
  /** The `--velero-version` profile that `hooks[].velero` describes (added with the profiles). */
  readonly veleroVersion?: VeleroVersion;
  readonly hooks: readonly PlannedHookJson[];
  readonly skipped: readonly SkippedPod[];
}

export function planToJson(plan: Plan): PlanJson {
  return {
    ...(plan.veleroVersion === undefined ? {} : { veleroVersion: plan.veleroVersion }),
    hooks: plan.hooks.map((h) => ({
      namespace: h.namespace,
      pod: h.pod,
      container: h.container,
      type: h.type,
      source: h.source,
      name: h.name,
      phase: h.phase,
      index: h.index,
      command: [...h.command],
      onError: h.onError,
      execTimeoutMs: h.execTimeoutMs,
      waitTimeoutMs: h.waitTimeoutMs,
      waitForReady: h.waitForReady,
      ...(h.injectedBy === undefined ? {} : { injectedBy: h.injectedBy }),
      ...(h.velero === undefined ? {} : { velero: { ...h.velero, notes: [...h.velero.notes] } }),
    })),
    skipped: plan.skipped.map((s) => ({ namespace: s.namespace, pod: s.pod, reason: s.reason, code: s.code })),
  };
}

export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(planToJson(plan), null, 2) + '\n';
}
