import type { HookResult } from '../model/result.ts';
import type { Clock, EventRecorder, PodEventRecord } from './ports.ts';
import { hookLabel } from './results.ts';

const EVENT_REASON = {
  succeeded: 'HookSucceeded',
  failed: 'HookFailed',
  'timed-out': 'HookTimedOut',
  'not-run': 'HookNotRun',
} as const;

/** The Backup or Restore a run's hooks belong to, named in every Event (absent: annotation hooks only). */
export interface EventSubject {
  readonly kind: 'Backup' | 'Schedule' | 'Restore';
  readonly namespace: string;
  /** '' = no Backup/Restore object (annotation hooks only): the message names none. */
  readonly name: string;
  /**
   * The `run backup` window (ADR 0018) the hooks belong to: the message says `in window RUN-ID` and
   * the Event carries the label `kubehooks.dev/run-id`.
   */
  readonly runId?: string | undefined;
}

/** The label naming the quiesce window on its Events (ADR 0018). */
export const RUN_ID_LABEL = 'kubehooks.dev/run-id';

const PHASE_TEXT: Readonly<Record<HookResult['phase'], string>> = { pre: 'pre-backup', post: 'post-backup', restore: 'post-restore' };

/** A reason without the words the Event's own verb already says (`did not run: not run: …`). */
function stripLeading(reason: string, words: readonly string[]): string {
  const w = words.find((x) => reason.startsWith(x));
  return w === undefined ? reason : reason.slice(w.length);
}

/**
 * `pre-backup hook freeze#0 (spec) in container postgres for Backup velero/nightly succeeded in 104ms`:
 * the phase and the Backup/Restore tell the Events of one pod apart; the outcome is said once.
 */
export function eventMessage(result: HookResult, subject?: EventSubject): string {
  const of = subject === undefined || subject.name === '' ? '' : ` for ${subject.kind} ${subject.namespace === '' ? '' : `${subject.namespace}/`}${subject.name}`;
  const window = subject?.runId === undefined ? '' : ` in window ${subject.runId}`;
  const what = `${PHASE_TEXT[result.phase]} hook ${hookLabel(result)} (${result.source}) in container ${result.container}${of}${window}`;
  const reason = result.reason ?? '';
  switch (result.status) {
    case 'succeeded':
      return `${what} succeeded in ${result.durationMs ?? 0}ms`;
    case 'failed':
      return `${what} failed: ${reason}`;
    case 'not-run':
      return `${what} did not run: ${stripLeading(reason, ['not run: ', 'not executed: '])}`;
    case 'timed-out':
      if (reason.startsWith('not executed: ')) return `${what} timed out before it ran: ${reason.slice('not executed: '.length)}`;
      // `timed out after 30s` already says it.
      return reason.startsWith('timed out') ? `${what} ${reason}` : `${what} timed out: ${reason}`;
  }
}

export function eventForResult(result: HookResult, podUid?: string, subject?: EventSubject): PodEventRecord {
  const message = eventMessage(result, subject);
  const base = {
    namespace: result.namespace,
    pod: result.pod,
    type: result.status === 'succeeded' ? ('Normal' as const) : ('Warning' as const),
    reason: EVENT_REASON[result.status],
    message: message.slice(0, 1024),
    ...(subject?.runId === undefined ? {} : { labels: { [RUN_ID_LABEL]: subject.runId } }),
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

  readonly #subject: EventSubject | undefined;

  constructor(recorder: EventRecorder | undefined, clock: Clock, onFailure?: (error: string) => void, subject?: EventSubject) {
    this.#recorder = recorder;
    this.#subject = subject;
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
      .record(eventForResult(result, podUid, this.#subject), this.#ctl.signal)
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
