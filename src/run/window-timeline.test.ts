/**
 * windowTimeline: per pod frozenAt / thawedAt / frozenMs / thaw from the hook results, and the
 * window's summary, one table row per shape of window.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HookResult, HookStatus, RunReport } from '../model/result.ts';
import type { CommandStep } from './quiesce-window.ts';
import { THAW_OUTCOMES, windowTimeline, type PodFreeze, type TimelineInput, type WindowSummary } from './window-timeline.ts';

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** A result of pod `pod`: started at T0+`start` ms, ran `duration` ms (null start: never started). */
function r(pod: string, phase: 'pre' | 'post', status: HookStatus, start: number | null, duration: number | null, reasonCode?: string): HookResult {
  return {
    namespace: 'db', pod, container: 'c', source: 'annotation', name: `${phase}-${start ?? 'x'}`, phase, index: 0, status,
    exitCode: status === 'succeeded' ? 0 : null, stdout: '', stderr: '', truncated: false,
    startedAt: start === null ? null : at(start), durationMs: duration, reason: status === 'succeeded' ? null : 'x',
    ...(reasonCode === undefined ? {} : { reasonCode }),
  };
}
const report = (results: HookResult[]): RunReport => ({ summary: { attempted: results.length, failed: results.filter((x) => x.status === 'failed' || x.status === 'timed-out').length }, results });
const ran = (exitCode: number, startedAt = 100, endedAt = 350): CommandStep => ({ ran: true, outcome: { kind: 'exited', exitCode }, stoppedBy: null, startedAt, endedAt });
const frozen = (...names: string[]): TimelineInput['frozen'] => names.map((name) => ({ namespace: 'db', name }));

interface Row {
  readonly what: string;
  readonly input: TimelineInput;
  readonly freezes: readonly Partial<PodFreeze>[];
  readonly summary: Partial<WindowSummary>;
}

