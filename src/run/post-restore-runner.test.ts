import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodManifest } from '../model/pod.ts';
import { isContainerUp } from './container-state.ts';
import { hasRegularContainer } from '../velero/rules.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { podWith } from '../testing/run-fakes.ts';
import { hook, startRestore as start, statuses } from '../testing/restore-harness.ts';

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

  void it('[R-43] V93: two containers; c1 Running at +10ms, c2 at +20ms -> c1 hook runs while c2 still waits', async () => {
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

  void it('[R-44] V94: three hooks in one container with indices 0, 2, 4 -> all run, in order', async () => {
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

  void it('[R-3] V95: failed counts - two containers both expiring -> 2 failed', async () => {
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

  void it('V98: podHasContainer (hasRegularContainer, velero/rules.ts)', () => {
    assert.equal(hasRegularContainer(podWith('p', { container1: 'running' }), 'container1'), true);
    assert.equal(hasRegularContainer(podWith('p', { container2: 'running' }), 'container1'), false);
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

  void it('[R-5] V103 DEVIATION: a hook whose wait timed out is not executed, even with Continue; a later hook with a longer wait runs', async () => {
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
