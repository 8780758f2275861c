import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import type { HookRun, HookRunResult } from './hookrun-types.ts';
import { OUTPUT_TAIL_MAX_BYTES, REASON_MAX_BYTES, STATUS_BUDGET_BYTES, outputTailBytes, reasonBytes } from './hookrun-types.ts';
import { applyEarlierFailures, countsAsFailed, estimateStatusBytes, selectorString } from './hookrun-run.ts';
import { runStatus, type RunFrame } from './status.ts';
import { Journal } from './journal.ts';
import { plannedHook } from '../testing/run-fakes.ts';

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

void test('applyEarlierFailures: on resume, an interrupted hook (any onError) or a failed Fail hook stops its pod\'s later hooks', () => {
  const hook = (pod: string, index: number, onError: PlannedHook['onError']): PlannedHook => plannedHook({
    namespace: 'db', pod, container: 'c', name: 'h', phase: 'pre', index, command: ['true'], onError,
  });
  const stored = (h: PlannedHook, status: HookRunResult['status'], reasonCode?: string): HookRunResult => ({
    namespace: h.namespace, pod: h.pod, container: h.container, source: h.source, name: h.name, phase: h.phase, index: h.index,
    status, exitCode: null, stdout: '', stderr: '', truncated: false, startedAt: '2026-12-02T01:00:00.000Z', durationMs: null, reason: null,
    ...(reasonCode === undefined ? {} : { reasonCode }),
  });
  type First = readonly [onError: PlannedHook['onError'], status: HookRunResult['status'], reasonCode?: string];
  // The pod's first hook as stored → do its two later hooks (one pending, one not in the status) stop?
  const cases: readonly (readonly [First, 'backup' | 'restore', stopped: boolean, text: RegExp | undefined])[] = [
    [['Continue', 'running'], 'backup', true, /was interrupted/],
    [['Fail', 'running'], 'backup', true, /was interrupted/],
    [['Continue', 'running'], 'restore', true, /was interrupted/],
    [['Continue', 'failed', 'interrupted'], 'backup', true, /was interrupted/],
    [['Fail', 'failed', 'non-zero-exit'], 'backup', true, /onError is Fail/],
    [['Fail', 'timed-out', 'exec-timeout'], 'restore', true, /onError is Fail/],
    [['Continue', 'failed', 'non-zero-exit'], 'backup', false, undefined],
    [['Fail', 'succeeded'], 'backup', false, undefined],
    [['Fail', 'pending'], 'backup', false, undefined],
  ];
  for (const [[onError, status, reasonCode], kind, stopped, text] of cases) {
    const name = `${onError} ${status} ${reasonCode ?? ''} (${kind})`;
    const hooks = [hook('a', 0, onError), hook('a', 1, 'Continue'), hook('a', 2, 'Continue'), hook('b', 0, 'Continue')];
    const [a0, a1, , b0] = hooks as [PlannedHook, PlannedHook, PlannedHook, PlannedHook];
    const results = [stored(a0, status, reasonCode), stored(a1, 'pending'), stored(b0, 'running')];
    const journal = new Journal(hooks, { results }, { tailBytes: 64, now: '2026-12-02T02:00:00.000Z' });
    applyEarlierFailures(journal, hooks, results, kind);
    const after = journal.results('local');
    for (const later of [1, 2]) {
      const r = after.find((x) => x.pod === 'a' && x.index === later);
      assert.equal(journal.mayStart(hooks[later] as PlannedHook), !stopped, `${name}: a#${later} may start`);
      if (stopped) {
        assert.equal(r?.status, 'not-run', name);
        assert.equal(r.reasonCode, 'previous-hook-failed', name);
        assert.match(r.reason ?? '', text ?? /./, name);
      }
    }
    // The other pod's only hook was interrupted itself; nothing of pod a stops it, nothing else changes.
    assert.equal(after.find((x) => x.pod === 'b')?.reasonCode, 'interrupted', name);
    // Backup: hooks skipped after a stop are attempted, not failed (Velero); restore: failed.
    const failedBefore = (status === 'running' ? 1 : 0) + 1; // a#0 (when interrupted now) and b#0
    const skippedFailed = stopped && kind === 'restore' ? 2 : 0;
    assert.equal(journal.summary('local').failed, failedBefore + skippedFailed, `${name}: summary.failed`);
  }
});

