/**
 * Stages of a backup plan (ADR 0019), pure: which stages there are, how long each may take, and an
 * estimate of the longest freeze of a quiesce window. A stage's bound is the longest chain of exec
 * timeouts of one pod in it (a pod's hooks run one after another, pods of a stage at once); the
 * freeze of a pod frozen in stage s lasts from its stage's start until its post stage ended.
 */
import type { Plan, PlannedHook } from '../model/plan.ts';
import { DEFAULT_STAGE } from '../velero/stages.ts';

/** `reverse` (default): post stages run last-to-first; `same`: first-to-last, as Velero's order. */
export type ThawOrder = 'reverse' | 'same';
export const THAW_ORDERS: readonly ThawOrder[] = ['reverse', 'same'];

export interface StageSummary {
  readonly stage: number;
  readonly pods: number;
  readonly hooks: number;
  /** The longest sum of exec timeouts of one pod in this stage: how long the stage may take. */
  readonly execTimeoutMs: number;
}

/** True when the plan has stages (every hook then has one). */
export function hasStages(plan: Plan): boolean {
  return plan.hooks.some((h) => h.stage !== undefined);
}

export function stageOf(hook: PlannedHook): number {
  return hook.stage ?? DEFAULT_STAGE;
}

/** The plan's stages in ascending order; one stage (0) for a plan without stages. */
export function stageSummaries(plan: Plan): StageSummary[] {
  const byStage = new Map<number, Map<string, number>>();
  const hookCount = new Map<number, number>();
  for (const h of plan.hooks) {
    if (h.type !== 'exec') continue;
    const stage = stageOf(h);
    const pods = byStage.get(stage) ?? new Map<string, number>();
    const key = `${h.namespace}/${h.pod}`;
    pods.set(key, (pods.get(key) ?? 0) + h.execTimeoutMs);
    byStage.set(stage, pods);
    hookCount.set(stage, (hookCount.get(stage) ?? 0) + 1);
  }
  return [...byStage.entries()]
    .sort(([a], [b]) => a - b)
    .map(([stage, pods]) => ({ stage, pods: pods.size, hooks: hookCount.get(stage) ?? 0, execTimeoutMs: Math.max(0, ...pods.values()) }));
}

/** Hooks grouped by stage, stages in run order (ascending, or descending for a reverse thaw). */
export function hooksByStage<H extends PlannedHook>(hooks: readonly H[], order: 'ascending' | 'descending' = 'ascending'): { readonly stage: number; readonly hooks: H[] }[] {
  const map = new Map<number, H[]>();
  for (const h of hooks) {
    const list = map.get(stageOf(h)) ?? [];
    list.push(h);
    map.set(stageOf(h), list);
  }
  const stages = [...map.keys()].sort((a, b) => (order === 'ascending' ? a - b : b - a));
  return stages.map((stage) => ({ stage, hooks: map.get(stage) ?? [] }));
}

export interface FreezeEstimate {
  /** Upper bound of the longest freeze, COMMAND's time not included: the sum of the stage bounds along the chain. */
  readonly longestFreezeMs: number;
  /** The pre stage whose pods are frozen longest. */
  readonly stage: number;
  readonly thawOrder: ThawOrder;
}

/**
 * The longest freeze of the window `pre` → COMMAND → `post`, from the exec timeouts: a pod of pre
 * stage s is frozen from the start of stage s through the later pre stages, COMMAND, and the post
 * stages up to and including s (reverse: the stages from the last down to s; same: from the first
 * up to s). undefined when nothing is frozen (no pre hook).
 */
export function estimateLongestFreeze(pre: Plan, post: Plan, thawOrder: ThawOrder = 'reverse'): FreezeEstimate | undefined {
  const preStages = stageSummaries(pre);
  const postStages = stageSummaries(post);
  let best: FreezeEstimate | undefined;
  for (const { stage } of preStages) {
    const preMs = preStages.filter((s) => s.stage >= stage).reduce((sum, s) => sum + s.execTimeoutMs, 0);
    const postMs = postStages.filter((s) => (thawOrder === 'reverse' ? s.stage >= stage : s.stage <= stage)).reduce((sum, s) => sum + s.execTimeoutMs, 0);
    const total = preMs + postMs;
    if (best === undefined || total > best.longestFreezeMs) best = { longestFreezeMs: total, stage, thawOrder };
  }
  return best;
}
