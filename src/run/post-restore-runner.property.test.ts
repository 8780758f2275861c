import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import type { PlannedHook } from '../model/plan.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { type ContainerState, FakeExecutor, FakeWatcher, plannedHook, podWith } from '../testing/run-fakes.ts';
import { runPostRestoreHooks } from './post-restore-runner.ts';

const PODS = ['p0', 'p1', 'p2'];
const CONTAINERS = ['a', 'b'];
const STATES: ContainerState[] = ['waiting', 'running', 'ready', 'terminated'];

const hookArb = fc.record({
  pod: fc.constantFrom(...PODS),
  container: fc.constantFrom(...CONTAINERS, 'missing'),
  onError: fc.constantFrom('Continue' as const, 'Fail' as const),
  waitTimeoutMs: fc.constantFrom(0, 0, 5, 30, -1),
  waitForReady: fc.boolean(),
  execMs: fc.constantFrom(0, 3, 20),
  exit: fc.constantFrom(0, 0, 0, 1),
});

const actionArb = fc.oneof(
  fc.record({ kind: fc.constant('upsert' as const), pod: fc.constantFrom(...PODS), a: fc.constantFrom(...STATES), b: fc.constantFrom(...STATES), uid: fc.constantFrom('u', 'u', 'u', 'v') }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ kind: fc.constant('delete' as const), pod: fc.constantFrom(...PODS) }),
  fc.record({ kind: fc.constant('terminate' as const), pod: fc.constantFrom(...PODS) }),
  fc.record({ kind: fc.constant('abort' as const) }),
);

void it('[R-1][R-35][R-75] property: any plan and event sequence ends with one result per hook, no hook executed twice, per-container order kept, limit respected', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(hookArb, { minLength: 1, maxLength: 8 }), fc.array(actionArb, { maxLength: 25 }), fc.integer({ min: 1, max: 3 }), async (specs, actions, concurrency) => {
      const clock = new FakeClock();
      const hooks: PlannedHook[] = specs.map((s, i) =>
        plannedHook({ pod: s.pod, container: s.container, index: i, onError: s.onError, waitTimeoutMs: s.waitTimeoutMs, waitForReady: s.waitForReady, command: [`h${i}`] }),
      );
      const bySpec = new Map(specs.map((s, i) => [`h${i}`, s]));
      const exec = new FakeExecutor(clock, (req) => {
        const s = bySpec.get(req.command[0] ?? '');
        return { delayMs: s?.execMs ?? 0, exitCode: s?.exit ?? 0 };
      });
      const watcher = new FakeWatcher();
      const ctl = new AbortController();
      const run = runPostRestoreHooks({
        plan: { hooks, skipped: [] },
        scope: { namespaces: ['default'] },
        executor: exec,
        watcher,
        clock,
        signal: ctl.signal,
        concurrency,
        deadlineMs: 1_000,
        eventGraceMs: 1,
      });
      await clock.advance(0);
      for (const action of actions) {
        switch (action.kind) {
          case 'upsert':
            watcher.upsert(podWith(action.pod, { a: action.a, b: action.b }, { uid: action.uid }));
            break;
          case 'advance':
            await clock.advance(action.ms);
            break;
          case 'delete':
            watcher.emit({ type: 'deleted', pod: podWith(action.pod, {}, { uid: 'u' }) });
            break;
          case 'terminate':
            watcher.upsert(podWith(action.pod, { a: 'terminated', b: 'terminated' }, { phase: 'Failed', uid: 'u' }));
            break;
          case 'abort':
            ctl.abort();
            break;
        }
        await clock.advance(0);
      }
      await clock.advance(2_000);
      const report = await run;

      assert.equal(report.results.length, hooks.length);
      assert.equal(report.summary.attempted, hooks.length);
      const executed = exec.calls.map((c) => c.command[0] ?? '');
      assert.equal(new Set(executed).size, executed.length, `executed twice: ${executed.join(',')}`);
      assert.ok(exec.maxActive <= concurrency);
      for (const [i, r] of report.results.entries()) {
        const ran = executed.includes(`h${i}`);
        if (r.status === 'not-run' || r.reasonCode === 'wait-timeout' || r.reasonCode === 'no-such-container') assert.equal(ran, false, `h${i} ${r.status}/${r.reasonCode ?? ''} but executed`);
        if (r.status === 'succeeded') assert.equal(ran, true);
      }
      for (const pod of PODS) {
        for (const c of [...CONTAINERS, 'missing']) {
          const order = executed.filter((e) => {
            const s = bySpec.get(e);
            return s?.pod === pod && s.container === c;
          });
          const sorted = [...order].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1)));
          assert.deepEqual(order, sorted, `order in ${pod}/${c}`);
        }
      }
      const failed = report.results.filter((r) => r.status !== 'succeeded').length;
      assert.equal(report.summary.failed, failed, 'post-restore counts every non-success as failed');
    }),
    { numRuns: 150 },
  );
});
