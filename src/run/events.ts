import type { HookResult } from '../model/result.ts';
import type { Clock, EventRecorder, PodEventRecord } from './ports.ts';
import { hookLabel } from './results.ts';

const EVENT_REASON = {
  succeeded: 'HookSucceeded',
  failed: 'HookFailed',
  'timed-out': 'HookTimedOut',
  'not-run': 'HookNotRun',
} as const;

export function eventForResult(result: HookResult, podUid?: string): PodEventRecord {
  const what = `hook ${hookLabel(result)} (${result.source}) in container ${result.container}`;
  const message =
    result.status === 'succeeded'
      ? `${what} succeeded in ${result.durationMs ?? 0}ms`
      : `${what} ${result.status === 'not-run' ? 'did not run' : result.status}: ${result.reason ?? ''}`;
  const base = {
    namespace: result.namespace,
    pod: result.pod,
    type: result.status === 'succeeded' ? ('Normal' as const) : ('Warning' as const),
    reason: EVENT_REASON[result.status],
    message: message.slice(0, 1024),
  };
  return podUid === undefined ? base : { ...base, podUid };
}

/**
 * Best-effort Kubernetes Events: sent in the background, never failing or delaying the hooks; at the
 * end the run waits a short grace period for them, then gives up.
 */
export class EventSink {
  readonly #recorder: EventRecorder | undefined;
  readonly #clock: Clock;
  readonly #ctl = new AbortController();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #onFailure: ((error: string) => void) | undefined;
  #failures = 0;

  constructor(recorder: EventRecorder | undefined, clock: Clock, onFailure?: (error: string) => void) {
    this.#recorder = recorder;
    this.#clock = clock;
    this.#onFailure = onFailure;
  }

  #failed(error: string): void {
    this.#failures++;
    this.#onFailure?.(error);
  }

  get failures(): number {
    return this.#failures;
  }

  emit(result: HookResult, podUid?: string): void {
    if (this.#recorder === undefined) return;
    const p = this.#recorder
      .record(eventForResult(result, podUid), this.#ctl.signal)
      .then(
        (r) => {
          if (!r.ok) this.#failed(r.error ?? 'unknown error');
        },
        (error: unknown) => {
          this.#failed(error instanceof Error ? error.message : String(error));
        },
      )
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  async flush(graceMs: number): Promise<void> {
    if (this.#pending.size === 0) return;
    const timer = new AbortController();
    try {
      await Promise.race([
        Promise.allSettled([...this.#pending]),
        this.#clock.sleep(graceMs, timer.signal).catch(() => undefined),
      ]);
    } finally {
      timer.abort();
      this.#ctl.abort();
    }
  }
}
