import type { Plan, PlannedHook, SkippedPod } from '../model/plan.ts';

/** One planned hook as printed by `plan --output json`: exactly the contract's fields (no `initContainer`). */
export type PlannedHookJson = Omit<PlannedHook, 'initContainer'>;

export interface PlanJson {
  readonly hooks: readonly PlannedHookJson[];
  readonly skipped: readonly SkippedPod[];
}

export function planToJson(plan: Plan): PlanJson {
  return {
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
    })),
    skipped: plan.skipped.map((s) => ({ namespace: s.namespace, pod: s.pod, reason: s.reason, code: s.code })),
  };
}

export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(planToJson(plan), null, 2) + '\n';
}
