import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodManifest } from '../model/pod.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { FakeExecutor, FakeWatcher, plannedHook, podWith } from '../testing/run-fakes.ts';
import { hook, startRestore as start, statuses } from '../testing/restore-harness.ts';
import type { PodScope, PodWatchHandlers, PodWatcher } from './ports.ts';
import { runPostRestoreHooks } from './post-restore-runner.ts';

void describe('post-restore runner: review regressions', () => {
  const realTimeout = (ms: number): Promise<'HUNG'> =>
    new Promise((res) => {
      setTimeout(() => {
        res('HUNG');
      }, ms);
    });

  void it('F1: a signal already aborted before the run starts: every hook not-run/aborted, the run resolves, no watch', async () => {
    const clock = new FakeClock();
    const ctl = new AbortController();
    ctl.abort();
    const watcher = new FakeWatcher([podWith('my-pod', { container1: 'running' })]);
    const exec = new FakeExecutor(clock);
    const report = runPostRestoreHooks({
      plan: { hooks: [hook(), hook({ index: 1 })], skipped: [] },
      scope: { namespaces: ['default'] },
      executor: exec,
      watcher,
      clock,
      signal: ctl.signal,
      deadlineMs: 600_000,
      eventGraceMs: 10,
    });
    const r = await Promise.race([report, realTimeout(2_000)]);
    assert.notEqual(r, 'HUNG');
    if (r === 'HUNG') return;
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:not-run/aborted', 'my-pod/container1/my-hook#1:not-run/aborted']);
    assert.equal(exec.calls.length, 0);
    assert.equal(watcher.active, false);
  });
  void it('F2 (§7.2): a waitForReady hook that makes the container unready (freeze) does not hold the next hook (thaw)', async () => {
    const h = start(
      [hook({ name: 'freeze', waitForReady: true }), hook({ name: 'thaw', index: 1, waitForReady: true })],
      [podWith('my-pod', { container1: 'ready' })],
      { script: () => ({ delayMs: 1000 }), deadlineMs: 600_000 },
    );
    await settle();
    h.watcher.upsert(podWith('my-pod', { container1: 'running' })); // the readiness probe fails during the freeze
    await h.clock.advance(2_001);
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/container1/freeze#0:succeeded', 'my-pod/container1/thaw#1:succeeded']);
  });

  void it('[R-5] F2b: a later hook whose wait timeout passes while an earlier hook runs is timed-out when reached, even with no deadline', async () => {
    const h = start(
      [hook({ name: 'one', waitForReady: true }), hook({ name: 'two', index: 1, waitForReady: true, waitTimeoutMs: 5_000 })],
      [podWith('my-pod', { container1: 'ready' })],
      { script: () => ({ delayMs: 10_000 }) },
    );
    await settle();
    h.watcher.upsert(podWith('my-pod', { container1: 'running' }));
    await h.clock.advance(10_001);
    const r = await Promise.race([h.report, realTimeout(2_000)]);
    assert.notEqual(r, 'HUNG');
    if (r === 'HUNG') return;
    assert.deepEqual(statuses(r), ['my-pod/container1/one#0:succeeded', 'my-pod/container1/two#1:timed-out/wait-timeout']);
    assert.deepEqual(h.exec.executed, ['my-pod/container1:/usr/bin/foo']);
  });

  void it('F2b: every hook of a container that never comes up gets its wait-timeout (no lost timers), with no deadline', async () => {
    const h = start(
      [hook({ name: 'a', waitTimeoutMs: 3_000 }), hook({ name: 'b', index: 1, waitTimeoutMs: 1_000 }), hook({ name: 'c', index: 2, waitTimeoutMs: 2_000 })],
      [podWith('my-pod', { container1: 'waiting' })],
    );
    await h.clock.advance(3_001);
    const r = await Promise.race([h.report, realTimeout(2_000)]);
    assert.notEqual(r, 'HUNG');
    if (r === 'HUNG') return;
    assert.deepEqual(statuses(r), [
      'my-pod/container1/a#0:timed-out/wait-timeout',
      'my-pod/container1/b#1:timed-out/wait-timeout',
      'my-pod/container1/c#2:timed-out/wait-timeout',
    ]);
  });

  void it('F4: a later Fail hook whose wait expires first does not stop an earlier hook; expiry is in order', async () => {
    const h = start(
      [hook({ name: 'first' }), hook({ name: 'second', index: 1, waitTimeoutMs: 5_000, onError: 'Fail' })],
      [podWith('my-pod', { container1: 'waiting' })],
      { deadlineMs: 600_000 },
    );
    await h.clock.advance(6_000);
    h.watcher.upsert(podWith('my-pod', { container1: 'running' }));
    await h.clock.advance(1);
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/container1/first#0:succeeded', 'my-pod/container1/second#1:timed-out/wait-timeout']);
  });

  const failingWatch = (pods: PodManifest[]): { watcher: PodWatcher; fail: (e: Error) => void } => {
    let fail: (e: Error) => void = () => undefined;
    const watcher: PodWatcher = {
      run(_s: PodScope, handlers: PodWatchHandlers) {
        for (const pod of pods) handlers.onEvent({ type: 'upsert', pod });
        handlers.onLifecycle?.({ type: 'listed', namespace: 'default', count: pods.length });
        return new Promise<void>((_resolve, reject) => {
          fail = reject;
        });
      },
    };
    return { watcher, fail: (e) => { fail(e); } };
  };

  void it('F3: the watch fails after the list: running chains finish (later and queued hooks too), waiting containers end watch-failed', async () => {
    const clock = new FakeClock();
    const w = failingWatch([
      podWith('a', { app: 'running' }),
      podWith('b', { app: 'running' }),
      podWith('c', { app: 'waiting' }),
    ]);
    const exec = new FakeExecutor(clock, () => ({ delayMs: 1000 }));
    const report = runPostRestoreHooks({
      plan: {
        hooks: [
          plannedHook({ pod: 'a', container: 'app', name: 'x' }),
          plannedHook({ pod: 'a', container: 'app', name: 'y', index: 1 }),
          plannedHook({ pod: 'b', container: 'app' }),
          plannedHook({ pod: 'c', container: 'app' }),
        ],
        skipped: [],
      },
      scope: { namespaces: ['default'] },
      executor: exec,
      watcher: w.watcher,
      clock,
      signal: new AbortController().signal,
      concurrency: 1,
      eventGraceMs: 10,
    });
    await settle();
    w.fail(new Error('pods is forbidden: cannot watch'));
    await clock.advance(5_000);
    const r = await report;
    assert.deepEqual(statuses(r), [
      'a/app/x#0:succeeded',
      'a/app/y#1:succeeded',
      'b/app/my-hook#0:succeeded',
      'c/app/my-hook#0:not-run/watch-failed',
    ]);
  });

  void it('F9: a throwing onResult / onProgress callback neither rejects unhandled nor hangs the run', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => {
      unhandled.push(e);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const clock = new FakeClock();
      const report = runPostRestoreHooks({
        plan: { hooks: [hook(), hook({ index: 1 })], skipped: [] },
        scope: { namespaces: ['default'] },
        executor: new FakeExecutor(clock, () => ({ delayMs: 10 })),
        watcher: new FakeWatcher([podWith('my-pod', { container1: 'running' })]),
        clock,
        signal: new AbortController().signal,
        deadlineMs: 60_000,
        eventGraceMs: 10,
        onResult: () => {
          throw new Error('callback bug');
        },
        onProgress: () => {
          throw new Error('callback bug');
        },
      });
      await clock.advance(100);
      const r = await Promise.race([report, realTimeout(2_000)]);
      assert.notEqual(r, 'HUNG');
      if (r === 'HUNG') return;
      assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:succeeded', 'my-pod/container1/my-hook#1:succeeded']);
      await new Promise((res) => setImmediate(res));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
  void it('[R-35] F8: a pod re-created between the plan\'s list and the watch (new UID) does not get the old pod\'s hooks', async () => {
    const clock = new FakeClock();
    const old = podWith('my-pod', { container1: 'running' }, { uid: 'uid-old' });
    const fresh = podWith('my-pod', { container1: 'running' }, { uid: 'uid-new' });
    const exec = new FakeExecutor(clock);
    const r = await runPostRestoreHooks({
      plan: { hooks: [hook()], skipped: [] },
      scope: { namespaces: ['default'] },
      executor: exec,
      watcher: new FakeWatcher([fresh]),
      clock,
      signal: new AbortController().signal,
      eventGraceMs: 10,
      listedPods: [old],
    });
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:not-run/pod-deleted']);
    assert.equal(exec.calls.length, 0);
  });

  void it('F8: the same UID as listed runs as usual', async () => {
    const clock = new FakeClock();
    const pod = podWith('my-pod', { container1: 'running' });
    const r = await runPostRestoreHooks({
      plan: { hooks: [hook()], skipped: [] },
      scope: { namespaces: ['default'] },
      executor: new FakeExecutor(clock),
      watcher: new FakeWatcher([pod]),
      clock,
      signal: new AbortController().signal,
      eventGraceMs: 10,
      listedPods: [pod],
    });
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:succeeded']);
  });
});
