import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import type { RunReport } from '../model/result.ts';
import { isContainerUp, podHasContainer } from './container-state.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, type FakeExecScript, FakeWatcher, plannedHook, podWith } from '../testing/run-fakes.ts';
import type { PodManifest } from '../model/pod.ts';
import type { PodScope, PodWatchHandlers, PodWatcher } from './ports.ts';
import { runPostRestoreHooks } from './post-restore-runner.ts';
import type { RunProgress } from './progress.ts';

interface Harness {
  readonly clock: FakeClock;
  readonly exec: FakeExecutor;
  readonly watcher: FakeWatcher;
  readonly ctl: AbortController;
  readonly events: FakeEvents;
  readonly progress: RunProgress[];
  readonly report: Promise<RunReport>;
}

function start(
  hooks: PlannedHook[],
  initial: PodManifest[],
  opts: { script?: FakeExecScript; deadlineMs?: number; concurrency?: number; events?: FakeEvents; labelSelector?: string } = {},
): Harness {
  const clock = new FakeClock();
  const exec = new FakeExecutor(clock, opts.script);
  const watcher = new FakeWatcher(initial);
  const ctl = new AbortController();
  const events = opts.events ?? new FakeEvents();
  const progress: RunProgress[] = [];
  const report = runPostRestoreHooks({
    plan: { hooks, skipped: [] },
    scope: { namespaces: ['default'], ...(opts.labelSelector === undefined ? {} : { labelSelector: opts.labelSelector }) },
    executor: exec,
    watcher,
    clock,
    events,
    signal: ctl.signal,
    deadlineMs: opts.deadlineMs,
    concurrency: opts.concurrency,
    eventGraceMs: 10,
    onProgress: (p) => progress.push(p),
  });
  return { clock, exec, watcher, ctl, events, progress, report };
}

const hook = (o: Partial<PlannedHook> = {}): PlannedHook => plannedHook({ pod: 'my-pod', container: 'container1', ...o });
const statuses = (r: RunReport): string[] => r.results.map((x) => `${x.pod}/${x.container}/${x.name}#${x.index}:${x.status}${x.reasonCode === undefined ? '' : `/${x.reasonCode}`}`);

