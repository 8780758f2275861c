import type { PodManifest } from '../model/pod.ts';
import { podKey } from './hook-key.ts';
import type { Clock, PodScope, PodWatcher } from './ports.ts';

export interface WaitForPodsOptions {
  readonly watcher: PodWatcher;
  readonly scope: PodScope;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Give up after this long (the pods seen so far are returned). */
  readonly timeoutMs: number;
  /**
   * After the pods are enough, keep watching until no new pod has appeared for this long (default
   * 2 s), so a Restore still creating pods gets them into one plan; bounded by `timeoutMs`.
   */
  readonly settleMs?: number;
  /** Whether the pods seen so far are enough (the CLI: the plan has at least one hook). */
  ready(pods: readonly PodManifest[]): boolean;
}

export interface WaitForPodsResult {
  readonly pods: readonly PodManifest[];
  /** `ready` held when the wait ended; false = it timed out (or was aborted) first. */
  readonly ready: boolean;
  readonly waitedMs: number;
}

/**
 * Waits for pods to appear (post-restore started before the Restore created them): one watch on the
 * scope (the watcher's list, then its changes), `ready` asked after every change, no polling. Ends
 * when ready and settled, at the timeout, or when `signal` aborts; the watch is always stopped.
 * Rejects when the watch fails for good (forbidden, unreachable on the first list).
 */
export async function waitForPods(options: WaitForPodsOptions): Promise<WaitForPodsResult> {
  const { clock } = options;
  const started = clock.now();
  const deadline = started + Math.max(0, options.timeoutMs);
  const settleMs = options.settleMs ?? 2000;
  const pods = new Map<string, PodManifest>();
  const watch = new AbortController();
  const stopWatch = (): void => {
    watch.abort();
  };
  options.signal.addEventListener('abort', stopWatch, { once: true });
  // Written by the watch's callbacks, read by the loop (an object, so neither reads a stale copy).
  const state: { lastNewAt: number; ready: boolean; failure: { error: unknown } | undefined; wake: AbortController } = {
    lastNewAt: started,
    ready: false,
    failure: undefined,
    wake: new AbortController(),
  };
  const changed = (): void => {
    state.ready = options.ready([...pods.values()]);
    state.wake.abort();
  };
  const watching = options.watcher
    .run(
      options.scope,
      {
        onEvent: (event) => {
          const key = podKey(event.pod.metadata.namespace ?? '', event.pod.metadata.name);
          if (event.type === 'deleted') pods.delete(key);
          else {
            if (!pods.has(key)) state.lastNewAt = clock.now();
            pods.set(key, event.pod);
          }
          changed();
        },
      },
      watch.signal,
    )
    .then(
      () => undefined,
      (error: unknown) => {
        state.failure = { error };
        state.wake.abort();
      },
    );
  try {
    for (;;) {
      if (state.failure !== undefined || options.signal.aborted) break;
      const now = clock.now();
      if (now >= deadline) break;
      let wakeAt = deadline;
      if (state.ready) {
        const settledAt = state.lastNewAt + settleMs;
        if (now >= settledAt) break;
        wakeAt = Math.min(wakeAt, settledAt);
      }
      state.wake = new AbortController();
      const either = AbortSignal.any([state.wake.signal, watch.signal]);
      try {
        await clock.sleep(wakeAt - now, either);
      } catch {
        // woken by a change, a failed watch or the caller's signal: look again
      }
    }
  } finally {
    options.signal.removeEventListener('abort', stopWatch);
    watch.abort();
    await watching;
  }
  if (state.failure !== undefined && !options.signal.aborted) throw state.failure.error;
  return { pods: [...pods.values()], ready: state.ready, waitedMs: clock.now() - started };
}
