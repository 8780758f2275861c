import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HookResult } from '../model/result.ts';
import { countsAsFailed, selectorString } from './hookrun-run.ts';

void test('selectorString: metav1.LabelSelector to the string form, every operator', () => {
  const cases: readonly (readonly [Parameters<typeof selectorString>[0], string | undefined])[] = [
    [undefined, undefined],
    [{}, undefined],
    [{ matchLabels: { app: 'db', tier: 'x' } }, 'app=db,tier=x'],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }, { key: 'b', operator: 'NotIn', values: ['3'] }, { key: 'c', operator: 'Exists' }, { key: 'd', operator: 'DoesNotExist' }] }, 'a in (1,2),b notin (3),c,!d'],
    [{ matchLabels: { app: 'db' }, matchExpressions: [{ key: 'c', operator: 'Exists' }] }, 'app=db,c'],
  ];
  for (const [selector, want] of cases) assert.equal(selectorString(selector), want, JSON.stringify(selector));
});

void test('countsAsFailed: Velero\'s counting, as the runners record it', () => {
  const r = (status: HookResult['status'], reasonCode?: string): HookResult => ({
    namespace: 'n', pod: 'p', container: 'c', source: 'spec', name: 'h', phase: 'pre', index: 0, status, exitCode: null, stdout: '', stderr: '', truncated: false, startedAt: null, durationMs: null, reason: null,
    ...(reasonCode === undefined ? {} : { reasonCode }),
  });
  const cases: readonly (readonly [HookResult, 'backup' | 'restore', boolean])[] = [
    [r('succeeded'), 'backup', false],
    [r('failed', 'non-zero-exit'), 'backup', true],
    [r('timed-out', 'exec-timeout'), 'restore', true],
    [r('not-run', 'previous-hook-failed'), 'backup', false],
    [r('not-run', 'pod-terminated'), 'backup', false],
    [r('not-run', 'deadline'), 'backup', true],
    [r('not-run', 'previous-hook-failed'), 'restore', true],
    [r('not-run', 'pod-deleted'), 'restore', true],
  ];
  for (const [result, kind, want] of cases) assert.equal(countsAsFailed(result, kind), want, `${kind} ${result.status} ${result.reasonCode ?? ''}`);
});
