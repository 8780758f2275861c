import type { Plan, PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import { containerStatus, isPodTerminated } from './container-state.ts';
import { describeContainers, isExecTarget } from '../velero/rules.ts';
import type { RecordedResult } from './exec-hook.ts';
import { podKey } from './hook-key.ts';
import { hookLabel, hookResult, notRun } from './results.ts';
import type { RunOptions } from './run-options.ts';
import { RunSession } from './run-session.ts';
import { stopsLaterHooks } from '../velero/profiles.ts';
import { hooksByStage } from '../plan/stages.ts';

export interface BackupRunOptions extends RunOptions {
  /** The plan for one phase (pre or post); only its exec hooks are run. */
  readonly plan: Plan;
  /** The pods the plan was made from, as listed now: containers are checked against them, no waiting. */
  readonly pods: readonly PodManifest[];
  /**
   * Stage order (ADR 0019); default: ascending for pre hooks, descending (reverse) for post hooks.
   * A plan without stages is one stage, so it does not matter there.
   */
  readonly stageOrder?: 'ascending' | 'descending' | undefined;
}

/**
 * Backup pre/post exec hooks (velero-hooks.md §5): per pod, hooks in plan order; the target container
 * must exist and be running in the pod as listed; `Fail` stops the pod's later hooks (not-run,
 * counted as attempted but not failed, as Velero does); `Continue`/unset goes on. A pod already
 * Succeeded/Failed gets no exec (Velero returns success): not-run `pod-terminated`, not failed.
 * Velero runs pods one after another within an ItemBlock; we run pods concurrently under the
 * global limit, each pod's hooks still strictly in order.
 */
export async function runBackupHooks(options: BackupRunOptions): Promise<RunReport> {
  const session = new RunSession(
    options.plan.hooks.filter((h) => h.type === 'exec' && h.phase !== 'restore'),
    options,
  );
  const manifests = new Map(options.pods.map((p) => [podKey(p.metadata.namespace ?? '', p.metadata.name), p]));
  // Running hooks keep their real (aborted) outcome; everything else pending becomes not-run.
  session.onStop((cause) => {
    session.recordStopped(session.recorder.hooks, cause, undefined);
  });

  session.recorder.progress();
  try {
    const pre = options.plan.hooks.some((h) => h.phase === 'pre');
    await runBackupStages(session, session.recorder.hooks, manifests, {
      order: options.stageOrder ?? (pre ? 'ascending' : 'descending'),
      stopAfterFailedStage: pre,
    });
  } finally {
    await session.close();
  }
  return session.report();
}

/**
 * One pod's backup hooks, strictly in order, against the pod as listed (`undefined`: not found).
 * Reusable by any driver that owns the session (the quiesce window runs it per pod and stage).
 * Returns the hook whose failure (onError Fail) stopped the pod's later hooks, if one did.
 */
export async function runBackupPod(session: RunSession, hooks: readonly PlannedHook[], pod: PodManifest | undefined): Promise<PlannedHook | undefined> {
  const { recorder } = session;
  const uid = pod?.metadata.uid;
  let failedWith: PlannedHook | undefined;
  for (const hook of hooks) {
    if (recorder.isRecorded(hook)) continue;
    if (session.cause !== undefined) break; // the stop handler records the rest
    if (failedWith !== undefined) {
      // Velero adds these to the tracker but never executes or records them: attempted, not failed.
      const reason = `not run: hook ${failedWith.name}#${failedWith.index} in container ${failedWith.container} failed and its onError is ${failedWith.onError}`;
      recorder.record(hook, { result: notRun(hook, 'previous-hook-failed', reason), failed: false }, uid);
      continue;
    }
    const refused = checkTarget(pod, hook);
    if (refused !== undefined) recorder.record(hook, refused, uid);
    const recorded = refused ?? (await session.execute(hook, { podUid: uid }));
    if (recorded?.failed === true && stopsLaterHooks(hook.onError)) failedWith = hook;
  }
  return failedWith;
}

/** The "container must exist and be running" check against the pod as listed; undefined = go ahead. */
function checkTarget(pod: PodManifest | undefined, hook: PlannedHook): RecordedResult | undefined {
  if (pod === undefined) {
    return { result: hookResult(hook, 'failed', 'pod-not-found', `pod ${hook.namespace}/${hook.pod} was not found`), failed: true };
  }
  if (isPodTerminated(pod)) {
    // Velero's executor logs "Pod entered phase … before some … exec hooks ran" and returns success.
    return { result: notRun(hook, 'pod-terminated', `not run: pod is in phase ${pod.status?.phase ?? ''} (Velero counts this as success)`), failed: false };
  }
  if (!isExecTarget(pod, hook.container)) {
    return { result: hookResult(hook, 'failed', 'no-such-container', `no such container: "${hook.container}" (pod ${hook.namespace}/${hook.pod} has ${describeContainers(pod)})`), failed: true };
  }
  const status = containerStatus(pod, hook.container);
  if (status?.state?.running === undefined) {
    const waiting = status?.state?.waiting?.reason ?? (status?.state?.terminated !== undefined ? 'terminated' : 'no status yet');
    return {
      result: hookResult(hook, 'failed', 'container-not-running', `container "${hook.container}" is not running (${waiting})`),
      failed: true,
    };
  }
  return undefined;
}

export interface StageRunOptions {
  /** Pre hooks: ascending. Post hooks: descending (`--thaw-order reverse`, the default) or ascending (`same`). */
  readonly order: 'ascending' | 'descending';
  /**
   * true (pre hooks): a hook with onError Fail that failed ends its stage as failed and the later
   * stages do not start (their hooks are not-run `previous-stage-failed`, attempted, not failed).
   * false (post hooks): every stage runs, so every frozen pod is thawed.
   */
  readonly stopAfterFailedStage: boolean;
  /** Called as each stage starts and ends (the window report, the benchmark). */
  readonly onStage?: ((stage: number, phase: 'start' | 'end') => void) | undefined;
}

/** The first Fail hook that failed in a stage, or undefined. */
export interface StageOutcome {
  readonly failedStage?: { readonly stage: number; readonly hook: PlannedHook } | undefined;
}

/**
 * Backup hooks in stages (ADR 0019): every pod's hooks of one stage finish before the next stage
 * starts; within a stage, pods run concurrently under the session's limit, each pod's hooks in plan
 * order (runBackupPod). A plan without stages is one stage: exactly the unstaged behaviour.
 */
export async function runBackupStages(
  session: RunSession,
  hooks: readonly PlannedHook[],
  manifests: ReadonlyMap<string, PodManifest>,
  options: StageRunOptions,
): Promise<StageOutcome> {
  let failedStage: StageOutcome['failedStage'];
  for (const { stage, hooks: stageHooks } of hooksByStage(hooks, options.order)) {
    if (session.cause !== undefined) break; // the stop handler records the rest
    if (failedStage !== undefined) {
      const { hook } = failedStage;
      const reason = `not run: stage ${failedStage.stage} failed (hook ${hookLabel(hook)} in ${hook.namespace}/${hook.pod} container ${hook.container}, onError ${hook.onError}), so stage ${stage} did not start`;
      for (const h of stageHooks) {
        if (!session.recorder.isRecorded(h)) session.recorder.record(h, { result: notRun(h, 'previous-stage-failed', reason), failed: false }, manifests.get(podKey(h.namespace, h.pod))?.metadata.uid);
      }
      continue;
    }
    options.onStage?.(stage, 'start');
    const failures = await Promise.all(
      [...byPod(stageHooks)].map(([key, podHooks]) => runBackupPod(session, podHooks, manifests.get(key)).catch(() => undefined)),
    );
    options.onStage?.(stage, 'end');
    const failed = failures.find((f) => f !== undefined);
    if (failed !== undefined && options.stopAfterFailedStage) failedStage = { stage, hook: failed };
  }
  return { failedStage };
}

/** Hooks by pod, in first-seen order. */
export function byPod(hooks: readonly PlannedHook[]): Map<string, PlannedHook[]> {
  const map = new Map<string, PlannedHook[]>();
  for (const hook of hooks) {
    const key = podKey(hook.namespace, hook.pod);
    const list = map.get(key) ?? [];
    list.push(hook);
    map.set(key, list);
  }
  return map;
}
