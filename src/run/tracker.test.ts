import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { plannedHook } from '../testing/run-fakes.ts';
import { hookResult, notRun } from './results.ts';
import { HookTracker } from './tracker.ts';

const h = (pod: string, name: string, index: number, namespace = 'ns1') => plannedHook({ namespace, pod, container: 'c', name, index });

void describe('hook tracker (Velero §9)', () => {
  void it('V105: record failed, then success for the same hook -> still failed (first wins); unknown hook refused', () => {
    const a = h('pod1', 'h1', 0);
    const t = new HookTracker([a]);
    assert.equal(t.record(a, hookResult(a, 'failed', 'non-zero-exit', 'x')), true);
    assert.equal(t.record(a, hookResult(a, 'succeeded', undefined, null)), false);
    assert.equal(t.record(h('other', 'h1', 0), hookResult(a, 'succeeded', undefined, null)), false);
    assert.equal(t.report().results.at(0)?.status, 'failed');
    assert.deepEqual(t.summary(), { attempted: 1, failed: 1 });
  });

  void it('V106: three distinct keys plus one failed record -> (3, 1); duplicate plan entries collapse', () => {
    const hooks = [h('pod1', 'h1', 0), h('pod2', 'h2', 0, 'ns2'), h('pod2', 'h2', 1, 'ns2'), h('pod2', 'h2', 1, 'ns2')];
    const t = new HookTracker(hooks);
    const first = hooks[0]!;
    t.record(first, hookResult(first, 'timed-out', 'exec-timeout', 'timed out after 1ms'));
    assert.deepEqual(t.summary(), { attempted: 3, failed: 1 });
  });

  void it('V107: complete only when every hook has a result', () => {
    const a = h('p', 'h', 0);
    const b = h('p', 'h', 1);
    const t = new HookTracker([a, b]);
    t.record(a, hookResult(a, 'succeeded', undefined, null));
    assert.equal(t.pendingCount, 1);
    t.record(b, hookResult(b, 'succeeded', undefined, null));
    assert.equal(t.pendingCount, 0);
  });

  void it('[R-3] not-run counts as failed only when the caller says so (backup after Fail: attempted, not failed)', () => {
    const a = h('p', 'h', 0);
    const b = h('p', 'h', 1);
    const t = new HookTracker([a, b]);
    t.record(a, notRun(a, 'previous-hook-failed', 'x'), false);
    t.record(b, notRun(b, 'pod-deleted', 'x'), true);
    assert.deepEqual(t.summary(), { attempted: 2, failed: 1 });
  });

  void it('[R-1] property: every distinct planned hook ends with exactly one result, in plan order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('p1', 'p2'), fc.nat(3), fc.boolean()), { maxLength: 20 }), (spec) => {
        const hooks = spec.map(([pod, index]) => h(pod, 'n', index));
        const t = new HookTracker(hooks);
        spec.forEach(([pod, index, ok]) => {
          const hook = h(pod, 'n', index);
          t.record(hook, ok ? hookResult(hook, 'succeeded', undefined, null) : hookResult(hook, 'failed', 'non-zero-exit', 'x'));
        });
        t.finish('aborted', 'x');
        const r = t.report();
        const distinct = new Set(spec.map(([pod, index]) => `${pod}#${index}`));
        assert.equal(r.results.length, distinct.size);
        assert.deepEqual(r.results.map((x) => `${x.pod}#${x.index}`), [...distinct]);
        assert.equal(r.summary.attempted, distinct.size);
      }),
    );
  });
});
