import type { Plan, PlannedHook, SkippedPod, VeleroView } from '../model/plan.ts';
import type { VeleroVersion } from '../velero/profiles.ts';
import { fieldOrder, pickInOrder } from './json-fields.ts';
import { SKIPPED_POD_FIELDS } from './run-json.ts';
import type { FreezeEstimate, StageSummary } from '../plan/stages.ts';

/** A backup plan's stages (ADR 0019): given to the renderers only when the plan has stages. */
export interface PlanStagesView {
  readonly stages: readonly StageSummary[];
  /** Needs the other phase's plan too; absent when it is not known. */
  readonly longestFreeze?: FreezeEstimate | undefined;
}

/** One planned hook as printed by `plan --output json`: the contract's fields (no `initContainer`). */
export type PlannedHookJson = Omit<PlannedHook, 'initContainer'>;

export interface PlanJson {
  /** The Velero version profile the plan was made for (`--velero-version`); absent without it. */
  readonly veleroVersion?: VeleroVersion;
  readonly hooks: readonly PlannedHookJson[];
  readonly skipped: readonly SkippedPod[];
  /** The phase's stages by stage number; only in a plan with stages (ADR 0019). */
  readonly stages?: readonly StageSummary[];
  /** The estimate of the window's longest freeze, COMMAND not included; only in a plan with stages. */
  readonly longestFreeze?: FreezeEstimate;
}

/** Output order of `plan -o json` (schemas/plan-output.schema.json); every field of the types must be listed. */
export const PLAN_JSON_FIELDS = fieldOrder<PlanJson>()(['veleroVersion', 'hooks', 'skipped', 'stages', 'longestFreeze']);
export const STAGE_SUMMARY_FIELDS = fieldOrder<StageSummary>()(['stage', 'pods', 'hooks', 'execTimeoutMs']);
export const FREEZE_ESTIMATE_FIELDS = fieldOrder<FreezeEstimate>()(['longestFreezeMs', 'stage', 'thawOrder']);
export const PLANNED_HOOK_FIELDS = fieldOrder<PlannedHookJson>()([
  'namespace', 'pod', 'container', 'type', 'source', 'name', 'phase', 'index', 'command', 'onError', 'execTimeoutMs', 'waitTimeoutMs', 'waitForReady',
  'injectedBy', 'velero', 'stage',
]);
export const VELERO_VIEW_FIELDS = fieldOrder<VeleroView>()(['version', 'execTimeoutMs', 'onError', 'runs', 'notes']);

export function planToJson(plan: Plan, stages?: PlanStagesView): PlanJson {
  const hooks = plan.hooks.map((h) => {
    const velero = h.velero === undefined ? undefined : (pickInOrder({ ...h.velero, notes: [...h.velero.notes] }, VELERO_VIEW_FIELDS) as unknown as VeleroView);
    return pickInOrder({ ...h, command: [...h.command], velero }, PLANNED_HOOK_FIELDS) as unknown as PlannedHookJson;
  });
  return pickInOrder(
    {
      veleroVersion: plan.veleroVersion,
      hooks,
      skipped: plan.skipped.map((s) => pickInOrder(s, SKIPPED_POD_FIELDS) as unknown as SkippedPod),
      stages: stages?.stages.map((s) => pickInOrder(s, STAGE_SUMMARY_FIELDS) as unknown as StageSummary),
      longestFreeze: stages?.longestFreeze === undefined ? undefined : (pickInOrder(stages.longestFreeze, FREEZE_ESTIMATE_FIELDS) as unknown as FreezeEstimate),
    },
    PLAN_JSON_FIELDS,
  ) as unknown as PlanJson;
}

export function renderPlanJson(plan: Plan, stages?: PlanStagesView): string {
  return JSON.stringify(planToJson(plan, stages), null, 2) + '\n';
}
