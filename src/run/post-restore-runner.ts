import type { Plan } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import { podKey } from './hook-key.ts';
import type { PodEvent, PodScope, PodWatcher, WatchLifecycle } from './ports.ts';
import { restorePods, type RestoreContext } from './restore-pod.ts';
import { stopReasonText } from './run-control.ts';
import type { RunOptions } from './run-options.ts';
import { RunSession } from './run-session.ts';

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

/**
 * Post-restore exec hooks (velero-hooks.md §7) over one PodWatcher for the whole scope. Per
 * container: wait until Running (Ready if any of its hooks has waitForReady), then run its hooks in
 * order (a ContainerChain); containers and pods run concurrently under the global exec limit. Each
 * planned pod is a RestorePod that follows the watch's events; event handling is idempotent, so
 * replayed or duplicate watch events never run a hook twice.
 *
 * Deviations from Velero (docs/compatibility.md): a hook whose wait timed out is not executed; a hook
 * for a container the pod lacks fails at once; only `Fail` stops other hooks, and only the pod's own.
 */
export async function runPostRestoreHooks(options: PostRestoreRunOptions): Promise<RunReport> {
  const { clock } = options;
  const session = new RunSession(options.plan.hooks.filter((h) => h.type === 'exec'), options);
  const chains = new Set<Promise<void>>();
  let finished = false;
  let watchGone = false;
  const ctx: RestoreContext = {
    session,
    startMs: clock.now(),
    now: () => clock.now(),
    labelSelector: options.scope.labelSelector,
    watchGone: () => watchGone,
    track: (chain) => {
      const p = chain.finally(() => chains.delete(p));
      chains.add(p);
    },
  };
  const pods = restorePods(session.recorder.hooks, ctx);
  for (const listed of options.listedPods ?? []) {
    pods.get(podKey(listed.metadata.namespace ?? '', listed.metadata.name))?.expectUid(listed.metadata.uid);
  }
  const timers = new AbortController();
  const watchCtl = new AbortController();

  const onEvent = (event: PodEvent): void => {
    if (finished) return;
    pods.get(podKey(event.pod.metadata.namespace ?? '', event.pod.metadata.name))?.observe(event);
  };

  // After a namespace's initial list, a planned pod that was not in it is gone (or out of scope).
  const onLifecycle = (event: WatchLifecycle): void => {
    if (finished || event.type !== 'listed') return;
    for (const pod of pods.values()) pod.notListed(event.namespace);
  };

  session.onStop((cause) => {
    for (const pod of pods.values()) pod.endAll(cause, stopReasonText(cause));
  });

  /**
   * The watch is gone: containers still waiting (and pods never seen) can no longer be observed and
   * their hooks end `watch-failed`; chains already running (including hooks queued for a slot) finish.
   */
  const watchLost = (reason: string): void => {
    watchGone = true;
    for (const pod of pods.values()) pod.watchLost(reason);
  };

  // Per-hook wait timeouts, measured from the start of the run (Velero: from the start of the watch).
  const waitDeadlines = [...new Set(session.recorder.hooks.map((h) => h.waitTimeoutMs).filter((ms) => ms !== 0))];
  for (const ms of waitDeadlines) {
    clock.sleep(Math.max(0, ms), timers.signal).then(
      () => {
        for (const pod of pods.values()) pod.expireWaiting();
      },
      () => undefined,
    );
  }

  session.recorder.progress();
  let watch: Promise<void> = Promise.resolve();
  try {
    if (session.recorder.pendingCount > 0) {
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
    await session.recorder.allRecorded;
    await Promise.allSettled([...chains]);
  } finally {
    finished = true;
    watchCtl.abort();
    timers.abort();
    session.release();
    // The watch was aborted; give it a bounded moment to close rather than trusting it to.
    const grace = new AbortController();
    await Promise.race([watch, clock.sleep(WATCH_CLOSE_GRACE_MS, grace.signal).catch(() => undefined)]);
    grace.abort();
    await Promise.allSettled([...chains]);
    await session.close();
  }
  return session.report();
}
