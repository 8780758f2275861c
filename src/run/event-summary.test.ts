import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeEvents, plannedHook } from '../testing/run-fakes.ts';
import { HookEvents, summaryEvent, summaryMessage, type EventGrouping, type PodSummary } from './event-summary.ts';
import { EventSink, type EventSubject } from './events.ts';
import { hookResult } from './results.ts';

const restore = { kind: 'Restore', namespace: 'velero', name: 'r-1' } as const;
const windowed = { kind: 'Backup', namespace: 'velero', name: 'nightly', runId: 'run-7' } as const;

const h = (pod: string, name: string, index = 0, o: Partial<PlannedHook> = {}): PlannedHook => plannedHook({ pod, container: 'app', name, index, ...o });
const ok = (hook: PlannedHook, ms = 5): HookResult => ({ ...hookResult(hook, 'succeeded', undefined, null), exitCode: 0, durationMs: ms });
const bad = (hook: PlannedHook): HookResult => hookResult(hook, 'failed', 'non-zero-exit', 'command terminated with exit code 3');
const gone = (hook: PlannedHook): HookResult => hookResult(hook, 'not-run', 'deadline', 'not run: the run deadline passed first (--deadline)');

const a0 = h('a', 'warm');
const a1 = h('a', 'check', 1);
const b0 = h('b', 'warm');
const pre = h('a', 'freeze', 0, { phase: 'pre' });
const post = h('a', 'thaw', 0, { phase: 'post' });

/** A step: a result with the pod's UID, or the end of the run. */
type Step = readonly [HookResult, string | undefined] | 'end';

interface Case {
  readonly name: string;
  readonly grouping?: EventGrouping;
  readonly hooks: readonly PlannedHook[];
  readonly steps: readonly Step[];
  /** After each step, the Events sent so far, `pod reason uid`, joined by ' | '. */
  readonly sent: readonly string[];
  readonly subject?: EventSubject;
}

const cases: readonly Case[] = [
  {
    name: 'every hook of a pod succeeds: nothing until its last, then one HooksSucceeded',
    hooks: [a0, a1, b0],
    steps: [[ok(a0), 'uid-a'], [ok(b0), 'uid-b'], [ok(a1), 'uid-a'], 'end'],
    sent: ['', 'b HooksSucceeded uid-b', 'b HooksSucceeded uid-b | a HooksSucceeded uid-a', 'b HooksSucceeded uid-b | a HooksSucceeded uid-a'],
  },
  {
    name: 'a failure is its own Warning at once; the summary says the rest when the pod ends',
    hooks: [a0, a1],
    steps: [[bad(a0), 'uid-a'], [ok(a1), 'uid-a']],
    sent: ['a HookFailed uid-a', 'a HookFailed uid-a | a HooksPartlySucceeded uid-a'],
  },
  {
    name: 'no hook of the pod succeeded: its Warnings only, no summary',
    hooks: [a0, a1],
    steps: [[bad(a0), 'uid-a'], [gone(a1), undefined], 'end'],
    sent: ['a HookFailed uid-a', 'a HookFailed uid-a | a HookNotRun -', 'a HookFailed uid-a | a HookNotRun -'],
  },
  {
    name: '--events per-hook: one Event per result as it ends (ADR 0022)',
    grouping: 'per-hook',
    hooks: [a0, a1],
    steps: [[ok(a0), 'uid-a'], [bad(a1), 'uid-a'], 'end'],
    sent: ['a HookSucceeded uid-a', 'a HookSucceeded uid-a | a HookFailed uid-a', 'a HookSucceeded uid-a | a HookFailed uid-a'],
  },
  {
    name: 'the run ends before the pod\'s last hook has a result: the summary is written then, with what ran',
    hooks: [a0, a1, b0],
    steps: [[ok(a0), 'uid-a'], [bad(b0), 'uid-b'], 'end'],
    sent: ['', 'b HookFailed uid-b', 'b HookFailed uid-b | a HooksPartlySucceeded uid-a'],
  },
  {
    name: 'pre and post hooks of one pod are two summaries (two moments: frozen, thawed)',
    hooks: [pre, post],
    steps: [[ok(pre), 'uid-a'], [ok(post), 'uid-a']],
    sent: ['a HooksSucceeded uid-a', 'a HooksSucceeded uid-a | a HooksSucceeded uid-a'],
  },
  {
    name: 'the UID is the first one a result of the pod carried (stopped hooks carry none)',
    hooks: [a0, a1],
    steps: [[gone(a0), undefined], [ok(a1), 'uid-a']],
    sent: ['a HookNotRun -', 'a HookNotRun - | a HooksPartlySucceeded uid-a'],
  },
  {
    name: 'a result after the end of the run is not lost: it is its own Event',
    hooks: [a0, a1],
    steps: [[ok(a0), 'uid-a'], 'end', [ok(a1), 'uid-a']],
    sent: ['', 'a HooksPartlySucceeded uid-a', 'a HooksPartlySucceeded uid-a | a HookSucceeded uid-a'],
  },
];

for (const c of cases) {
  void test(`hook Events: ${c.name}`, () => {
    const recorder = new FakeEvents();
    const events = new HookEvents(c.hooks, new EventSink(recorder, new FakeClock(), undefined, c.subject ?? restore), c.grouping);
    const seen: string[] = [];
    for (const step of c.steps) {
      if (step === 'end') events.endRun();
      else events.result(step[0], step[1]);
      seen.push(recorder.records.map((e) => `${e.pod} ${e.reason} ${e.podUid ?? '-'}`).join(' | '));
    }
    assert.deepEqual(seen, c.sent);
  });
}

