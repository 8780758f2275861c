import type { HookResult } from '../model/result.ts';
import { terminalSafe } from '../report/terminal-text.ts';
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

export const PHASE_TEXT: Readonly<Record<HookResult['phase'], string>> = { pre: 'pre-backup', post: 'post-backup', restore: 'post-restore' };

/** A reason without the words the Event's own verb already says (`did not run: not run: …`). */
function stripLeading(reason: string, words: readonly string[]): string {
  const w = words.find((x) => reason.startsWith(x));
  return w === undefined ? reason : reason.slice(w.length);
}

/** ` for Backup velero/nightly in window run-7`: what every Event of the run names ('' for neither). */
export function subjectText(subject: EventSubject | undefined): string {
  const of = subject === undefined || subject.name === '' ? '' : ` for ${subject.kind} ${subject.namespace === '' ? '' : `${subject.namespace}/`}${subject.name}`;
  const window = subject?.runId === undefined ? '' : ` in window ${subject.runId}`;
  return of + window;
}

/** `freeze#0 (spec) in container postgres`: one hook in a message. */
export function hookText(hook: Pick<HookResult, 'name' | 'index' | 'source' | 'container'>): string {
  return `${hookLabel(hook)} (${hook.source}) in container ${hook.container}`;
}

/** Event messages are read in a terminal (`kubectl describe pod`): control characters become visible escapes. */
export const eventText = terminalSafe;

/**
 * `pre-backup hook freeze#0 (spec) in container postgres for Backup velero/nightly succeeded in 104ms`:
 * the phase and the Backup/Restore tell the Events of one pod apart; the outcome is said once.
 */
export function eventMessage(result: HookResult, subject?: EventSubject): string {
  const what = `${PHASE_TEXT[result.phase]} hook ${hookText(result)}${subjectText(subject)}`;
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

/**
 * Messages are capped here in UTF-8 bytes, what the API server counts (events.k8s.io's 1 KiB `note`)
 * and what the recorder caps again (src/kube/events.ts): a cap in UTF-16 units let non-ASCII text
 * through at up to 3 KiB, for the recorder to cut a summary's counts off.
 */
export const EVENT_MESSAGE_MAX_BYTES = 1024;

/** UTF-8 bytes of `text` (a lone surrogate counts 3: it is sent as U+FFFD). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest start of `text` within `maxBytes` UTF-8 bytes, never splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3 || utf8Bytes(text) <= maxBytes) return text;
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const size = utf8Bytes(ch);
    if (used + size > maxBytes) break;
    used += size;
    end += ch.length;
  }
  return text.slice(0, end);
}

/** An Event on `pod` (with its UID when known), labelled with the window's run id when there is one. */
export function podEvent(
  pod: { readonly namespace: string; readonly pod: string },
  type: PodEventRecord['type'],
  reason: string,
  message: string,
  podUid: string | undefined,
  subject: EventSubject | undefined,
): PodEventRecord {
  const base = {
    namespace: pod.namespace,
    pod: pod.pod,
    type,
    reason,
    message: cutUtf8(eventText(message), EVENT_MESSAGE_MAX_BYTES),
    ...(subject?.runId === undefined ? {} : { labels: { [RUN_ID_LABEL]: subject.runId } }),
  };
  return podUid === undefined ? base : { ...base, podUid };
}

/** One hook's own Event (`--events per-hook`, and every hook that did not succeed). */
export function eventForResult(result: HookResult, podUid?: string, subject?: EventSubject): PodEventRecord {
  return podEvent(result, result.status === 'succeeded' ? 'Normal' : 'Warning', EVENT_REASON[result.status], eventMessage(result, subject), podUid, subject);
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

  /** True when Events are recorded at all (not `--no-events`). */
  get enabled(): boolean {
    return this.#recorder !== undefined;
  }

  get subject(): EventSubject | undefined {
    return this.#subject;
  }

  emit(result: HookResult, podUid?: string): void {
    this.send(eventForResult(result, podUid, this.#subject));
  }

  /** Sends one Event in the background (a summary of the pod's hooks, or one hook's). */
  send(event: PodEventRecord): void {
    if (this.#recorder === undefined) return;
    const p = this.#recorder
      .record(event, this.#ctl.signal)
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
