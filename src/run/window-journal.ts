/**
 * The quiesce window's crash-recovery journal (ADR 0018), as a pure state machine: records in,
 * state out, no I/O and no clock (times are in the records). The file side (durable appends, fsync,
 * atomic creation) is src/cli/window-journal-file.ts.
 *
 * The journal is JSON lines. The window writes `begin` (the run, the pods and the whole post plan:
 * `kubehooks thaw` needs no Backup file and runs exactly the hooks that were planned), then, durably
 * and before each pre hook's exec, `freezing`; `not-frozen` for a pod whose freeze was recorded but
 * whose exec was never opened (the run stopped in between); `thawing` durably before each post
 * hook's exec and `thawed` after its result; `end` when the window (or a thaw) is over. A thaw adds
 * `thaw-begin`, `skipped` (pod gone or replaced), its own `thawing`/`thawed` and `end`.
 *
 * The rules a thaw follows, from the journal alone:
 * - A pod is frozen when a `freezing` record names it and no `not-frozen` does: a pre hook whose
 *   start was recorded but whose end was not (a crash mid-exec) may have frozen the pod, so it is
 *   thawed.
 * - A frozen pod's post hook runs again unless it ended succeeded (or not-run because the pod had
 *   terminated): a failed or timed-out thaw is retried, a hook never started is run.
 * - A post hook whose start was recorded without an end (a crash mid-thaw) is not run again: a
 *   closed client stream does not stop the command in the container, which runs to its end. It is
 *   reported `interrupted`; `--retry-interrupted` runs it again.
 * - A pod recorded `skipped` (deleted, or re-created under the same name with a new UID) is done:
 *   the frozen process went with the old pod.
 */
import type { PlannedHook } from '../model/plan.ts';
import type { HookStatus } from '../model/result.ts';
import { THAW_ORDERS, type ThawOrder } from '../plan/stages.ts';
import { hookKey, podKey } from './hook-key.ts';

export const JOURNAL_VERSION = 1;

export interface JournalPodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | null;
}

export interface BeginRecord {
  readonly t: 'begin';
  readonly v: number;
  readonly at: string;
  readonly runId: string;
  readonly pid: number;
  readonly host: string;
  readonly backup: string | null;
  /** The --backup file as given (for the person reading the journal; thaw does not reread it). */
  readonly file: string | null;
  /** The connection the window used: thaw uses it unless told otherwise. */
  readonly kubeconfig: string | null;
  readonly context: string | null;
  /** The pods the pre plan names, with their UIDs as listed. */
  readonly pods: readonly JournalPodRef[];
  /** The post plan's exec hooks, as planned (PlannedHook is serialisable). */
  readonly post: readonly PlannedHook[];
  /**
   * The window's --thaw-order (ADR 0019): `thaw` runs the owed post hooks stage by stage in this
   * order. Absent in journals written before it was recorded: `reverse`, the default.
   */
  readonly thawOrder?: ThawOrder | undefined;
}

export type JournalRecord =
  | BeginRecord
  | { readonly t: 'freezing'; readonly at: string; readonly pod: string; readonly hook: string }
  | { readonly t: 'pre-ended'; readonly at: string; readonly hook: string; readonly status: HookStatus }
  | { readonly t: 'not-frozen'; readonly at: string; readonly pod: string }
  | { readonly t: 'command'; readonly at: string }
  | { readonly t: 'command-ended'; readonly at: string; readonly outcome: string }
  | { readonly t: 'thaw-begin'; readonly at: string; readonly pid: number; readonly host: string }
  | { readonly t: 'thawing'; readonly at: string; readonly hook: string }
  | { readonly t: 'thawed'; readonly at: string; readonly hook: string; readonly status: HookStatus; readonly reasonCode?: string | undefined }
  | { readonly t: 'skipped'; readonly at: string; readonly pod: string; readonly code: ThawSkipCode; readonly reason: string }
  | { readonly t: 'end'; readonly at: string; readonly by: 'window' | 'thaw'; readonly status: string };