const rows: readonly Row[] = [
  {
    what: 'thawed: frozenAt = start of the first pre exec, thawedAt = end of the last post exec',
    input: {
      frozen: frozen('a'),
      pre: report([r('a', 'pre', 'succeeded', 10, 5), r('a', 'pre', 'succeeded', 20, 30)]),
      post: report([r('a', 'post', 'succeeded', 400, 10), r('a', 'post', 'succeeded', 420, 15)]),
      command: ran(0),
    },
    freezes: [{ name: 'a', stage: null, frozenAt: at(10), thawedAt: at(435), frozenMs: 425, thaw: 'thawed' }],
    summary: { frozen: 1, thawed: 1, notThawed: 0, longestFreeze: { namespace: 'db', name: 'a', frozenMs: 425 }, command: { ran: true, exitCode: 0, signal: null, durationMs: 250, timedOut: false } },
  },
  {
    what: 'failed post: not-thawed, no thawedAt and no duration; the other pod is the longest freeze',
    input: {
      frozen: frozen('a', 'b'),
      pre: report([r('a', 'pre', 'succeeded', 0, 5), r('b', 'pre', 'succeeded', 0, 5)]),
      post: report([r('a', 'post', 'succeeded', 400, 10), r('a', 'post', 'failed', 420, 15, 'non-zero-exit'), r('b', 'post', 'succeeded', 400, 20)]),
      command: ran(3),
    },
    freezes: [
      { name: 'a', frozenAt: at(0), thawedAt: null, frozenMs: null, thaw: 'not-thawed' },
      { name: 'b', frozenAt: at(0), thawedAt: at(420), frozenMs: 420, thaw: 'thawed' },
    ],
    summary: { frozen: 2, thawed: 1, notThawed: 1, longestFreeze: { namespace: 'db', name: 'b', frozenMs: 420 }, command: { ran: true, exitCode: 3, signal: null, durationMs: 250, timedOut: false } },
  },
  {
    what: 'a post hook never run (a second signal stopped the thaw): not-thawed',
    input: {
      frozen: frozen('a'),
      pre: report([r('a', 'pre', 'succeeded', 0, 5)]),
      post: report([r('a', 'post', 'not-run', null, null, 'aborted')]),
      command: { ran: false, why: 'interrupted' },
    },
    freezes: [{ name: 'a', thawedAt: null, frozenMs: null, thaw: 'not-thawed' }],
    summary: { thawed: 0, notThawed: 1, longestFreeze: null, command: { ran: false, exitCode: null, signal: null, durationMs: null, timedOut: false } },
  },
  {
    what: 'pod gone (terminated before its thaw): pod-terminated, no thaw time, counted neither thawed nor not thawed',
    input: {
      frozen: frozen('a'),
      pre: report([r('a', 'pre', 'succeeded', 0, 5)]),
      post: report([r('a', 'post', 'not-run', null, null, 'pod-terminated')]),
      command: { ran: true, outcome: { kind: 'signaled', signal: 'SIGTERM' }, stoppedBy: 'window-timeout', startedAt: 10, endedAt: 1010 },
    },
    freezes: [{ name: 'a', frozenAt: at(0), thawedAt: null, frozenMs: null, thaw: 'pod-terminated' }],
    summary: { frozen: 1, thawed: 0, notThawed: 0, longestFreeze: null, command: { ran: true, exitCode: null, signal: 'SIGTERM', durationMs: 1000, timedOut: true } },
  },
  {
    what: 'no post hooks: no-post-hooks, nothing to thaw with',
    input: { frozen: frozen('a'), pre: report([r('a', 'pre', 'succeeded', 0, 5)]), post: report([]), command: ran(0) },
    freezes: [{ name: 'a', frozenAt: at(0), thawedAt: null, frozenMs: null, thaw: 'no-post-hooks' }],
    summary: { frozen: 1, thawed: 0, notThawed: 0, longestFreeze: null },
  },
  {
    what: 'a pre hook that failed still froze the pod (its exec opened): frozen from its start; the not-run one after it does not count',
    input: {
      frozen: frozen('a'),
      pre: report([r('a', 'pre', 'failed', 30, 5, 'non-zero-exit'), r('a', 'pre', 'not-run', null, null, 'previous-hook-failed')]),
      post: report([r('a', 'post', 'succeeded', 100, 10)]),
      command: { ran: false, why: 'pre-failed' },
    },
    freezes: [{ name: 'a', frozenAt: at(30), thawedAt: at(110), frozenMs: 80, thaw: 'thawed' }],
    summary: { longestFreeze: { namespace: 'db', name: 'a', frozenMs: 80 }, command: { ran: false, exitCode: null, signal: null, durationMs: null, timedOut: false } },
  },
  {
    what: 'several stages, reverse thaw: stage 1 is frozen first and thawed last, so it is the longest freeze; not-frozen pods are not in the timeline',
    input: {
      frozen: frozen('s1', 's2', 's3'),
      pre: report([r('s1', 'pre', 'succeeded', 0, 10), r('s2', 'pre', 'succeeded', 10, 10), r('s3', 'pre', 'succeeded', 20, 10)]),
      post: report([
        r('s3', 'post', 'succeeded', 100, 10), r('s2', 'post', 'succeeded', 110, 10), r('s1', 'post', 'succeeded', 120, 10),
        r('never', 'post', 'not-run', null, null, 'not-frozen'),
      ]),
      command: ran(0, 30, 100),
      stages: new Map([['db/s1', 1], ['db/s2', 2], ['db/s3', 3]]),
    },
    freezes: [
      { name: 's1', stage: 1, frozenAt: at(0), thawedAt: at(130), frozenMs: 130, thaw: 'thawed' },
      { name: 's2', stage: 2, frozenAt: at(10), thawedAt: at(120), frozenMs: 110, thaw: 'thawed' },
      { name: 's3', stage: 3, frozenAt: at(20), thawedAt: at(110), frozenMs: 90, thaw: 'thawed' },
    ],
    summary: { frozen: 3, thawed: 3, notThawed: 0, longestFreeze: { namespace: 'db', name: 's1', frozenMs: 130 }, command: { ran: true, exitCode: 0, signal: null, durationMs: 70, timedOut: false } },
  },
  {
    what: 'a tie for the longest freeze goes to the first pod in plan order',
    input: {
      frozen: frozen('b', 'a'),
      pre: report([r('a', 'pre', 'succeeded', 0, 5), r('b', 'pre', 'succeeded', 0, 5)]),
      post: report([r('a', 'post', 'succeeded', 50, 10), r('b', 'post', 'succeeded', 50, 10)]),
      command: ran(0),
    },
    freezes: [{ name: 'b', frozenMs: 60 }, { name: 'a', frozenMs: 60 }],
    summary: { longestFreeze: { namespace: 'db', name: 'b', frozenMs: 60 } },
  },
];

void describe('windowTimeline', () => {
  for (const row of rows) {
    void it(row.what, () => {
      const t = windowTimeline(row.input);
      assert.equal(t.freezes.length, row.freezes.length);
      row.freezes.forEach((want, i) => {
        const got = t.freezes[i];
        assert.ok(got !== undefined);
        assert.deepEqual(Object.fromEntries(Object.keys(want).map((k) => [k, got[k as keyof PodFreeze]])), want, `pod ${i}`);
        assert.ok(THAW_OUTCOMES.includes(got.thaw));
        // No duration without both ends; both ends only when thawed.
        assert.equal(got.frozenMs === null, got.thawedAt === null || got.frozenAt === null);
        if (got.thaw !== 'thawed') assert.equal(got.thawedAt, null);
      });
      assert.deepEqual(Object.fromEntries(Object.keys(row.summary).map((k) => [k, t.summary[k as keyof WindowSummary]])), row.summary);
    });
  }
});
