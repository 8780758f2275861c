/**
 * ADR 0024's recovery for one HookRun: find (or create) its HookRunJournal, then merge what the
 * journal holds into the status as stored, per planned hook, in the ADR's order:
 *   1. a final result in the HookRun status: kept;
 *   2. else an outcome in the journal: recorded with it, empty output, `truncated: true`, never run again;
 *   3. else a start in the journal, or `running` in the status: `failed`, reasonCode `interrupted`;
 *   4. else: not started, it runs.
 * A run whose status names a journal (status.journalUID) that is missing or has another uid cannot
 * know what started: every hook without a final result in the status is interrupted, nothing runs.
 * `openJournal` does the I/O (behind HookRunJournalStore); `mergeRecovery` is pure.
 */
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import { hookKey } from '../run/hook-key.ts';
import type { HookRunJournalStore } from '../kube/hookrunjournals.ts';
import type { HookRun, HookRunJournal, HookRunJournalEntry, HookRunResult } from './hookrun-types.ts';
import { HOOKRUN_API_VERSION, HOOKRUN_KIND, HOOKRUNJOURNAL_KIND } from './hookrun-types.ts';
import { INTERRUPTED_REASON, jsonHead } from './journal.ts';
import { isConflict } from './journal-writer.ts';

export type OpenedJournal =
  | { readonly kind: 'ok'; readonly object: HookRunJournal; readonly created: boolean }
  /** status.journalUID names a journal that is gone or another one: nothing may run. */
  | { readonly kind: 'lost'; readonly why: string }
  /** Another controller created the journal meanwhile: leave the run to it. */
  | { readonly kind: 'stopped'; readonly why: string };

/** The journal object for a new run: empty, under `holder`, owned by the HookRun (garbage-collected with it). */
export function newJournal(hr: HookRun, holder: string): HookRunJournal {
  const { namespace, name, uid } = hr.metadata;
  return {
    apiVersion: HOOKRUN_API_VERSION,
    kind: HOOKRUNJOURNAL_KIND,
    metadata: { name, namespace, ...(uid === undefined ? {} : { ownerReferences: [{ apiVersion: HOOKRUN_API_VERSION, kind: HOOKRUN_KIND, name, uid, controller: true }] }) },
    spec: { hookRunUID: uid ?? '', holder, entries: [] },
  };
}

/**
 * Reads the run's journal by name. With status.journalUID set it must be that object. Without, the
 * run has not recorded one yet: one of this HookRun (left by an incarnation that died before its plan
 * write) is used; one of a deleted HookRun of the same name is deleted; else it is created.
 */
export async function openJournal(store: HookRunJournalStore, hr: HookRun, holder: string, signal: AbortSignal): Promise<OpenedJournal> {
  const { namespace, name, uid } = hr.metadata;
  const recorded = hr.status?.journalUID;
  const found = await store.get(namespace, name, signal);
  if (recorded !== undefined) {
    if (found === undefined) return { kind: 'lost', why: `its HookRunJournal ${namespace}/${name} (uid ${recorded}) is gone` };
    if (found.metadata.uid !== recorded) return { kind: 'lost', why: `its HookRunJournal ${namespace}/${name} is another object (uid ${found.metadata.uid ?? '?'}, the status names ${recorded})` };
    return { kind: 'ok', object: found, created: false };
  }
  if (found !== undefined) {
    if (found.spec.hookRunUID === (uid ?? '')) return { kind: 'ok', object: found, created: false };
    await store.delete(namespace, name, found.metadata.uid ?? '', signal);
  }
  try {
    return { kind: 'ok', object: await store.create(newJournal(hr, holder), signal), created: true };
  } catch (error) {
    if (isConflict(error)) return { kind: 'stopped', why: 'another controller created the HookRunJournal meanwhile' };
    throw error;
  }
}

export interface MergedRecovery {
  /** status.results to build the Journal from: journal starts without an outcome (and, when lost, every unfinished hook) as `running`. */
  readonly results: readonly HookRunResult[];
  /** Outcomes from the journal for hooks whose final result the status lacks. */
  readonly outcomes: ReadonlyMap<string, { readonly result: HookRunResult; readonly failed: boolean }>;
  /** results with the outcomes in place: what the run knows (for applyEarlierFailures). */
  readonly known: readonly HookRunResult[];
}

const isFinal = (r: HookRunResult): boolean => r.status !== 'pending' && r.status !== 'running';

export const OUTCOME_ONLY_REASON = 'the controller stopped after it recorded this hook\'s outcome in the HookRunJournal and before it recorded its output: the outcome is kept, the output is lost';

/** The status's results merged with the journal's entries (ADR 0024's order). Pure. */
export function mergeRecovery(
  hooks: readonly PlannedHook[],
  stored: readonly HookRunResult[],
  journal: readonly HookRunJournalEntry[] | 'lost',
  options: { readonly reasonBytes: number; readonly countsAsFailed: (r: HookResult) => boolean },
): MergedRecovery {
  const entries = journal === 'lost' ? new Map<string, HookRunJournalEntry>() : new Map(journal.map((e) => [hookKey(e), e]));
  const outcomes = new Map<string, { result: HookRunResult; failed: boolean }>();
  const results: HookRunResult[] = [];
  const seen = new Set<string>();
  const fromEntry = (base: HookRunResult, e: HookRunJournalEntry): HookRunResult => {
    if (e.outcome === undefined) return { ...base, status: 'running', startedAt: e.startedAt };
    const o = e.outcome;
    const interrupted = o.reasonCode === 'interrupted';
    const result: HookRunResult = {
      ...base, status: o.status, exitCode: o.exitCode, stdout: '', stderr: '', truncated: true, startedAt: e.startedAt, durationMs: o.durationMs,
      reason: jsonHead(interrupted ? INTERRUPTED_REASON : `${o.status}: ${OUTCOME_ONLY_REASON}`, options.reasonBytes),
      ...(o.reasonCode === undefined ? {} : { reasonCode: o.reasonCode }),
    };
    outcomes.set(hookKey(base), { result, failed: options.countsAsFailed(result as HookResult) });
    return base;
  };
  for (const r of stored) {
    const key = hookKey(r);
    if (seen.has(key)) continue;
    seen.add(key);
    const e = entries.get(key);
    if (isFinal(r)) results.push(r);
    else if (journal === 'lost') results.push({ ...r, status: 'running' });
    else results.push(e === undefined ? r : fromEntry(r, e));
  }
  // Entries (or, when lost, planned hooks) the status does not list: they are accounted for all the same.
  const blank = (h: Pick<HookRunResult, 'namespace' | 'pod' | 'container' | 'source' | 'name' | 'phase' | 'index'>): HookRunResult => ({
    namespace: h.namespace, pod: h.pod, container: h.container, source: h.source, name: h.name, phase: h.phase, index: h.index,
    status: 'pending', exitCode: null, stdout: '', stderr: '', truncated: false, startedAt: null, durationMs: null, reason: null,
  });
  for (const [key, e] of entries) {
    if (seen.has(key)) continue;
    seen.add(key);
    results.push(fromEntry(blank(e), e));
  }
  if (journal === 'lost') {
    for (const h of hooks) {
      const key = hookKey(h);
      if (seen.has(key)) continue;
      seen.add(key);
      results.push({ ...blank(h), status: 'running' });
    }
  }
  const known = results.map((r) => outcomes.get(hookKey(r))?.result ?? r);
  return { results, outcomes, known };
}