/** Why a thaw left a frozen pod alone (stable codes). */
export type ThawSkipCode = 'pod-gone' | 'pod-replaced';

export class JournalFormatError extends Error {}

type PostState = 'unstarted' | 'started' | 'ok' | 'failed';

/** A frozen pod a thaw leaves alone, and why. */
export interface SettledPod {
  readonly pod: JournalPodRef;
  /** `interrupted`: its remaining post hooks started and their end was not recorded (not run again). */
  readonly how: 'thawed' | 'interrupted' | 'no-post-hooks' | ThawSkipCode;
  readonly interrupted: readonly PlannedHook[];
}

export interface PendingPod {
  readonly pod: JournalPodRef;
  /** Post hooks to run now, in plan order. */
  readonly hooks: readonly PlannedHook[];
  /** Post hooks whose start was recorded without an end (not run again unless retried). */
  readonly interrupted: readonly PlannedHook[];
  /** A pre hook's start was recorded without its end (crash mid-freeze). */
  readonly freezeUnfinished: boolean;
}

/** Where the window (or the last thaw) got to: the last step boundary on record. */
export type JournalStep = 'planned' | 'pre' | 'command' | 'post' | 'ended';

export interface JournalState {
  readonly begin: BeginRecord;
  readonly step: JournalStep;
  /** The last writer (window or thaw) and whether it recorded its end. */
  readonly owner: { readonly pid: number; readonly host: string; readonly ended: boolean };
  /** Pods frozen and not yet thawed or skipped, with what a thaw does for each. */
  readonly pending: readonly PendingPod[];
  /** Frozen pods already thawed (every post hook ended ok) or skipped. */
  readonly settled: readonly SettledPod[];
  /** Thaws recorded so far (thaw-begin records). */
  readonly thaws: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const RECORD_TYPES: ReadonlySet<string> = new Set(['begin', 'freezing', 'pre-ended', 'not-frozen', 'command', 'command-ended', 'thaw-begin', 'thawing', 'thawed', 'skipped', 'end']);

/**
 * Parses the journal's text. A last line without its newline that does not parse is a write torn by
 * the crash and is ignored (its record was never durable); any other bad line is an error naming it.
 */
export function parseJournal(text: string, file = 'journal'): JournalRecord[] {
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  const records: JournalRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const last = i === lines.length - 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (last && !complete) break; // torn final write
      throw new JournalFormatError(`${file}:${i + 1}: not a JSON record (the journal is damaged; it holds one JSON object per line)`);
    }
    if (!isObject(value) || typeof value['t'] !== 'string' || !RECORD_TYPES.has(value['t'])) {
      throw new JournalFormatError(`${file}:${i + 1}: not a kubehooks window journal record (field "t" must be one of ${[...RECORD_TYPES].join(', ')})`);
    }
    records.push(value as unknown as JournalRecord);
  }
  const first = records[0];
  if (first === undefined) throw new JournalFormatError(`${file}: empty: the window stopped before it recorded anything, so it froze nothing`);
  if (first.t !== 'begin') throw new JournalFormatError(`${file}:1: the first record must be "begin" (got "${first.t}")`);
  if (first.v !== JOURNAL_VERSION) throw new JournalFormatError(`${file}:1: journal version ${String(first.v)} is not supported (this kubehooks reads version ${JOURNAL_VERSION})`);
  if (!Array.isArray(first.post) || !Array.isArray(first.pods)) throw new JournalFormatError(`${file}:1: "begin" lacks its pods or post plan`);
  if (first.thawOrder !== undefined && !THAW_ORDERS.includes(first.thawOrder)) {
    throw new JournalFormatError(`${file}:1: "begin" has thawOrder ${JSON.stringify(first.thawOrder)} (valid: ${THAW_ORDERS.join(', ')})`);
  }
  return records;
}