void test('status caps: output tails and reasons shrink with the hook count, down to 64 bytes; never above 1 KiB / 512 bytes', () => {
  // hooks → [bytes per output tail, bytes per reason]
  const cases: readonly (readonly [number, number, number])[] = [
    [0, 1024, 512], [1, 1024, 512], [64, 1024, 512], [65, 1008, 512], [256, 256, 512], [257, 255, 510],
    [512, 128, 256], [1024, 64, 128], [2000, 64, 65], [2500, 64, 64], [100_000, 64, 64],
  ];
  for (const [hooks, tail, reason] of cases) {
    assert.equal(outputTailBytes(hooks), tail, `${hooks} hooks: tail`);
    assert.equal(reasonBytes(hooks), reason, `${hooks} hooks: reason`);
    assert.ok(tail <= OUTPUT_TAIL_MAX_BYTES && reason <= REASON_MAX_BYTES);
  }
});

void test('estimateStatusBytes: 1000 pods × 2 hooks of short names fit the 1.25 MiB budget; longer names, 2200 or 2500 hooks do not; the bound holds for a status at its caps', () => {
  const ns = (n: number): string => `namespace-${'n'.repeat(n)}`;
  const plan = (pods: number, perPod: number, nameLength: number): PlannedHook[] => Array.from({ length: pods * perPod }, (_, i) => plannedHook({
    namespace: ns(nameLength), pod: `pod-${'p'.repeat(nameLength)}-${Math.floor(i / perPod)}`, container: 'app', source: 'annotation', name: '<from-annotation>',
    phase: 'pre', index: i % perPod, command: ['true'],
  }));
  const hr: HookRun = { apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name: 'big', namespace: 'ops', uid: '6f1d3c52-2b1a-4f0e-9a43-0d5f6f7e8a9b' }, spec: { phase: 'pre-backup', backupRef: { name: 'nightly' } } };
  const frameFor = (hooks: readonly PlannedHook[]): RunFrame => ({
    startTime: '2026-12-02T00:00:00.000Z', observedGeneration: 1, outputTailBytes: outputTailBytes(hooks.length), skipped: [], skippedCount: 0,
    plannedPods: [...new Set(hooks.map((h) => h.pod))].map((name) => ({ namespace: hooks[0]?.namespace ?? '', name, uid: '6f1d3c52-2b1a-4f0e-9a43-0d5f6f7e8a9b' })),
  });
  const cases: readonly (readonly [pods: number, perPod: number, nameLength: number, fits: boolean])[] = [
    [1000, 2, 10, true],
    [10, 3, 10, true],
    [1100, 2, 10, false],
    [1000, 2, 40, false],
    [2500, 1, 0, false],
  ];
  for (const [pods, perPod, nameLength, fits] of cases) {
    const hooks = plan(pods, perPod, nameLength);
    const estimate = estimateStatusBytes(hr, hooks, frameFor(hooks), reasonBytes(hooks.length));
    assert.equal(estimate <= STATUS_BUDGET_BYTES, fits, `${pods} pods × ${perPod} hooks, names +${nameLength}: ${estimate} bytes`);
  }
  // A status at the caps (every tail and reason full of characters JSON escapes) stays under the bound.
  const hooks = plan(1000, 2, 10);
  const frame = frameFor(hooks);
  const journal = new Journal(hooks, {}, { tailBytes: frame.outputTailBytes, reasonBytes: reasonBytes(hooks.length), now: '2026-12-02T00:00:00.000Z' });
  const noisy = '\u0001"\\é\n'.repeat(400);
  for (const h of hooks) {
    journal.requestStart(h, '2026-12-02T00:00:00.000Z');
    journal.ackWrite(journal.beginWrite()?.seq ?? -1);
    journal.recordResult(h, { ...h, status: 'failed', exitCode: 1, stdout: noisy, stderr: noisy, truncated: false, startedAt: '2026-12-02T00:00:00.000Z', durationMs: 5, reason: noisy, reasonCode: 'non-zero-exit' }, true);
  }
  const full: HookRun = { ...hr, status: { ...runStatus(frame, { results: journal.results('local'), summary: journal.summary('local') }, [], { phase: 'Failed', completionTime: '2026-12-02T00:00:00.000Z' }), holder: 'ctl' } };
  const stored = Buffer.byteLength(JSON.stringify(full), 'utf8');
  const bound = estimateStatusBytes(hr, hooks, frame, reasonBytes(hooks.length));
  assert.ok(stored <= bound, `stored ${stored} bytes, bound ${bound}`);
  assert.ok(bound <= STATUS_BUDGET_BYTES);
});
