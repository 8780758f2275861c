import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import { hookKey } from './hook-key.ts';
import { JournalFormatError, parseJournal, replayJournal, type BeginRecord, type JournalRecord, type JournalState } from './window-journal.ts';

const at = '2026-12-02T05:00:00.000Z';
const pre = (pod: string): PlannedHook => plannedHook({ namespace: 'db', pod, container: 'c', phase: 'pre', name: 'freeze', onError: 'Fail' });
const post = (pod: string, name = 'thaw', index = 0): PlannedHook => plannedHook({ namespace: 'db', pod, container: 'c', phase: 'post', name, index });
const POST = [post('a'), post('b'), post('b', 'resume', 1), post('c')];
const begin: BeginRecord = {
  t: 'begin', v: 1, at, runId: 'run-1', pid: 4242, host: 'h', backup: 'nightly', file: 'b.yaml', kubeconfig: null, context: null,
  pods: ['a', 'b', 'c'].map((p) => ({ namespace: 'db', name: p, uid: `uid-${p}` })),
  post: POST,
};
const freezing = (pod: string): JournalRecord => ({ t: 'freezing', at, pod: `db/${pod}`, hook: hookKey(pre(pod)) });
const preEnded = (pod: string): JournalRecord => ({ t: 'pre-ended', at, hook: hookKey(pre(pod)), status: 'succeeded' });
const thawing = (h: PlannedHook): JournalRecord => ({ t: 'thawing', at, hook: hookKey(h) });
const thawed = (h: PlannedHook, status: 'succeeded' | 'failed' = 'succeeded'): JournalRecord => ({ t: 'thawed', at, hook: hookKey(h), status });

/** `pod:hook,hook` for pending pods, `pod=how` for settled ones. */
function summary(state: JournalState): string[] {
  return [
    ...state.pending.map((p) => `${p.pod.name}:${p.hooks.map((h) => h.name).join(',')}${p.interrupted.length > 0 ? `!${p.interrupted.map((h) => h.name).join(',')}` : ''}${p.freezeUnfinished ? '*' : ''}`),
    ...state.settled.map((s) => `${s.pod.name}=${s.how}`),
  ];
}

// A whole window, one record per step boundary; after each prefix (a crash right after that record
// became durable), what `kubehooks thaw` must do. `*` = a freeze whose end is not on record.
const WINDOW: [JournalRecord, string[], JournalState['step']][] = [
  [begin, [], 'planned'],
  [freezing('a'), ['a:thaw*'], 'pre'],
  [preEnded('a'), ['a:thaw'], 'pre'],
  [freezing('b'), ['a:thaw', 'b:thaw,resume*'], 'pre'],
  [preEnded('b'), ['a:thaw', 'b:thaw,resume'], 'pre'],
  [freezing('c'), ['a:thaw', 'b:thaw,resume', 'c:thaw*'], 'pre'],
  [preEnded('c'), ['a:thaw', 'b:thaw,resume', 'c:thaw'], 'pre'],
  [{ t: 'command', at }, ['a:thaw', 'b:thaw,resume', 'c:thaw'], 'command'],
  [{ t: 'command-ended', at, outcome: 'exited 0' }, ['a:thaw', 'b:thaw,resume', 'c:thaw'], 'command'],
  [thawing(post('a')), ['b:thaw,resume', 'c:thaw', 'a=interrupted'], 'post'],
  [thawed(post('a')), ['b:thaw,resume', 'c:thaw', 'a=thawed'], 'post'],
  [thawing(post('b')), ['b:resume!thaw', 'c:thaw', 'a=thawed'], 'post'],
  [thawed(post('b'), 'failed'), ['b:thaw,resume', 'c:thaw', 'a=thawed'], 'post'],
  [thawing(post('c')), ['b:thaw,resume', 'a=thawed', 'c=interrupted'], 'post'],
  [thawed(post('c')), ['b:thaw,resume', 'a=thawed', 'c=thawed'], 'post'],
  [{ t: 'end', at, by: 'window', status: 'thaw-failed' }, ['b:thaw,resume', 'a=thawed', 'c=thawed'], 'ended'],
  // A thaw retries b's failed hook and runs the one never started.
  [{ t: 'thaw-begin', at, pid: 99, host: 'h' }, ['b:thaw,resume', 'a=thawed', 'c=thawed'], 'ended'],
  [thawing(post('b')), ['b:resume!thaw', 'a=thawed', 'c=thawed'], 'post'],
  [thawed(post('b')), ['b:resume', 'a=thawed', 'c=thawed'], 'post'],
  [thawing(post('b', 'resume', 1)), ['a=thawed', 'b=interrupted', 'c=thawed'], 'post'],
  [thawed(post('b', 'resume', 1)), ['a=thawed', 'b=thawed', 'c=thawed'], 'post'],
  [{ t: 'end', at, by: 'thaw', status: 'ok' }, ['a=thawed', 'b=thawed', 'c=thawed'], 'ended'],
];

