/**
 * runThaw follows the window's recorded thaw order (ADR 0019): with stages 1-2-3, the owed post hooks
 * run stage by stage, 3-2-1 by default (and for a journal that predates `thawOrder`), 1-2-3 with
 * `same`; a failed stage does not stop the later ones; without stages every pod at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeExecutor, plannedHook, podWith } from '../testing/run-fakes.ts';
import { hookKey } from './hook-key.ts';
import { replayJournal, type BeginRecord, type JournalRecord } from './window-journal.ts';
import { runThaw } from './window-thaw.ts';
import type { ThawOrder } from '../plan/stages.ts';

const at = '2026-12-02T05:00:00.000Z';
const PODS = ['s1', 's2', 's3'];
const pre = (pod: string): PlannedHook => plannedHook({ pod, container: 'db', phase: 'pre', name: 'freeze', onError: 'Fail' });
const post = (pod: string, stage: number | undefined): PlannedHook =>
  plannedHook({ pod, container: 'db', phase: 'post', name: 'thaw', command: ['thaw', pod], ...(stage === undefined ? {} : { stage }) });

/** A journal cut short during COMMAND: all three pods frozen, none thawed. */
function journal(staged: boolean, thawOrder: ThawOrder | undefined): JournalRecord[] {
  const begin: BeginRecord = {
    t: 'begin', v: 1, at, runId: 'run-1', pid: 1, host: 'elsewhere', backup: 'b', file: null, kubeconfig: null, context: null,
    pods: PODS.map((p) => ({ namespace: 'default', name: p, uid: `uid-${p}` })),
    post: PODS.map((p, i) => post(p, staged ? i + 1 : undefined)),
    ...(thawOrder === undefined ? {} : { thawOrder }),
  };
  return [begin, ...PODS.flatMap((p): JournalRecord[] => [{ t: 'freezing', at, pod: `default/${p}`, hook: hookKey(pre(p)) }, { t: 'pre-ended', at, hook: hookKey(pre(p)), status: 'succeeded' }]), { t: 'command', at }];
}

/** Runs the thaw; each exec takes 100 ms of fake time (s2's fails when `failS2`). Returns `pod@startMs-endMs` in start order. */
async function thaw(records: JournalRecord[], failS2 = false): Promise<{ spans: string[]; thawed: string[]; notThawed: string[] }> {
  const clock = new FakeClock();
  const exec = new FakeExecutor(clock, (r) => ({ delayMs: 100, exitCode: failS2 && r.pod === 's2' ? 1 : 0 }));
  const appended: JournalRecord[] = [];
  const t0 = clock.now();
  const done = runThaw({
    state: replayJournal(records),
    pods: PODS.map((p) => podWith(p, { db: 'running' })),
    journal: { append: (r) => { appended.push(r); return Promise.resolve(); } },
    executor: exec,
    clock,
    signal: new AbortController().signal,
    concurrency: 8,
  });
  await clock.advance(1000);
  const report = await done;
  const spans = report.report.results
    .map((r) => ({ pod: r.pod, start: Date.parse(r.startedAt ?? '') - t0, end: Date.parse(r.startedAt ?? '') - t0 + (r.durationMs ?? 0) }))
    .sort((a, b) => a.start - b.start || a.pod.localeCompare(b.pod))
    .map((s) => `${s.pod}@${s.start}-${s.end}`);
  assert.equal(appended.filter((r) => r.t === 'thawing').length, 3, 'each owed hook run once');
  return { spans, thawed: report.thawed.map((p) => p.name), notThawed: report.notThawed.map((p) => p.name) };
}

void describe('kubehooks thaw: the recorded thaw order', () => {
  const cases: readonly [string, boolean, ThawOrder | undefined, string[]][] = [
    ['reverse (recorded): stage 3, then 2, then 1, each after the previous ended', true, 'reverse', ['s3@0-100', 's2@100-200', 's1@200-300']],
    ['no thawOrder (a journal from before it was recorded): reverse', true, undefined, ['s3@0-100', 's2@100-200', 's1@200-300']],
    ['same (Velero\'s order): stage 1, then 2, then 3', true, 'same', ['s1@0-100', 's2@100-200', 's3@200-300']],
    ['without stages: every pod at once, whatever the order', false, 'reverse', ['s1@0-100', 's2@0-100', 's3@0-100']],
  ];
  for (const [what, staged, order, want] of cases) {
    void it(what, async () => {
      const r = await thaw(journal(staged, order));
      assert.deepEqual(r.spans, want);
      assert.deepEqual(r.thawed.sort(), PODS);
    });
  }

  void it('a failed stage does not stop the later ones: every frozen pod gets its thaw', async () => {
    const r = await thaw(journal(true, 'reverse'), true);
    assert.deepEqual(r.spans, ['s3@0-100', 's2@100-200', 's1@200-300']);
    assert.deepEqual(r.notThawed, ['s2']);
    assert.deepEqual(r.thawed.sort(), ['s1', 's3']);
  });
});