void describe('post-restore runner: Velero restore exec vectors', () => {
  void it('V86: annotation hook, container Running -> exec once with its container and command', async () => {
    const h = start([hook({ source: 'annotation', name: '<from-annotation>', execTimeoutMs: 1000 })], [podWith('my-pod', { container1: 'running' })]);
    const r = await h.report;
    assert.deepEqual(h.exec.calls.map((c) => [c.container, c.command, c.timeoutMs]), [['container1', ['/usr/bin/foo'], 1000]]);
    assert.deepEqual(r.summary, { attempted: 1, failed: 0 });
    assert.equal(r.results.at(0)?.status, 'succeeded');
    assert.equal(r.results.at(0)?.exitCode, 0);
  });

  for (const onError of ['Fail', 'Continue'] as const) {
    void it(`V87/V88: exec error with onError ${onError} -> that hook failed, one result`, async () => {
      const h = start([hook({ onError })], [podWith('my-pod', { container1: 'running' })], {
        script: () => ({ error: { code: 'remote-error', message: 'pod hook error' } }),
      });
      const r = await h.report;
      assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:failed/remote-error']);
      assert.equal(r.results.at(0)?.reason, 'pod hook error');
      assert.deepEqual(r.summary, { attempted: 1, failed: 1 });
    });
  }

  void it('V89: container Waiting, Running 10ms later -> executed once on the update', async () => {
    const h = start([hook()], [podWith('my-pod', { container1: 'waiting' })]);
    await h.clock.advance(10);
    assert.equal(h.exec.calls.length, 0);
    h.watcher.upsert(podWith('my-pod', { container1: 'running' }));
    const r = await h.report;
    assert.equal(h.exec.calls.length, 1);
    assert.deepEqual(r.summary, { attempted: 1, failed: 0 });
  });

  void it('V90: spec hook, container Running -> executed', async () => {
    const h = start([hook({ source: 'spec', name: 'my-hook-1' })], [podWith('my-pod', { container1: 'running' })]);
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook-1#0:succeeded']);
  });

  for (const onError of ['Continue', 'Fail'] as const) {
    void it(`V91: container Waiting, waitTimeout 1ms (${onError}) -> timed-out wait-timeout, no exec`, async () => {
      const h = start([hook({ name: 'my-hook-1', waitTimeoutMs: 1, onError })], [podWith('my-pod', { container1: 'waiting' })]);
      await h.clock.advance(1);
      const r = await h.report;
      assert.equal(h.exec.calls.length, 0);
      assert.deepEqual(statuses(r), ['my-pod/container1/my-hook-1#0:timed-out/wait-timeout']);
      assert.match(r.results.at(0)?.reason ?? '', /not executed: container container1 was not running within the wait timeout \(1ms\)/);
      assert.deepEqual(r.summary, { attempted: 1, failed: 1 });
    });
  }

  void it('V92: container Waiting, no waitTimeout, run deadline 1ms -> not-run deadline, no exec', async () => {
    const h = start([hook()], [podWith('my-pod', { container1: 'waiting' })], { deadlineMs: 1 });
    await h.clock.advance(1);
    const r = await h.report;
    assert.equal(h.exec.calls.length, 0);
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:not-run/deadline']);
    assert.deepEqual(r.summary, { attempted: 1, failed: 1 });
  });

  void it('V93: two containers; c1 Running at +10ms, c2 at +20ms -> c1 hook runs while c2 still waits', async () => {
    const h = start(
      [hook({ container: 'container1', command: ['c1'] }), hook({ container: 'container2', command: ['c2'] })],
      [podWith('my-pod', { container1: 'waiting', container2: 'waiting' })],
    );
    await h.clock.advance(10);
    h.watcher.upsert(podWith('my-pod', { container1: 'running', container2: 'waiting' }));
    await h.clock.advance(0);
    assert.deepEqual(h.exec.executed, ['my-pod/container1:c1']);
    await h.clock.advance(10);
    h.watcher.upsert(podWith('my-pod', { container1: 'running', container2: 'running' }));
    const r = await h.report;
    assert.deepEqual(h.exec.executed, ['my-pod/container1:c1', 'my-pod/container2:c2']);
    assert.deepEqual(r.summary, { attempted: 2, failed: 0 });
  });

  void it('V94: three hooks in one container with indices 0, 2, 4 -> all run, in order', async () => {
    const h = start(
      [0, 2, 4].map((index) => hook({ index, command: [`h${index}`], name: 'hook1' })),
      [podWith('my-pod', { container1: 'running' })],
      { script: () => ({ delayMs: 5 }) },
    );
    await h.clock.advance(100);
    const r = await h.report;
    assert.deepEqual(h.exec.executed, ['my-pod/container1:h0', 'my-pod/container1:h2', 'my-pod/container1:h4']);
    assert.equal(h.exec.maxActive, 1);
    assert.deepEqual(statuses(r), ['my-pod/container1/hook1#0:succeeded', 'my-pod/container1/hook1#2:succeeded', 'my-pod/container1/hook1#4:succeeded']);
  });

  void it('V95: failed counts - two containers both expiring -> 2 failed', async () => {
    const h = start(
      [hook({ container: 'container1', waitTimeoutMs: 1, onError: 'Fail' }), hook({ container: 'container2', waitTimeoutMs: 1 })],
      [podWith('my-pod', { container1: 'waiting', container2: 'waiting' })],
    );
    await h.clock.advance(1);
    const r = await h.report;
    assert.deepEqual(r.summary, { attempted: 2, failed: 2 });
  });

  void it('V96: UP rule table', () => {
    const running = podWith('p', { c: 'running' });
    const ready = podWith('p', { c: 'ready' });
    const waiting = podWith('p', { c: 'waiting' });
    const empty: PodManifest = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { containerStatuses: [{ name: 'c' }] } };
    const otherTerminated = podWith('p', { other: 'terminated', c: 'running' });
    assert.equal(isContainerUp(running, 'c', false), true);
    assert.equal(isContainerUp(running, 'c', true), false);
    assert.equal(isContainerUp(ready, 'c', true), true);
    assert.equal(isContainerUp(empty, 'c', false), false);
    assert.equal(isContainerUp(waiting, 'c', false), false);
    assert.equal(isContainerUp(otherTerminated, 'c', false), true);
  });

  void it('V98: podHasContainer', () => {
    assert.equal(podHasContainer(podWith('p', { container1: 'running' }), 'container1'), true);
    assert.equal(podHasContainer(podWith('p', { container2: 'running' }), 'container1'), false);
  });

  void it('V99 DEVIATION: hook for a container the pod lacks fails at once (Velero discards it and never records it)', async () => {
    const h = start(
      [hook({ container: 'missing' }), hook({ container: 'container1', command: ['ok'] })],
      [podWith('my-pod', { container1: 'running' })],
    );
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/missing/my-hook#0:failed/no-such-container', 'my-pod/container1/my-hook#0:succeeded']);
    assert.match(r.results.at(0)?.reason ?? '', /no such container: "missing"/);
    assert.equal(h.clock.now() - new FakeClock().now(), 0, 'no waiting happened');
  });

  void it('DEVIATION (Q8): a post-restore hook for a native sidecar runs once the sidecar is Running (Ready if asked); a regular init container is no target', async () => {
    const sidecarPod = (state: 'waiting' | 'running', ready: boolean): PodManifest => ({
      ...podWith('my-pod', { container1: 'running' }),
      spec: { containers: [{ name: 'container1' }], initContainers: [{ name: 'setup' }, { name: 'proxy', restartPolicy: 'Always' }] },
      status: {
        phase: 'Running',
        containerStatuses: [{ name: 'container1', ready: true, state: { running: {} } }],
        initContainerStatuses: [{ name: 'setup', state: { terminated: { exitCode: 0 } } }, { name: 'proxy', ready, state: state === 'running' ? { running: {} } : { waiting: { reason: 'PodInitializing' } } }],
      },
    });
    const h = start(
      [hook({ container: 'proxy', command: ['warm'] }), hook({ container: 'ready-proxy', command: ['x'] }), hook({ container: 'setup', command: ['never'] })],
      [sidecarPod('waiting', false)],
    );
    await h.clock.advance(5);
    assert.equal(h.exec.calls.length, 0, 'not before the sidecar runs');
    h.watcher.upsert(sidecarPod('running', false));
    const r = await h.report;
    assert.deepEqual(h.exec.executed, ['my-pod/proxy:warm']);
    assert.deepEqual(statuses(r), ['my-pod/proxy/my-hook#0:succeeded', 'my-pod/ready-proxy/my-hook#0:failed/no-such-container', 'my-pod/setup/my-hook#0:failed/no-such-container']);
    assert.equal(r.results.at(2)?.reason, 'no such container: "setup" (pod default/my-pod has containers: container1; sidecars: proxy; init containers (never hook targets): setup)');
  });

  void it('sidecar with waitForReady waits for its ready flag', async () => {
    const pod = (ready: boolean): PodManifest => ({
      ...podWith('my-pod', { container1: 'running' }),
      spec: { containers: [{ name: 'container1' }], initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'container1', ready: true, state: { running: {} } }], initContainerStatuses: [{ name: 'proxy', ready, state: { running: {} } }] },
    });
    const h = start([hook({ container: 'proxy', command: ['warm'], waitForReady: true })], [pod(false)]);
    await h.clock.advance(5);
    assert.equal(h.exec.calls.length, 0);
    h.watcher.upsert(pod(true));
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/proxy/my-hook#0:succeeded']);
  });

  void it('V100: pod phase Failed while waiting -> pending hooks not-run pod-terminated (counted failed)', async () => {
    const h = start([hook(), hook({ index: 1 })], [podWith('my-pod', { container1: 'waiting' })]);
    await h.clock.advance(5);
    h.watcher.upsert(podWith('my-pod', { container1: 'terminated' }, { phase: 'Failed' }));
    const r = await h.report;
    assert.equal(h.exec.calls.length, 0);
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:not-run/pod-terminated', 'my-pod/container1/my-hook#1:not-run/pod-terminated']);
    assert.deepEqual(r.summary, { attempted: 2, failed: 2 });
  });

  void it('V101: pod deleted while waiting -> pending hooks not-run pod-deleted', async () => {
    const pod = podWith('my-pod', { container1: 'waiting' });
    const h = start([hook()], [pod]);
    await h.clock.advance(5);
    h.watcher.emit({ type: 'deleted', pod });
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:not-run/pod-deleted']);
    assert.match(r.results.at(0)?.reason ?? '', /deleted before the hook ran/);
  });

  void it('V102: hook A (Fail) fails in c1 -> B after it and the other containers\' hooks are not run', async () => {
    const h = start(
      [
        hook({ container: 'c1', name: 'A', onError: 'Fail', command: ['a'] }),
        hook({ container: 'c1', name: 'B', command: ['b'] }),
        hook({ container: 'c2', name: 'C', command: ['c'] }),
      ],
      [podWith('my-pod', { c1: 'running', c2: 'waiting' })],
      { script: (req) => ({ exitCode: req.command[0] === 'a' ? 1 : 0 }) },
    );
    await h.clock.advance(1);
    h.watcher.upsert(podWith('my-pod', { c1: 'running', c2: 'running' }));
    const r = await h.report;
    assert.deepEqual(h.exec.executed, ['my-pod/c1:a']);
    assert.deepEqual(statuses(r), [
      'my-pod/c1/A#0:failed/non-zero-exit',
      'my-pod/c1/B#0:not-run/previous-hook-failed',
      'my-pod/c2/C#0:not-run/previous-hook-failed',
    ]);
    assert.deepEqual(r.summary, { attempted: 3, failed: 3 });
  });

  void it('V103 DEVIATION: a hook whose wait timed out is not executed, even with Continue; a later hook with a longer wait runs', async () => {
    const h = start(
      [hook({ name: 'short', waitTimeoutMs: 10_000, command: ['short'] }), hook({ name: 'long', index: 1, waitTimeoutMs: 30_000, command: ['long'] })],
      [podWith('my-pod', { container1: 'waiting' })],
    );
    await h.clock.advance(20_000);
    h.watcher.upsert(podWith('my-pod', { container1: 'running' }));
    const r = await h.report;
    assert.deepEqual(h.exec.executed, ['my-pod/container1:long']);
    assert.deepEqual(statuses(r), ['my-pod/container1/short#0:timed-out/wait-timeout', 'my-pod/container1/long#1:succeeded']);
    assert.match(r.results.at(0)?.reason ?? '', /\(10s\)/);
  });

  void it('V104 DEVIATION: pod P1 hook fails with Continue; pod P2 still waiting -> P2 hooks still run', async () => {
    const h = start(
      [hook({ pod: 'p1', command: ['bad'] }), hook({ pod: 'p2', command: ['good'] })],
      [podWith('p1', { container1: 'running' }), podWith('p2', { container1: 'waiting' })],
      { script: (req) => ({ exitCode: req.command[0] === 'bad' ? 2 : 0 }) },
    );
    await h.clock.advance(50);
    h.watcher.upsert(podWith('p2', { container1: 'running' }));
    const r = await h.report;
    assert.deepEqual(statuses(r), ['p1/container1/my-hook#0:failed/non-zero-exit', 'p2/container1/my-hook#0:succeeded']);
    assert.equal(r.results.at(0)?.exitCode, 2);
    assert.equal(r.results.at(0)?.reason, 'command terminated with exit code 2');
  });
});

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

  void it('exec timeout -> timed-out exec-timeout with Go duration text', async () => {
    const h = start([hook({ execTimeoutMs: 1 })], [podWith('my-pod', { container1: 'running' })], { script: () => ({ hang: true }) });
    await h.clock.advance(1);
    const r = await h.report;
    assert.deepEqual(statuses(r), ['my-pod/container1/my-hook#0:timed-out/exec-timeout']);
    assert.equal(r.results.at(0)?.reason, 'timed out after 1ms');
  });

  void it('exec timeout <= 0 becomes 30s and more than 4h is capped (Q7, Velero main)', async () => {
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

  void it('duplicate and replayed events never run a hook twice', async () => {
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

  void it('abort: the in-flight exec is closed, pending hooks become not-run aborted, partial report returned', async () => {
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

  void it('deadline while a command runs -> that hook timed-out/deadline, the stream closed', async () => {
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

  void it('events: HookSucceeded / HookFailed on the pod; a failing recorder does not fail the run', async () => {
    const events = new FakeEvents(false);
    const h = start(
      [hook({ command: ['ok'] }), hook({ index: 1, command: ['bad'] })],
      [podWith('my-pod', { container1: 'running' })],
      { events, script: (req) => ({ exitCode: req.command[0] === 'bad' ? 3 : 0 }) },
    );
    const r = await h.report;
    assert.deepEqual(events.records.map((e) => [e.pod, e.type, e.reason, e.podUid]), [
      ['my-pod', 'Normal', 'HookSucceeded', 'uid-my-pod'],
      ['my-pod', 'Warning', 'HookFailed', 'uid-my-pod'],
    ]);
    assert.deepEqual(r.summary, { attempted: 2, failed: 1 });
  });

  void it('a watch that ignores abort does not hold the finished run for more than the grace period', async () => {
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

  void it('F2b: a later hook whose wait timeout passes while an earlier hook runs is timed-out when reached, even with no deadline', async () => {
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
  void it('F8: a pod re-created between the plan\'s list and the watch (new UID) does not get the old pod\'s hooks', async () => {
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