const text = (records: readonly JournalRecord[]): string => records.map((r) => `${JSON.stringify(r)}\n`).join('');

void describe('window journal: a crash after every record', () => {
  void it('replaying each prefix gives exactly the frozen, not yet thawed pods and the hooks to run', () => {
    for (let i = 1; i <= WINDOW.length; i++) {
      const records = WINDOW.slice(0, i).map(([r]) => r);
      const [, want, step] = WINDOW[i - 1] ?? [begin, [], 'planned'];
      const state = replayJournal(parseJournal(text(records)));
      assert.deepEqual(summary(state), want, `after record ${i} (${records.at(-1)?.t ?? ''})`);
      assert.equal(state.step, step, `step after record ${i}`);
    }
  });

  void it('a write torn by the crash (last line without its newline) is ignored: the state is the previous one', () => {
    for (let i = 2; i <= WINDOW.length; i++) {
      const records = WINDOW.slice(0, i).map(([r]) => r);
      const whole = text(records);
      const torn = whole.slice(0, whole.length - 1 - Math.floor(JSON.stringify(records.at(-1)).length / 2));
      const [, want] = WINDOW[i - 2] ?? [begin, []];
      assert.deepEqual(summary(replayJournal(parseJournal(torn))), want, `torn record ${i}`);
    }
  });

  void it('the owner is the last writer; ended once it recorded its end', () => {
    const records = WINDOW.map(([r]) => r);
    assert.deepEqual(replayJournal(parseJournal(text(records.slice(0, 5)))).owner, { pid: 4242, host: 'h', ended: false });
    assert.deepEqual(replayJournal(parseJournal(text(records.slice(0, 17)))).owner, { pid: 99, host: 'h', ended: false });
    assert.deepEqual(replayJournal(parseJournal(text(records))).owner, { pid: 99, host: 'h', ended: true });
    assert.equal(replayJournal(parseJournal(text(records))).thaws, 1);
  });

  void it('not-frozen (recorded freezing, exec never opened) and skipped pods are not thawed; a pod without post hooks is settled', () => {
    const noPost: BeginRecord = { ...begin, post: POST.filter((h) => h.pod !== 'c') };
    const records: JournalRecord[] = [
      noPost, freezing('a'), freezing('b'), freezing('c'), { t: 'not-frozen', at, pod: 'db/a' },
      { t: 'skipped', at, pod: 'db/b', code: 'pod-gone', reason: 'deleted' },
    ];
    assert.deepEqual(summary(replayJournal(records)), ['b=pod-gone', 'c=no-post-hooks']);
  });

  void it('--retry-interrupted runs a post hook whose start was recorded without an end', () => {
    const records = [...WINDOW.slice(0, 10).map(([r]) => r)];
    assert.deepEqual(summary(replayJournal(records)), ['b:thaw,resume', 'c:thaw', 'a=interrupted']);
    assert.deepEqual(summary(replayJournal(records, { retryInterrupted: true })), ['a:thaw', 'b:thaw,resume', 'c:thaw']);
  });

  void it('damaged journals are errors naming the line; an empty one says nothing was frozen', () => {
    const good = text([begin, freezing('a')]);
    const cases: [string, RegExp][] = [
      ['', /empty: the window stopped before it recorded anything/],
      [`${good}not json\n${JSON.stringify(freezing('b'))}\n`, /journal:3: not a JSON record/],
      [`${good}{"t":"bogus"}\n`, /journal:3: not a kubehooks window journal record/],
      [text([freezing('a')]), /the first record must be "begin"/],
      [text([{ ...begin, v: 2 }]), /journal version 2 is not supported/],
      [text([{ ...begin, thawOrder: 'sideways' as 'same' }]), /journal:1: "begin" has thawOrder "sideways" \(valid: reverse, same\)/],
    ];
    for (const [input, want] of cases) assert.throws(() => parseJournal(input), (e: unknown) => e instanceof JournalFormatError && want.test(e.message), input.slice(0, 60));
    assert.throws(() => replayJournal(parseJournal(text([begin, begin]))), /a second "begin"/);
    assert.equal(replayJournal(parseJournal(text([{ ...begin, thawOrder: 'same' }]))).begin.thawOrder, 'same');
  });
});
