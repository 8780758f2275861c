import type { Plan, PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import { containerStatus, isPodTerminated } from './container-state.ts';
import { describeContainers, isExecTarget } from '../velero/rules.ts';
import type { RecordedResult } from './exec-hook.ts';
import { podKey } from './hook-key.ts';
import { hookResult, notRun } from './results.ts';
import type { RunOptions } from './run-options.ts';
import { RunSession } from './run-session.ts';
import { stopsLaterHooks } from '../velero/profiles.ts';

export interface BackupRunOptions extends RunOptions {
  /** The plan for one phase (pre or post); only its exec hooks are run. */
  readonly plan: Plan;
  /** The pods the plan was made from, as listed now: containers are checked against them, no waiting. */
  readonly pods: readonly PodManifest[];
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
  const byPod = new Map<string, PlannedHook[]>();
  for (const hook of session.recorder.hooks) {
    const key = podKey(hook.namespace, hook.pod);
    const list = byPod.get(key) ?? [];
    list.push(hook);
    byPod.set(key, list);
  }
  // Running hooks keep their real (aborted) outcome; everything else pending becomes not-run.
  session.onStop((cause) => {
    session.recordStopped(session.recorder.hooks, cause, undefined);
  });

  session.recorder.progress();
  try {
    await Promise.allSettled(
      [...byPod.values()].map((hooks) => {
        const first = hooks[0];
        return runBackupPod(session, hooks, first === undefined ? undefined : manifests.get(podKey(first.namespace, first.pod)));
      }),
    );
  } finally {
    await session.close();
  }
  return session.report();
}

/**
 * One pod's backup hooks, strictly in order, against the pod as listed (`undefined`: not found).
 * Reusable by any driver that owns the session (the quiesce window runs it per pod and stage).
 */
export async function runBackupPod(session: RunSession, hooks: readonly PlannedHook[], pod: PodManifest | undefined): Promise<void> {
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
