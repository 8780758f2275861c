import type { Plan, PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import { describeContainers, isContainerUp, isPodTerminated, podHasExecTarget } from './container-state.ts';
import { EventSink } from './events.ts';
import { DEFAULT_MAX_OUTPUT_BYTES, execHook, type RecordedResult, type StopCause } from './exec-hook.ts';
import { podKey } from './hook-key.ts';
import type { PodEvent, PodScope, PodWatcher, WatchLifecycle } from './ports.ts';
import type { ReasonCode } from './reason-codes.ts';
import { hookResult, notRun } from './results.ts';
import { RunControl, stopReasonText } from './run-control.ts';
import { DEFAULT_EVENT_GRACE_MS, limiterFor, withConcurrency, type RunOptions } from './run-options.ts';
import { goDurationText } from './duration-text.ts';
import { HookTracker } from './tracker.ts';
import { notify } from './notify.ts';

/** How long the finished run waits for the aborted pod watch to wind down. */
export const WATCH_CLOSE_GRACE_MS = 2_000;

export interface PostRestoreRunOptions extends RunOptions {
  /** The plan's exec hooks are run; init hooks are injected elsewhere and ignored here. */
  readonly plan: Plan;
  readonly watcher: PodWatcher;
  /** What to watch: one watch for the whole run, never one per pod. */
  readonly scope: PodScope;
  /**
   * The pods the plan was made from (the CLI's list). A planned pod that the watch then finds under
   * another UID was deleted and re-created meanwhile: its hooks end `pod-deleted` rather than running
   * in the new pod. Optional: without it the first UID the watch reports is taken.
   */
  readonly listedPods?: readonly PodManifest[] | undefined;
}

interface ContainerRun {
  readonly name: string;
  readonly hooks: readonly PlannedHook[];
  /** Velero's UP rule is per container: Ready if any of its hooks asks for it (§7.2). */
  readonly waitForReady: boolean;
  next: number;
  state: 'waiting' | 'running' | 'done';
  inFlight: PlannedHook | undefined;
}

interface PodRun {
  readonly namespace: string;
  readonly name: string;
  readonly containers: ContainerRun[];
  latest: PodManifest | undefined;
  uid: string | undefined;
  stopped: boolean;
  checkedContainers: boolean;
}

/**
 * Post-restore exec hooks (velero-hooks.md §7) over one PodWatcher for the whole scope. Per
 * container: wait until Running (Ready if any of its hooks has waitForReady), then run its hooks in
 * order; containers and pods run concurrently under the global exec limit. Event handling is an
 * idempotent state machine, so replayed or duplicate watch events never run a hook twice.
 *
 * Deviations from Velero (docs/compatibility.md): a hook whose wait timed out is not executed; a hook
 * for a container the pod lacks fails at once; only `Fail` stops other hooks, and only the pod's own.
 */
export async function runPostRestoreHooks(options: PostRestoreRunOptions): Promise<RunReport> {
  const { clock } = options;
  const tracker = new HookTracker(options.plan.hooks.filter((h) => h.type === 'exec'));
  const control = new RunControl(options.signal, clock, options.deadlineMs);
  const { limit, report: concurrencyReport } = limiterFor(options);
  const sink = new EventSink(options.events, clock, options.onEventFailure);
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const startMs = clock.now();
  const pods = groupByPod(tracker.hooks);
  for (const listed of options.listedPods ?? []) {
    const pod = pods.get(podKey(listed.metadata.namespace ?? '', listed.metadata.name));
    if (pod !== undefined) pod.uid ??= listed.metadata.uid;
  }
  const chains = new Set<Promise<void>>();
  const timers = new AbortController();
  const watchCtl = new AbortController();
  let inFlight = 0;
  let finished = false;
  let watchGone = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  const progress = (): void => {
    const pending = tracker.pendingCount;
    const summary = tracker.summary();
    notify(options.onProgress, {
      total: summary.attempted,
      waiting: pending - inFlight,
      running: inFlight,
      done: summary.attempted - pending,
      failed: summary.failed,
    });
  };

  const record = (pod: PodRun, hook: PlannedHook, recorded: RecordedResult): void => {
    if (!tracker.record(hook, recorded.result, recorded.failed)) return;
    notify(options.onResult, recorded.result);
    sink.emit(recorded.result, pod.uid);
    progress();
    if (tracker.pendingCount === 0) resolveDone();
  };

  const failAll = (pod: PodRun, code: ReasonCode, reason: string): void => {
    for (const c of pod.containers) {
      for (let i = c.next; i < c.hooks.length; i++) {
        const hook = c.hooks[i];
        if (hook === undefined || hook === c.inFlight || tracker.isRecorded(hook)) continue;
        record(pod, hook, { result: notRun(hook, code, reason), failed: true });
      }
      if (c.state !== 'running') c.state = 'done';
    }
  };

  /** Ends the pod's remaining hooks (Velero records them as failed: "not executed: context canceled"). */
  const stopPod = (pod: PodRun, code: ReasonCode, reason: string): void => {
    if (pod.stopped) return;
    pod.stopped = true;
    failAll(pod, code, reason);
  };

  const afterFailure = (pod: PodRun, hook: PlannedHook): void => {
    if (hook.onError === 'Fail') {
      stopPod(pod, 'previous-hook-failed', `not run: hook ${hook.name}#${hook.index} in container ${hook.container} failed and its onError is Fail`);
    }
  };

  const waitExpired = (hook: PlannedHook): boolean =>
    hook.waitTimeoutMs !== 0 && clock.now() - startMs >= hook.waitTimeoutMs;

  const expire = (pod: PodRun, hook: PlannedHook): void => {
    const reason = `not executed: container ${hook.container} was not ${hook.waitForReady ? 'ready' : 'running'} within the wait timeout (${goDurationText(hook.waitTimeoutMs)})`;
    record(pod, hook, { result: hookResult(hook, 'timed-out', 'wait-timeout', reason), failed: true });
    afterFailure(pod, hook);
  };

  /**
   * Once the container is up its hooks run in order without checking Running/Ready again (Velero
   * checks UP once per event, then runs all the container's hooks: §7.2/§7.3), so a hook that makes the
   * readiness probe fail (a freeze) does not hold the next one (the thaw). The chain ends only when the
   * pod stops (deleted, terminated, `Fail`), or on abort or the run deadline. A hook's wait timeout is
   * checked when the chain reaches it, as in Velero.
   */
  const runChain = async (pod: PodRun, c: ContainerRun): Promise<void> => {
    while (c.next < c.hooks.length) {
      const hook = c.hooks[c.next];
      if (hook === undefined || pod.stopped || control.cause !== undefined) break;
      if (tracker.isRecorded(hook)) {
        c.next++;
        continue;
      }
      if (waitExpired(hook)) {
        expire(pod, hook);
        c.next++;
        continue;
      }
      let recorded: RecordedResult | undefined;
      try {
        recorded = await execHook(
          hook,
          { executor: options.executor, limit, maxOutputBytes },
          control.signal,
          () => control.cause,
          () => !pod.stopped && control.cause === undefined && !tracker.isRecorded(hook),
          () => {
            c.inFlight = hook;
            inFlight++;
            progress();
          },
        );
      } catch (error) {
        recorded = { result: hookResult(hook, 'failed', 'internal', `executor error: ${String(error)}`), failed: true };
      } finally {
        if (c.inFlight === hook) {
          c.inFlight = undefined;
          inFlight--;
        }
      }
      if (recorded === undefined) continue; // stopped or recorded while queued; the loop head decides
      record(pod, hook, recorded);
      c.next++;
      if (recorded.failed) afterFailure(pod, hook);
    }
    c.state = 'done';
  };

  const startChain = (pod: PodRun, c: ContainerRun): void => {
    c.state = 'running';
    const p = runChain(pod, c)
      .catch((error: unknown) => {
        // Not expected (callbacks are isolated); never leave the container's hooks pending.
        c.state = 'done';
        for (const hook of c.hooks.slice(c.next)) {
          if (hook !== c.inFlight && !tracker.isRecorded(hook)) {
            record(pod, hook, { result: hookResult(hook, 'failed', 'internal', `internal error: ${String(error)}`), failed: true });
          }
        }
      })
      .finally(() => chains.delete(p));
    chains.add(p);
  };

  const evaluate = (pod: PodRun): void => {
    const latest = pod.latest;
    if (pod.stopped || latest === undefined || control.cause !== undefined || watchGone) return;
    if (isPodTerminated(latest)) {
      stopPod(pod, 'pod-terminated', `not run: pod entered phase ${latest.status?.phase ?? ''} before the hook ran`);
      return;
    }
    if (!pod.checkedContainers) {
      pod.checkedContainers = true;
      // DEVIATION (Q4/V99): Velero discards these hooks and never records them; we fail them at once.
      // DEVIATION (Q8): a native sidecar is a target (Velero looks only at spec.containers).
      for (const c of pod.containers) {
        if (podHasExecTarget(latest, c.name)) continue;
        const have = describeContainers(latest);
        const failed = c.hooks.filter((h) => !tracker.isRecorded(h));
        for (const hook of failed) {
          record(pod, hook, {
            result: hookResult(hook, 'failed', 'no-such-container', `no such container: "${c.name}" (pod ${pod.namespace}/${pod.name} has ${have})`),
            failed: true,
          });
        }
        c.state = 'done';
        const fatal = failed.find((h) => h.onError === 'Fail');
        if (fatal !== undefined) afterFailure(pod, fatal);
        if (isStopped(pod)) return;
      }
    }
    for (const c of pod.containers) {
      if (c.state === 'waiting' && isContainerUp(latest, c.name, c.waitForReady)) startChain(pod, c);
    }
  };

  const onEvent = (event: PodEvent): void => {
    if (finished) return;
    const name = event.pod.metadata.name;
    const namespace = event.pod.metadata.namespace ?? '';
    const pod = pods.get(podKey(namespace, name));
    if (pod === undefined || pod.stopped) return;
    const uid = event.pod.metadata.uid;
    if (event.type === 'deleted') {
      if (pod.uid !== undefined && uid !== undefined && uid !== pod.uid) return; // an older incarnation
      const selector = options.scope.labelSelector;
      if (selector !== undefined && selector !== '' && event.relisted !== true && !beingDeleted(event.pod) && (pod.latest === undefined || !beingDeleted(pod.latest))) {
        stopPod(pod, 'pod-left-selector', `not run: pod ${namespace}/${name} no longer matches the selector ${selector} (its labels changed) before the hook ran`);
        return;
      }
      const orLeft = selector !== undefined && selector !== '' && event.relisted === true ? ' (or no longer matches the selector; seen on a relist)' : '';
      stopPod(pod, 'pod-deleted', `not run: pod ${namespace}/${name} was deleted${orLeft} before the hook ran`);
      return;
    }
    if (pod.uid !== undefined && uid !== undefined && uid !== pod.uid) {
      stopPod(pod, 'pod-deleted', `not run: pod ${namespace}/${name} was deleted and re-created before the hook ran`);
      return;
    }
    pod.uid ??= uid;
    pod.latest = event.pod;
    evaluate(pod);
  };

  // After a namespace's initial list, a planned pod that was not in it is gone (or out of scope).
  const onLifecycle = (event: WatchLifecycle): void => {
    if (finished || event.type !== 'listed') return;
    for (const pod of pods.values()) {
      if (pod.latest !== undefined || pod.stopped) continue;
      if (event.namespace !== undefined && event.namespace !== pod.namespace) continue;
      stopPod(pod, 'pod-not-found', `not run: pod ${pod.namespace}/${pod.name} was not found when the watch started (deleted, or outside the watched scope)`);
    }
  };

  control.onStop((cause: StopCause) => {
    for (const pod of pods.values()) failAll(pod, cause, stopReasonText(cause));
  });

  /**
   * Hooks of a container still waiting to come up whose wait timeout has passed, in order: only the
   * leading expired hooks, so a later hook never expires (and with `Fail` stops) an earlier one. The
   * rest are expired by a later timer or when the chain reaches them.
   */
  const expireWaiting = (pod: PodRun, c: ContainerRun): void => {
    while (c.state === 'waiting' && c.next < c.hooks.length && !isStopped(pod)) {
      const hook = c.hooks[c.next];
      if (hook === undefined) break;
      if (!tracker.isRecorded(hook)) {
        if (!waitExpired(hook)) return;
        expire(pod, hook);
      }
      c.next++;
    }
    if (c.state === 'waiting' && c.next >= c.hooks.length) c.state = 'done';
  };

  /**
   * The watch is gone: containers still waiting (and pods never seen) can no longer be observed and
   * their hooks end `watch-failed`; chains already running (including hooks queued for a slot) finish.
   */
  const watchLost = (reason: string): void => {
    watchGone = true;
    for (const pod of pods.values()) {
      if (pod.stopped) continue;
      for (const c of pod.containers) {
        if (c.state !== 'waiting') continue;
        for (const hook of c.hooks.slice(c.next)) {
          if (!tracker.isRecorded(hook)) record(pod, hook, { result: notRun(hook, 'watch-failed', reason), failed: true });
        }
        c.next = c.hooks.length;
        c.state = 'done';
      }
    }
  };

  // Per-hook wait timeouts, measured from the start of the run (Velero: from the start of the watch).
  const waitDeadlines = [...new Set(tracker.hooks.map((h) => h.waitTimeoutMs).filter((ms) => ms !== 0))];
  for (const ms of waitDeadlines) {
    clock.sleep(Math.max(0, ms), timers.signal).then(
      () => {
        for (const pod of pods.values()) {
          if (pod.stopped) continue;
          for (const c of pod.containers) expireWaiting(pod, c);
        }
      },
      () => undefined,
    );
  }

  progress();
  let watch: Promise<void> = Promise.resolve();
  try {
    if (tracker.pendingCount === 0) resolveDone();
    else {
      watch = options.watcher.run(options.scope, { onEvent, onLifecycle }, watchCtl.signal).then(
        () => {
          if (!watchCtl.signal.aborted) watchLost('not run: the pod watch ended unexpectedly');
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          watchLost(`not run: cannot watch pods: ${message}`);
        },
      );
    }
    await done;
    await Promise.allSettled([...chains]);
  } finally {
    finished = true;
    watchCtl.abort();
    timers.abort();
    control.dispose();
    // The watch was aborted; give it a bounded moment to close rather than trusting it to.
    const grace = new AbortController();
    await Promise.race([watch, clock.sleep(WATCH_CLOSE_GRACE_MS, grace.signal).catch(() => undefined)]);
    grace.abort();
    await Promise.allSettled([...chains]);
    await sink.flush(options.eventGraceMs ?? DEFAULT_EVENT_GRACE_MS);
  }
  tracker.finish('internal', 'no result was recorded (bug in kubehooks)');
  return withConcurrency(tracker.report(), concurrencyReport());
}

function groupByPod(hooks: readonly PlannedHook[]): Map<string, PodRun> {
  const pods = new Map<string, PodRun>();
  for (const hook of hooks) {
    const key = podKey(hook.namespace, hook.pod);
    let pod = pods.get(key);
    if (pod === undefined) {
      pod = { namespace: hook.namespace, name: hook.pod, containers: [], latest: undefined, uid: undefined, stopped: false, checkedContainers: false };
      pods.set(key, pod);
    }
    let c = pod.containers.find((x) => x.name === hook.container);
    if (c === undefined) {
      c = { name: hook.container, hooks: [], waitForReady: false, next: 0, state: 'waiting', inFlight: undefined };
      pod.containers.push(c);
    }
    (c.hooks as PlannedHook[]).push(hook);
    if (hook.waitForReady) (c as { waitForReady: boolean }).waitForReady = true;
  }
  return pods;
}

/**
 * A pod the API server is deleting carries `metadata.deletionTimestamp` (pods are always deleted
 * gracefully, also with grace 0, so the last state of a real delete has it). A watch DELETED event
 * for a pod without it, on a label-selector watch, is the API server saying the pod stopped matching
 * the selector: it sends the previous (still matching) object, so the labels cannot tell.
 */
function beingDeleted(pod: PodManifest): boolean {
  const ts = pod.metadata['deletionTimestamp'];
  return typeof ts === 'string' && ts !== '';
}

/** Read through a call: handlers flip `stopped` while we loop, which TypeScript's narrowing cannot see. */
function isStopped(pod: PodRun): boolean {
  return pod.stopped;
}