void test('hook Events: a summary of a run backup window carries the run-id label and names the window', () => {
  const recorder = new FakeEvents();
  const events = new HookEvents([pre], new EventSink(recorder, new FakeClock(), undefined, windowed));
  events.result(ok(pre, 104), 'uid-a');
  assert.deepEqual(recorder.records, [{
    namespace: 'default', pod: 'a', podUid: 'uid-a', type: 'Normal', reason: 'HooksSucceeded',
    message: 'pre-backup hooks for Backup velero/nightly in window run-7: 1 of 1 succeeded: freeze#0 (spec) in container app in 104ms',
    labels: { 'kubehooks.dev/run-id': 'run-7' },
  }]);
});

const summary = (o: Partial<PodSummary> & Pick<PodSummary, 'succeeded'>): PodSummary => ({ namespace: 'default', pod: 'a', phase: 'restore', planned: o.succeeded.length, ended: o.succeeded.length, ...o });

const messages: readonly [string, PodSummary, EventSubject | undefined, string | RegExp][] = [
  ['all succeeded, in plan order', summary({ succeeded: [ok(a0, 104), ok(a1, 3)] }), restore,
    'post-restore hooks for Restore velero/r-1: 2 of 2 succeeded: warm#0 (spec) in container app in 104ms, check#1 (spec) in container app in 3ms'],
  ['some did not: they have Warnings of their own', summary({ planned: 3, ended: 3, succeeded: [ok(a0, 7)] }), restore,
    'post-restore hooks for Restore velero/r-1: 1 of 3 succeeded: warm#0 (spec) in container app in 7ms; 2 did not (a Warning Event each)'],
  ['the run ended first', summary({ planned: 3, ended: 2, succeeded: [ok(a0, 7)] }), undefined,
    'post-restore hooks: 1 of 3 succeeded: warm#0 (spec) in container app in 7ms; 1 did not (a Warning Event each); 1 had no result when the run ended'],
  ['control characters in a hook name are escaped', summary({ succeeded: [ok(h('a', 'x\u001b[2Jy\nz'), 1)] }), undefined,
    'post-restore hooks: 1 of 1 succeeded: x\\x1b[2Jy\\nz#0 (spec) in container app in 1ms'],
  ['a long list is cut, the counts are not', summary({ planned: 201, ended: 201, succeeded: Array.from({ length: 200 }, (_, i) => ok(h('a', `hook-with-a-long-name-${i}`, i), 10)) }), restore,
    /^post-restore hooks for Restore velero\/r-1: 200 of 201 succeeded: hook-with-a-long-name-0#0 .*in 10ms, and \d+ more; 1 did not \(a Warning Event each\)$/],
];

for (const [name, s, subject, want] of messages) {
  void test(`summary message: ${name}`, () => {
    const got = summaryMessage(s, subject);
    if (typeof want === 'string') assert.equal(got, want);
    else assert.match(got, want);
    assert.ok(got.length <= 1024, `${got.length} characters`);
  });
}

void test('summary message: the cut list says how many it left out, exactly', () => {
  const got = summaryMessage(summary({ succeeded: Array.from({ length: 200 }, (_, i) => ok(h('a', `n${i}`, i), 1)) }));
  const shown = (got.match(/ in container app in 1ms/g) ?? []).length;
  assert.match(got, new RegExp(`, and ${200 - shown} more$`));
  assert.ok(shown > 10 && shown < 200, String(shown));
});

// The API server and the recorder count the 1 KiB in UTF-8 bytes (src/kube/events.ts cuts the
// rest with "…"): a summary measured in characters lost its counts to that cut when names were
// not ASCII. Each case: the summary, and the tail that must survive whole.
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const wide: readonly [string, PodSummary, string][] = [
  ['CJK hook names (3 bytes a character)', summary({ planned: 61, ended: 61, succeeded: Array.from({ length: 60 }, (_, i) => ok(h('a', `暖機暖機暖機暖機${i}`, i), 10)) }),
    '; 1 did not (a Warning Event each)'],
  ['emoji hook names (4 bytes, two UTF-16 units)', summary({ planned: 60, ended: 59, succeeded: Array.from({ length: 58 }, (_, i) => ok(h('a', `🔥🔥🔥🔥🔥🔥${i}`, i), 10)) }),
    '; 1 did not (a Warning Event each); 1 had no result when the run ended'],
  ['one hook whose name alone is over the budget', summary({ planned: 2, ended: 2, succeeded: [ok(h('a', 'é'.repeat(600)), 1)] }),
    'and 1 more; 1 did not (a Warning Event each)'],
];
for (const [name, s, tail] of wide) {
  void test(`summary message within 1 KiB of UTF-8, counts kept: ${name}`, () => {
    const got = summaryMessage(s, restore);
    assert.ok(bytes(got) <= 1024, `${bytes(got)} bytes`);
    assert.ok(got.endsWith(tail), got.slice(-80));
    const event = summaryEvent(s, 'uid-a', restore);
    assert.equal(event.message, got, 'the Event carries the whole message');
  });
}
