import type { Plan, PlannedHook, SkippedPod, VeleroView } from '../model/plan.ts';
import type { VeleroVersion } from '../velero/profiles.ts';
import { fieldOrder, pickInOrder } from './json-fields.ts';
import { SKIPPED_POD_FIELDS } from './run-json.ts';

/** One planned hook as printed by `plan --output json`: the contract's fields (no `initContainer`). */
export type PlannedHookJson = Omit<PlannedHook, 'initContainer'>;

export interface PlanJson {
  /** The Velero version profile the plan was made for (`--velero-version`); absent without it. */
  readonly veleroVersion?: VeleroVersion;
  readonly hooks: readonly PlannedHookJson[];
  readonly skipped: readonly SkippedPod[];
}

/** Output order of `plan -o json` (schemas/plan-output.schema.json); every field of the types must be listed. */
export const PLAN_JSON_FIELDS = fieldOrder<PlanJson>()(['veleroVersion', 'hooks', 'skipped']);
export const PLANNED_HOOK_FIELDS = fieldOrder<PlannedHookJson>()([
  'namespace', 'pod', 'container', 'type', 'source', 'name', 'phase', 'index', 'command', 'onError', 'execTimeoutMs', 'waitTimeoutMs', 'waitForReady',
  'injectedBy', 'velero',
]);
export const VELERO_VIEW_FIELDS = fieldOrder<VeleroView>()(['version', 'execTimeoutMs', 'onError', 'runs', 'notes']);

export function planToJson(plan: Plan): PlanJson {
  const hooks = plan.hooks.map((h) => {
    const velero = h.velero === undefined ? undefined : (pickInOrder({ ...h.velero, notes: [...h.velero.notes] }, VELERO_VIEW_FIELDS) as unknown as VeleroView);
    return pickInOrder({ ...h, command: [...h.command], velero }, PLANNED_HOOK_FIELDS) as unknown as PlannedHookJson;
  });
  return pickInOrder(
    { veleroVersion: plan.veleroVersion, hooks, skipped: plan.skipped.map((s) => pickInOrder(s, SKIPPED_POD_FIELDS) as unknown as SkippedPod) },
    PLAN_JSON_FIELDS,
  ) as unknown as PlanJson;
}

export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(planToJson(plan), null, 2) + '\n';
}
