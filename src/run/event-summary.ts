/**
 * One Event per pod and run (ADR 0023): the hooks of a pod that succeeded are written as one Normal
 * Event when the pod's last hook of the run has a result; a hook that did not succeed gets its own
 * Warning Event as it ends, so alerting never waits for the rest of the pod. `per-hook` is the old
 * behaviour (ADR 0022): one Event per hook result.
 */
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import { EVENT_MESSAGE_MAX_BYTES, eventText, hookText, PHASE_TEXT, podEvent, subjectText, utf8Bytes, type EventSink, type EventSubject } from './events.ts';
import { hookKey, podKey } from './hook-key.ts';
import type { PodEventRecord } from './ports.ts';

/** `--events`: how the hooks of a run are written as Events (`--no-events`: none). */
export const EVENT_GROUPINGS = ['per-pod', 'per-hook'] as const;
export type EventGrouping = (typeof EVENT_GROUPINGS)[number];
export const DEFAULT_EVENT_GROUPING: EventGrouping = 'per-pod';

/** The summary's reasons: every hook of the pod succeeded, or some did and the others have Warnings of their own. */
export const SUMMARY_REASON = { all: 'HooksSucceeded', some: 'HooksPartlySucceeded' } as const;

/** What one pod's summary says: its hooks of one phase in this run, the succeeded ones in plan order. */
export interface PodSummary {
  readonly namespace: string;
  readonly pod: string;
  readonly phase: HookResult['phase'];
  /** The pod's distinct hooks of this phase in the run. */
  readonly planned: number;
  /** How many of them have a result (the rest had none when the run ended). */
  readonly ended: number;
  readonly succeeded: readonly HookResult[];
}

/** Room kept after the hook list for the counts of the others, so a cut list still ends the message (UTF-8 bytes, as the cap). */
const LIST_BUDGET = EVENT_MESSAGE_MAX_BYTES - 120;

/**
 * `post-restore hooks for Restore velero/r-1: 2 of 3 succeeded: warm#0 (spec) in container web in 104ms,
 * check#1 (spec) in container web in 3ms; 1 did not (a Warning Event each)`. The list is cut to fit
 * (`, and 4 more`); the counts are never cut.
 */
export function summaryMessage(summary: PodSummary, subject?: EventSubject): string {
  // Escaped here already, so the lengths measured are the lengths sent; measured in UTF-8 bytes, as
  // the cap is (a name of 3-byte characters must not push the counts past it).
  const head = eventText(`${PHASE_TEXT[summary.phase]} hooks${subjectText(subject)}: ${summary.succeeded.length} of ${summary.planned} succeeded: `);
  let list = '';
  let used = utf8Bytes(head);
  let shown = 0;
  for (const r of summary.succeeded) {
    const item = eventText(`${shown === 0 ? '' : ', '}${hookText(r)} in ${r.durationMs ?? 0}ms`);
    const size = utf8Bytes(item);
    if (used + size > LIST_BUDGET) break;
    list += item;
    used += size;
    shown++;
  }
  const hidden = summary.succeeded.length - shown;
  if (hidden > 0) list += `${shown === 0 ? '' : ', '}and ${hidden} more`;
  const others = summary.ended - summary.succeeded.length;
  const missing = summary.planned - summary.ended;
  const tail = [
    ...(others > 0 ? [`${others} did not (a Warning Event each)`] : []),
    ...(missing > 0 ? [`${missing} had no result when the run ended`] : []),
  ];
  return head + list + (tail.length === 0 ? '' : `; ${tail.join('; ')}`);
}

export function summaryEvent(summary: PodSummary, podUid: string | undefined, subject?: EventSubject): PodEventRecord {
  const all = summary.succeeded.length === summary.planned;
  return podEvent(summary, 'Normal', all ? SUMMARY_REASON.all : SUMMARY_REASON.some, summaryMessage(summary, subject), podUid, subject);
}

interface Tally {
  readonly namespace: string;
  readonly pod: string;
  readonly phase: HookResult['phase'];
  /** Plan position of each of the pod's hooks, to list the succeeded ones in plan order. */
  readonly order: Map<string, number>;
  uid: string | undefined;
  ended: number;
  readonly succeeded: { readonly at: number; readonly result: HookResult }[];
  written: boolean;
}

/**
 * Decides which Events a run's hook results become and sends them through the sink. Fed the first
 * result of each planned hook (the recorder's), in the order they are recorded; `endRun` writes the
 * summaries still owed when the run ends before every hook of a pod has a result (nothing is dropped).
 */
export class HookEvents {
  readonly #sink: EventSink;
  readonly #grouping: EventGrouping;
  readonly #pods = new Map<string, Tally>();

  constructor(hooks: readonly PlannedHook[], sink: EventSink, grouping: EventGrouping = DEFAULT_EVENT_GROUPING) {
    this.#sink = sink;
    this.#grouping = grouping;
    if (grouping !== 'per-pod' || !sink.enabled) return;
    hooks.forEach((hook, i) => {
      const key = tallyKey(hook);
      let tally = this.#pods.get(key);
      if (tally === undefined) {
        tally = { namespace: hook.namespace, pod: hook.pod, phase: hook.phase, order: new Map(), uid: undefined, ended: 0, succeeded: [], written: false };
        this.#pods.set(key, tally);
      }
      tally.order.set(hookKey(hook), i);
    });
  }

  /** A planned hook's (first) result. */
  result(result: HookResult, podUid: string | undefined): void {
    const tally = this.#pods.get(tallyKey(result));
    if (tally === undefined || tally.written) {
      this.#sink.emit(result, podUid);
      return;
    }
    tally.uid ??= podUid;
    tally.ended++;
    if (result.status === 'succeeded') tally.succeeded.push({ at: tally.order.get(hookKey(result)) ?? 0, result });
    else this.#sink.emit(result, podUid);
    if (tally.ended >= tally.order.size) this.#write(tally);
  }

  /** The run ends: every pod with succeeded hooks whose summary is not written yet gets it now. */
  endRun(): void {
    for (const tally of this.#pods.values()) this.#write(tally);
  }

  get grouping(): EventGrouping {
    return this.#grouping;
  }

  #write(tally: Tally): void {
    if (tally.written) return;
    tally.written = true;
    if (tally.succeeded.length === 0) return; // every hook that ended has its own Warning
    const succeeded = [...tally.succeeded].sort((a, b) => a.at - b.at).map((s) => s.result);
    const summary: PodSummary = { namespace: tally.namespace, pod: tally.pod, phase: tally.phase, planned: tally.order.size, ended: tally.ended, succeeded };
    this.#sink.send(summaryEvent(summary, tally.uid, this.#sink.subject));
  }
}

function tallyKey(hook: Pick<PlannedHook, 'namespace' | 'pod' | 'phase'>): string {
  return `${podKey(hook.namespace, hook.pod)}\u0000${hook.phase}`;
}
