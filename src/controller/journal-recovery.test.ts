/**
 * ADR 0024's recovery: mergeRecovery per hook in the ADR's order (a table), then through the Journal
 * (what each hook becomes and whether it may run), and openJournal's choice of journal object.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import { hookKey } from '../run/hook-key.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import type { HookRunJournalStore } from '../kube/hookrunjournals.ts';
import type { HookRun, HookRunJournal, HookRunJournalEntry, HookRunResult } from './hookrun-types.ts';
import { Journal } from './journal.ts';
import { mergeRecovery, openJournal } from './journal-recovery.ts';

const T = '2026-12-03T12:00:00.000Z';
const hook = (pod: string): PlannedHook => plannedHook({ namespace: 'db', pod, container: 'c', name: 'h', phase: 'pre', index: 0, command: ['true'] });

function stored(h: PlannedHook, status: HookRunResult['status'], extra: Partial<HookRunResult> = {}): HookRunResult {
  return { namespace: h.namespace, pod: h.pod, container: h.container, source: h.source, name: h.name, phase: h.phase, index: h.index, status, exitCode: null, stdout: status === 'succeeded' ? 'out' : '', stderr: '', truncated: false, startedAt: status === 'pending' ? null : T, durationMs: null, reason: null, ...extra };
}

function entry(h: PlannedHook, outcome?: HookRunJournalEntry['outcome']): HookRunJournalEntry {
  return { namespace: h.namespace, pod: h.pod, container: h.container, source: h.source, name: h.name, phase: h.phase, index: h.index, startedAt: T, ...(outcome === undefined ? {} : { outcome }) };
}

type Want = { status: HookRunResult['status']; reasonCode?: string; truncated?: boolean; mayStart: boolean };

void test('recovery per hook, in ADR 0024\'s order: status final > journal outcome > journal start or running > not started; a lost journal runs nothing', () => {
  const h = hook('a');
  const done = stored(h, 'succeeded', { exitCode: 0 });
  const cases: readonly (readonly [string, HookRunResult | undefined, HookRunJournalEntry[] | 'lost', Want])[] = [
    ['final in the status, outcome in the journal too', done, [entry(h, { status: 'failed', exitCode: 1, durationMs: 3 })], { status: 'succeeded', mayStart: false }],
    ['pending, outcome in the journal', stored(h, 'pending'), [entry(h, { status: 'failed', exitCode: 1, durationMs: 3, reasonCode: 'non-zero-exit' })], { status: 'failed', reasonCode: 'non-zero-exit', truncated: true, mayStart: false }],
    ['running, outcome in the journal (the outcome wins)', stored(h, 'running'), [entry(h, { status: 'succeeded', exitCode: 0, durationMs: 3 })], { status: 'succeeded', truncated: true, mayStart: false }],
    ['pending, start in the journal', stored(h, 'pending'), [entry(h)], { status: 'failed', reasonCode: 'interrupted', mayStart: false }],
    ['running in the status, nothing in the journal', stored(h, 'running'), [], { status: 'failed', reasonCode: 'interrupted', mayStart: false }],
    ['pending, nothing in the journal', stored(h, 'pending'), [], { status: 'pending', mayStart: true }],
    ['not in the status, start in the journal', undefined, [entry(h)], { status: 'failed', reasonCode: 'interrupted', mayStart: false }],
    ['lost journal, pending', stored(h, 'pending'), 'lost', { status: 'failed', reasonCode: 'interrupted', mayStart: false }],
    ['lost journal, not in the status', undefined, 'lost', { status: 'failed', reasonCode: 'interrupted', mayStart: false }],
    ['lost journal, final in the status', done, 'lost', { status: 'succeeded', mayStart: false }],
  ];
  for (const [name, status, journal, want] of cases) {
    const merged = mergeRecovery([h], status === undefined ? [] : [status], journal, { reasonBytes: 512, countsAsFailed: (r) => r.status !== 'succeeded' });
    const j = new Journal([h], { results: merged.results, journalOutcomes: merged.outcomes }, { tailBytes: 64, now: T, startsElsewhere: true });
    const r = j.results('local').find((x) => hookKey(x) === hookKey(h));
    assert.equal(r?.status, want.status, name);
    assert.equal(r.reasonCode, want.reasonCode, name);
    if (want.truncated !== undefined) assert.equal(r.truncated, want.truncated, name);
    assert.equal(j.mayStart(h), want.mayStart, name);
    if (want.truncated === true) {
      assert.equal(r.stdout, '', `${name}: no output`);
      assert.equal(j.summary('local').failed, want.status === 'succeeded' ? 0 : 1, `${name}: counted`);
      assert.equal(j.recoveredOutcomes.length, 1, name);
    }
  }
});

class Store implements HookRunJournalStore {
  object: HookRunJournal | undefined;
  readonly calls: string[] = [];
  createConflict = false;
  get(): Promise<HookRunJournal | undefined> {
    this.calls.push('get');
    return Promise.resolve(this.object);
  }
  create(j: HookRunJournal): Promise<HookRunJournal> {
    this.calls.push('create');
    if (this.createConflict) return Promise.reject(Object.assign(new Error('exists'), { statusCode: 409 }));
    this.object = { ...j, metadata: { ...j.metadata, uid: 'new', resourceVersion: '1' } };
    return Promise.resolve(this.object);
  }
  replace(): Promise<HookRunJournal> {
    return Promise.reject(new Error('not used'));
  }
  delete(_ns: string, _name: string, uid: string): Promise<void> {
    this.calls.push(`delete ${uid}`);
    this.object = undefined;
    return Promise.resolve();
  }
}

void test('openJournal: the recorded journal or lost; without one recorded: reuse ours, replace a stale one, or create', async () => {
  const hr = (journalUID?: string): HookRun => ({ apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name: 'r', namespace: 'db', uid: 'hr1' }, spec: { phase: 'pre-backup', backupRef: { name: 'b' } }, ...(journalUID === undefined ? {} : { status: { journalUID } }) });
  const obj = (uid: string, hookRunUID: string): HookRunJournal => ({ apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRunJournal', metadata: { name: 'r', namespace: 'db', uid }, spec: { hookRunUID, holder: 'x', entries: [] } });
  const signal = AbortSignal.timeout(5_000);
  const cases: readonly (readonly [string, HookRun, HookRunJournal | undefined, string, readonly string[], boolean?])[] = [
    ['recorded and there', hr('j1'), obj('j1', 'hr1'), 'ok', ['get']],
    ['recorded, gone', hr('j1'), undefined, 'lost', ['get']],
    ['recorded, another object', hr('j1'), obj('j2', 'hr1'), 'lost', ['get']],
    ['none recorded, ours there (a plan write that never happened)', hr(), obj('j3', 'hr1'), 'ok', ['get']],
    ['none recorded, a deleted HookRun\'s', hr(), obj('j4', 'old-hr'), 'ok', ['get', 'delete j4', 'create']],
    ['none recorded, none there', hr(), undefined, 'ok', ['get', 'create']],
    ['none recorded, created by another meanwhile', hr(), undefined, 'stopped', ['get', 'create'], true],
  ];
  for (const [name, run, existing, kind, calls, conflict] of cases) {
    const store = new Store();
    store.object = existing;
    store.createConflict = conflict === true;
    const opened = await openJournal(store, run, 'me', signal);
    assert.equal(opened.kind, kind, name);
    assert.deepEqual(store.calls, calls, name);
    if (opened.kind === 'ok' && calls.includes('create')) {
      assert.equal(opened.created, true, name);
      assert.equal(opened.object.spec.holder, 'me', name);
      assert.equal(opened.object.spec.hookRunUID, 'hr1', name);
      assert.deepEqual(opened.object.metadata.ownerReferences, [{ apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', name: 'r', uid: 'hr1', controller: true }], name);
    }
  }
});
