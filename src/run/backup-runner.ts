import type { Plan, PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import { containerStatus, describeContainers, isPodTerminated, podHasExecTarget } from './container-state.ts';
import { EventSink } from './events.ts';
import { DEFAULT_MAX_OUTPUT_BYTES, execHook, type RecordedResult } from './exec-hook.ts';
import { podKey } from './hook-key.ts';
import { hookResult, notRun } from './results.ts';
import { RunControl, stopReasonText } from './run-control.ts';
import { DEFAULT_EVENT_GRACE_MS, limiterFor, withConcurrency, type RunOptions } from './run-options.ts';
import { HookTracker } from './tracker.ts';
import { notify } from './notify.ts';

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
  const { clock } = options;
  const tracker = new HookTracker(options.plan.hooks.filter((h) => h.type === 'exec' && h.phase !== 'restore'));
  const control = new RunControl(options.signal, clock, options.deadlineMs);
  const { limit, report: concurrencyReport } = limiterFor(options);
  const sink = new EventSink(options.events, clock, options.onEventFailure);
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const manifests = new Map(options.pods.map((p) => [podKey(p.metadata.namespace ?? '', p.metadata.name), p]));
  const inFlight = new Set<PlannedHook>();

  const progress = (): void => {
    const pending = tracker.pendingCount;
    const s = tracker.summary();
    notify(options.onProgress, { total: s.attempted, waiting: pending - inFlight.size, running: inFlight.size, done: s.attempted - pending, failed: s.failed });
  };
  const record = (hook: PlannedHook, recorded: RecordedResult, uid: string | undefined): void => {
    if (!tracker.record(hook, recorded.result, recorded.failed)) return;
    notify(options.onResult, recorded.result);
    sink.emit(recorded.result, uid);
    progress();
  };

  const runPod = async (hooks: readonly PlannedHook[]): Promise<void> => {
    const first = hooks[0];
    if (first === undefined) return;
    const pod = manifests.get(podKey(first.namespace, first.pod));
    const uid = pod?.metadata.uid;
    let failedWith: PlannedHook | undefined;
    for (const hook of hooks) {
      if (tracker.isRecorded(hook)) continue;
      if (control.cause !== undefined) break; // the stop handler records the rest
      if (failedWith !== undefined) {
        // Velero adds these to the tracker but never executes or records them: attempted, not failed.
        record(hook, { result: notRun(hook, 'previous-hook-failed', `not run: hook ${failedWith.name}#${failedWith.index} in container ${failedWith.container} failed and its onError is Fail`), failed: false }, uid);
        continue;
      }
      let recorded: RecordedResult | undefined = checkTarget(pod, hook);
      if (recorded === undefined) {
        try {
          recorded = await execHook(
            hook,
            { executor: options.executor, limit, maxOutputBytes },
            control.signal,
            () => control.cause,
            () => control.cause === undefined && !tracker.isRecorded(hook),
            () => {
              inFlight.add(hook);
              progress();
            },
          );
        } catch (error) {
          recorded = { result: hookResult(hook, 'failed', 'internal', `executor error: ${String(error)}`), failed: true };
        } finally {
          inFlight.delete(hook);
        }
        if (recorded === undefined) continue;
      }
      record(hook, recorded, uid);
      if (recorded.failed && hook.onError === 'Fail') failedWith = hook;
    }
  };

  const byPod = new Map<string, PlannedHook[]>();
  for (const hook of tracker.hooks) {
    const key = podKey(hook.namespace, hook.pod);
    const list = byPod.get(key) ?? [];
    list.push(hook);
    byPod.set(key, list);
  }
  // In-flight hooks keep their real (aborted) outcome; everything else pending becomes not-run.
  control.onStop((cause) => {
    for (const hook of tracker.hooks) {
      if (!tracker.isRecorded(hook) && !inFlight.has(hook)) {
        record(hook, { result: notRun(hook, cause, stopReasonText(cause)), failed: true }, undefined);
      }
    }
  });

  progress();
  try {
    await Promise.allSettled([...byPod.values()].map((hooks) => runPod(hooks)));
  } finally {
    control.dispose();
    await sink.flush(options.eventGraceMs ?? DEFAULT_EVENT_GRACE_MS);
  }
  tracker.finish('internal', 'no result was recorded (bug in kubehooks)');
  return withConcurrency(tracker.report(), concurrencyReport());
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
  if (!podHasExecTarget(pod, hook.container)) {
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
