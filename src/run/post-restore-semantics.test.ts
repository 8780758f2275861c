import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodManifest } from '../model/pod.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, FakeWatcher, podWith } from '../testing/run-fakes.ts';
import { hook, startRestore as start, statuses } from '../testing/restore-harness.ts';
import { runPostRestoreHooks } from './post-restore-runner.ts';

void describe('post-restore runner: semantics', () => {
  void it('waitForReady: Running but not Ready waits; Ready runs', async () => {
    const h = start([hook({ waitForReady: true })], [podWith('my-pod', { container1: 'running' })]);
    await h.clock.advance(10);
    assert.equal(h.exec.calls.length, 0);
    h.watcher.upsert(podWith('my-pod', { container1: 'ready' }));
    const r = await h.report;
    assert.equal(r.results.at(0)?.status, 'succeeded');
  });

  void it('waitForReady on one hook makes the whole container wait for Ready (Velero per-container rule)', async () => {
    const h = start(
      [hook({ command: ['first'] }), hook({ index: 1, waitForReady: true, command: ['second'] }), hook({ container: 'other', command: ['o'] })],
      [podWith('my-pod', { container1: 'running', other: 'running' })],
    );
    await h.clock.advance(1);
    assert.deepEqual(h.exec.executed, ['my-pod/other:o']);
    h.watcher.upsert(podWith('my-pod', { container1: 'ready', other: 'running' }));
    await h.report;
    assert.deepEqual(h.exec.executed, ['my-pod/other:o', 'my-pod/container1:first', 'my-pod/container1:second']);
  });

  void it('[R-4] exec timeout -> timed-out exec-timeout with Go duration text', async () => {
    const h = start([hook({ execTimeoutMs: 1 })], [podWith('my-pod', { container1: 'running' })], { script: () => ({ hang: true }) });
    await h.clock.advance(1);
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:timed-out/exec-timeout']);
    assert.equal(r.results.at(0)?.reason, 'timed out after 1ms');
  });

  void it('[R-4] exec timeout <= 0 becomes 30s and more than 4h is capped (Q7, Velero main)', async () => {
    const h = start(
      [hook({ execTimeoutMs: -1000, command: ['neg'] }), hook({ index: 1, execTimeoutMs: 100_000 * 3_600_000, command: ['huge'] })],
      [podWith('my-pod', { container1: 'running' })],
    );
    await h.report;
    assert.deepEqual(h.exec.calls.map((c) => c.timeoutMs), [30_000, 4 * 3_600_000]);
  });

  void it('non-zero exit with Continue -> later hooks of the container still run', async () => {
    const h = start(
      [hook({ command: ['bad'] }), hook({ index: 1, command: ['good'] })],
      [podWith('my-pod', { container1: 'running' })],
      { script: (req) => ({ exitCode: req.command[0] === 'bad' ? 1 : 0, stderr: 'oops' }) },
    );
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:failed/non-zero-exit', 'my-pod/container1/my-hook#1:succeeded']);
    assert.equal(r.results.at(0)?.stderr, 'oops');
    assert.deepEqual(r.summary, { attempted: 2, failed: 1 });
  });

  void it('several pods in parallel, never more execs at once than the limit', async () => {
    const hooks = Array.from({ length: 10 }, (_, i) => hook({ pod: `p${i}`, command: [`p${i}`] }));
    const h = start(hooks, hooks.map((x) => podWith(x.pod, { container1: 'running' })), { concurrency: 3, script: () => ({ delayMs: 100 }) });
    await h.clock.advance(1);
    assert.equal(h.exec.active, 3);
    await h.clock.advance(1000);
    const r = await h.report;
    assert.equal(h.exec.maxActive, 3);
    assert.equal(r.results.filter((x) => x.status === 'succeeded').length, 10);
    assert.equal(h.watcher.runs, 1, 'one watch for the whole run');
  });

  void it('[R-34][R-35] duplicate and replayed events never run a hook twice', async () => {
    const pod = podWith('my-pod', { container1: 'running' });
    const h = start([hook({ command: ['a'] }), hook({ index: 1, command: ['b'] })], [pod, pod], { script: () => ({ delayMs: 10 }) });
    await h.clock.advance(1);
    h.watcher.upsert(pod);
    h.watcher.upsert(pod);
    await h.clock.advance(10);
    h.watcher.upsert(pod);
    await h.clock.advance(100);
    const r = await h.report;
    assert.deepEqual(h.exec.executed, ['my-pod/container1:a', 'my-pod/container1:b']);
    assert.equal(r.results.length, 2);
  });

  void it('§7.2: once a container\'s hooks started, the next hook runs even if the container stopped being up meanwhile', async () => {
    const h = start(
      [hook({ command: ['a'] }), hook({ index: 1, command: ['b'] })],
      [podWith('my-pod', { container1: 'running' })],
      { script: () => ({ delayMs: 10 }) },
    );
    await h.clock.advance(1);
    h.watcher.upsert(podWith('my-pod', { container1: 'terminated' }));
    await h.clock.advance(20);
    const r = await h.report;
    assert.deepEqual(h.exec.executed, ['my-pod/container1:a', 'my-pod/container1:b']);
    assert.equal(r.summary.failed, 0);
  });

  void it('[R-41] abort: the in-flight exec is closed, pending hooks become not-run aborted, partial report returned', async () => {
    const h = start(
      [hook({ command: ['slow'] }), hook({ index: 1, command: ['next'] }), hook({ pod: 'other', command: ['x'] })],
      [podWith('my-pod', { container1: 'running' }), podWith('other', { container1: 'waiting' })],
      { script: () => ({ hang: true }) },
    );
    await h.clock.advance(5);
    h.ctl.abort();
    const r = await h.report;
    assert.deepEqual(statuses(r), [
      'my-pod/container1/my-hook#0:failed/aborted',
      'my-pod/container1/my-hook#1:not-run/aborted',
      'other/container1/my-hook#0:not-run/aborted',
    ]);
    assert.equal(h.exec.active, 0);
    assert.equal(h.watcher.active, false, 'watch closed');
    assert.equal(h.clock.pendingTimers, 0, 'timers cleared');
  });

  void it('[R-6] deadline while a command runs -> that hook timed-out/deadline, the stream closed', async () => {
    const h = start([hook()], [podWith('my-pod', { container1: 'running' })], { deadlineMs: 50, script: () => ({ hang: true }) });
    await h.clock.advance(50);
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:timed-out/deadline']);
    assert.equal(h.exec.active, 0);
  });

  void describe('a pod leaving the label selector is not reported as deleted', () => {
    const labelled = (labels: Record<string, string>, extra: Record<string, unknown> = {}): PodManifest => {
      const base = podWith('my-pod', { container1: 'waiting' });
      return { ...base, metadata: { ...base.metadata, labels, ...extra } };
    };
    const cases: { name: string; event: (pod: PodManifest) => Parameters<FakeWatcher['emit']>[0]; selector: string | undefined; code: string; reason: RegExp }[] = [
      {
        // The API server sends the previous (still matching) object, without deletionTimestamp.
        name: 'watch DELETED without deletionTimestamp on a selector watch -> pod-left-selector',
        event: (pod) => ({ type: 'deleted', pod }),
        selector: 'app=db',
        code: 'pod-left-selector',
        reason: /no longer matches the selector app=db/,
      },
      {
        name: 'the DELETED object already carries the new labels -> pod-left-selector',
        event: () => ({ type: 'deleted', pod: labelled({ app: 'other' }) }),
        selector: 'app=db',
        code: 'pod-left-selector',
        reason: /no longer matches the selector/,
      },
      {
        name: 'a real delete (deletionTimestamp set) on a selector watch -> pod-deleted',
        event: () => ({ type: 'deleted', pod: labelled({ app: 'db' }, { deletionTimestamp: '2026-01-01T00:00:00Z' }) }),
        selector: 'app=db',
        code: 'pod-deleted',
        reason: /was deleted before the hook ran/,
      },
      {
        name: 'a delete inferred from a relist cannot be told apart -> pod-deleted, saying so',
        event: (pod) => ({ type: 'deleted', pod, relisted: true }),
        selector: 'app=db',
        code: 'pod-deleted',
        reason: /deleted \(or no longer matches the selector; seen on a relist\)/,
      },
      {
        name: 'no selector: a pod cannot leave it -> pod-deleted',
        event: (pod) => ({ type: 'deleted', pod }),
        selector: undefined,
        code: 'pod-deleted',
        reason: /was deleted before the hook ran/,
      },
    ];
    for (const c of cases) {
      void it(c.name, async () => {
        const pod = labelled({ app: 'db' });
        const h = start([hook(), hook({ index: 1 })], [pod], c.selector === undefined ? {} : { labelSelector: c.selector });
        await h.clock.advance(5);
        h.watcher.emit(c.event(pod));
        const r = await h.report;
        assert.equal(h.exec.calls.length, 0);
        assert.deepEqual(statuses(r), [`my-pod/container1/my-hook#0:not-run/${c.code}`, `my-pod/container1/my-hook#1:not-run/${c.code}`]);
        assert.match(r.results.at(0)?.reason ?? '', c.reason);
      });
    }

    void it('a pod seen being deleted (deletionTimestamp on an earlier update) stays pod-deleted', async () => {
      const pod = labelled({ app: 'db' });
      const h = start([hook()], [pod], { labelSelector: 'app=db' });
      await h.clock.advance(5);
      h.watcher.emit({ type: 'upsert', pod: labelled({ app: 'db' }, { deletionTimestamp: '2026-01-01T00:00:00Z' }) });
      h.watcher.emit({ type: 'deleted', pod });
      const r = await h.report;
      assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:not-run/pod-deleted']);
    });
  });

  void it('pod re-created under the same name (new uid) -> pending hooks not-run pod-deleted', async () => {
    const h = start([hook()], [podWith('my-pod', { container1: 'waiting' }, { uid: 'a' })]);
    await h.clock.advance(1);
    h.watcher.upsert(podWith('my-pod', { container1: 'running' }, { uid: 'b' }));
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:not-run/pod-deleted']);
    assert.equal(h.exec.calls.length, 0);
  });

  void it('watch that cannot be established -> every hook not-run watch-failed', async () => {
    const clock = new FakeClock();
    const r = await runPostRestoreHooks({
      plan: { hooks: [hook()], skipped: [] },
      scope: { namespaces: ['default'] },
      executor: new FakeExecutor(clock),
      watcher: new FakeWatcher([], new Error('pods is forbidden')),
      clock,
      signal: new AbortController().signal,
    });
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:not-run/watch-failed']);
    assert.match(r.results.at(0)?.reason ?? '', /pods is forbidden/);
  });

  void it('[R-32] events: HookFailed as it ends, then the pod\'s summary; a failing recorder does not fail the run', async () => {
    const events = new FakeEvents(false);
    const h = start(
      [hook({ command: ['ok'] }), hook({ index: 1, command: ['bad'] })],
      [podWith('my-pod', { container1: 'running' })],
      { events, script: (req) => ({ exitCode: req.command[0] === 'bad' ? 3 : 0 }) },
    );
    const r = await h.report;
    assert.deepEqual(events.records.map((e) => [e.pod, e.type, e.reason, e.podUid]), [
      ['my-pod', 'Warning', 'HookFailed', 'uid-my-pod'],
      ['my-pod', 'Normal', 'HooksPartlySucceeded', 'uid-my-pod'],
    ]);
    assert.deepEqual(r.summary, { attempted: 2, failed: 1 });
  });

  void it('[R-32] events with --events per-hook: HookSucceeded / HookFailed, one per hook as it ends', async () => {
    const events = new FakeEvents();
    const h = start(
      [hook({ command: ['ok'] }), hook({ index: 1, command: ['bad'] })],
      [podWith('my-pod', { container1: 'running' })],
      { events, eventGrouping: 'per-hook', script: (req) => ({ exitCode: req.command[0] === 'bad' ? 3 : 0 }) },
    );
    await h.report;
    assert.deepEqual(events.records.map((e) => [e.pod, e.type, e.reason, e.podUid]), [
      ['my-pod', 'Normal', 'HookSucceeded', 'uid-my-pod'],
      ['my-pod', 'Warning', 'HookFailed', 'uid-my-pod'],
    ]);
  });

  void it('[R-10] a watch that ignores abort does not hold the finished run for more than the grace period', async () => {
    const clock = new FakeClock();
    const stubborn = {
      run: (_scope: unknown, handlers: { onEvent: (e: { type: 'upsert'; pod: PodManifest }) => void }) => {
        handlers.onEvent({ type: 'upsert', pod: podWith('my-pod', { container1: 'running' }) });
        return new Promise<void>(() => undefined);
      },
    };
    let finished = false;
    const report = runPostRestoreHooks({
      plan: { hooks: [hook()], skipped: [] },
      scope: { namespaces: ['default'] },
      executor: new FakeExecutor(clock),
      watcher: stubborn,
      clock,
      signal: new AbortController().signal,
      eventGraceMs: 10,
    }).then((r) => {
      finished = true;
      return r;
    });
    await clock.advance(1_000);
    assert.equal(finished, false);
    await clock.advance(1_000);
    assert.equal((await report).results.at(0)?.status, 'succeeded');
  });

  void it('a planned pod missing from the initial list -> not-run pod-not-found at once', async () => {
    const clock = new FakeClock();
    const r = await runPostRestoreHooks({
      plan: { hooks: [hook({ pod: 'gone' }), hook({ pod: 'here' })], skipped: [] },
      scope: { namespaces: ['default'] },
      executor: new FakeExecutor(clock),
      watcher: new FakeWatcher([podWith('here', { container1: 'running' })], undefined, true),
      clock,
      signal: new AbortController().signal,
    });
    assert.deepEqual(statuses(r), ['gone/container1/my-hook#0:not-run/pod-not-found', 'here/container1/my-hook#0:succeeded']);
  });

  void it('no exec hooks in the plan -> empty report without watching', async () => {
    const clock = new FakeClock();
    const watcher = new FakeWatcher();
    const r = await runPostRestoreHooks({
      plan: { hooks: [hook({ type: 'init' })], skipped: [] },
      scope: { namespaces: [] },
      executor: new FakeExecutor(clock),
      watcher,
      clock,
      signal: new AbortController().signal,
    });
    assert.deepEqual(r, { summary: { attempted: 0, failed: 0 }, results: [] });
    assert.equal(watcher.runs, 0);
  });

  void it('progress counts waiting/running/done and ends with everything done', async () => {
    const h = start([hook(), hook({ pod: 'p2' })], [podWith('my-pod', { container1: 'running' }), podWith('p2', { container1: 'waiting' })], {
      script: () => ({ delayMs: 5 }),
    });
    await h.clock.advance(10);
    h.watcher.upsert(podWith('p2', { container1: 'running' }));
    await h.clock.advance(10);
    await h.report;
    await settle();
    assert.deepEqual(h.progress[0], { total: 2, waiting: 2, running: 0, done: 0, failed: 0 });
    assert.ok(h.progress.some((p) => p.running === 1));
    assert.deepEqual(h.progress.at(-1), { total: 2, waiting: 0, running: 0, done: 2, failed: 0 });
  });
});