/** Post hook outcomes that leave nothing to retry. */
export function thawDone(result: { readonly status: HookStatus; readonly reasonCode?: string | undefined }): boolean {
  return result.status === 'succeeded' || (result.status === 'not-run' && result.reasonCode === 'pod-terminated');
}

/** Replays the records into the state a thaw acts on. */
export function replayJournal(records: readonly JournalRecord[], options: { readonly retryInterrupted?: boolean } = {}): JournalState {
  const begin = records[0];
  if (begin?.t !== 'begin') throw new JournalFormatError('the first record must be "begin"');
  const podRefs = new Map(begin.pods.map((p) => [podKey(p.namespace, p.name), p]));
  const freezing = new Set<string>();
  const preStarted = new Map<string, string>(); // hook key → pod key
  const preEnded = new Set<string>();
  const notFrozen = new Set<string>();
  const skipped = new Map<string, ThawSkipCode>();
  const post = new Map<string, PostState>(begin.post.map((h) => [hookKey(h), 'unstarted']));
  let step: JournalStep = 'planned';
  let owner = { pid: begin.pid, host: begin.host, ended: false };
  let thaws = 0;
  for (const r of records.slice(1)) {
    switch (r.t) {
      case 'begin':
        throw new JournalFormatError('a second "begin" record: one journal holds one window');
      case 'freezing':
        freezing.add(r.pod);
        preStarted.set(r.hook, r.pod);
        if (step === 'planned') step = 'pre';
        break;
      case 'pre-ended':
        preEnded.add(r.hook);
        break;
      case 'not-frozen':
        notFrozen.add(r.pod);
        break;
      case 'command':
      case 'command-ended':
        step = 'command';
        break;
      case 'thaw-begin':
        thaws++;
        owner = { pid: r.pid, host: r.host, ended: false };
        break;
      case 'thawing':
        if (post.get(r.hook) !== 'ok') post.set(r.hook, 'started');
        step = 'post';
        break;
      case 'thawed':
        post.set(r.hook, thawDone(r) ? 'ok' : 'failed');
        step = 'post';
        break;
      case 'skipped':
        skipped.set(r.pod, r.code);
        break;
      case 'end':
        owner = { ...owner, ended: true };
        step = 'ended';
        break;
    }
  }
  const hooksOf = new Map<string, PlannedHook[]>();
  for (const h of begin.post) {
    const key = podKey(h.namespace, h.pod);
    hooksOf.set(key, [...(hooksOf.get(key) ?? []), h]);
  }
  const pending: PendingPod[] = [];
  const settled: SettledPod[] = [];
  for (const key of freezing) {
    if (notFrozen.has(key)) continue;
    const [namespace = '', name = ''] = key.split('/');
    const pod = podRefs.get(key) ?? { namespace, name, uid: null };
    const skip = skipped.get(key);
    if (skip !== undefined) {
      settled.push({ pod, how: skip, interrupted: [] });
      continue;
    }
    const hooks = hooksOf.get(key) ?? [];
    if (hooks.length === 0) {
      settled.push({ pod, how: 'no-post-hooks', interrupted: [] });
      continue;
    }
    const states = hooks.map((h) => post.get(hookKey(h)) ?? 'unstarted');
    const toRun = hooks.filter((_, i) => states[i] === 'unstarted' || states[i] === 'failed' || (states[i] === 'started' && options.retryInterrupted === true));
    const interrupted = hooks.filter((_, i) => states[i] === 'started' && options.retryInterrupted !== true);
    if (toRun.length === 0) {
      settled.push({ pod, how: interrupted.length > 0 ? 'interrupted' : 'thawed', interrupted });
      continue;
    }
    const unfinished = [...preStarted].some(([hook, pod]) => pod === key && !preEnded.has(hook));
    pending.push({ pod, hooks: toRun, interrupted, freezeUnfinished: unfinished });
  }
  return { begin, step, owner, pending, settled, thaws };
}
