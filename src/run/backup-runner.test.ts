import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import { runBackupHooks } from './backup-runner.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, type FakeExecScript, plannedHook, podWith } from '../testing/run-fakes.ts';

function start(
  hooks: PlannedHook[],
  pods: PodManifest[],
  opts: { script?: FakeExecScript; concurrency?: number; deadlineMs?: number } = {},
): { clock: FakeClock; exec: FakeExecutor; ctl: AbortController; report: Promise<RunReport> } {
  const clock = new FakeClock();
  const exec = new FakeExecutor(clock, opts.script);
  const ctl = new AbortController();
  const report = runBackupHooks({
    plan: { hooks, skipped: [] },
    pods,
    executor: exec,
    clock,
    events: new FakeEvents(),
    signal: ctl.signal,
    concurrency: opts.concurrency,
    deadlineMs: opts.deadlineMs,
    eventGraceMs: 10,
  });
  return { clock, exec, ctl, report };
}

const pre = (o: Partial<PlannedHook> = {}): PlannedHook => plannedHook({ pod: 'pod-1', container: 'c', phase: 'pre', ...o });
const annotation = (o: Partial<PlannedHook> = {}): PlannedHook => pre({ source: 'annotation', name: '<from-annotation>', ...o });
const failing = (...commands: string[]): FakeExecScript => (req) =>
  commands.includes(req.command[0] ?? '') ? { error: { code: 'remote-error', message: 'pod hook error' } } : { exitCode: 0 };
const statuses = (r: RunReport): string[] =>
  r.results.map((x) => `${x.pod}/${x.name}#${x.index}:${x.status}${x.reasonCode === undefined ? '' : `/${x.reasonCode}`}`);

void describe('backup runner: Velero backup vectors', () => {
  void it('V39/V44: annotation hook, onError Fail, exec error -> failed; attempted 1, failed 1', async () => {
    const h = start([annotation({ onError: 'Fail', command: ['x'] })], [podWith('pod-1', { c: 'running' })], { script: failing('x') });
    const r = await h.report;
    assert.deepEqual(statuses(r), ['pod-1/<from-annotation>#0:failed/remote-error']);
    assert.equal(r.results.at(0)?.reason, 'pod hook error');
    assert.deepEqual(r.summary, { attempted: 1, failed: 1 });
  });

  void it('V40: annotation hook, onError Continue, exec error -> failed (Velero: handler succeeds, tracker counts the failure)', async () => {
    const h = start([annotation({ command: ['x'] })], [podWith('pod-1', { c: 'running' })], { script: failing('x') });
    const r = await h.report;
    assert.deepEqual(r.summary, { attempted: 1, failed: 1 });
  });

  void it('[R-3] V41: 1a Continue errors, 1b ok, 2 Fail errors, 3 -> execs 1a,1b,2; 3 not run; attempted 4, failed 2', async () => {
    const h = start(
      [
        pre({ name: 'hook1', index: 0, command: ['1a'] }),
        pre({ name: 'hook1', index: 1, command: ['1b'] }),
        pre({ name: 'hook2', index: 0, command: ['2'], onError: 'Fail' }),
        pre({ name: 'hook3', index: 0, command: ['3'] }),
      ],
      [podWith('pod-1', { c: 'running' })],
      { script: failing('1a', '2') },
    );
    const r = await h.report;
    assert.deepEqual(h.exec.executed, ['pod-1/c:1a', 'pod-1/c:1b', 'pod-1/c:2']);
    assert.deepEqual(statuses(r), [
      'pod-1/hook1#0:failed/remote-error',
      'pod-1/hook1#1:succeeded',
      'pod-1/hook2#0:failed/remote-error',
      'pod-1/hook3#0:not-run/previous-hook-failed',
    ]);
    assert.deepEqual(r.summary, { attempted: 4, failed: 2 });
  });

  void it('V42: two hooks, no errors -> attempted 2, failed 0; same container under two entry names -> 4', async () => {
    const two = await start([pre({ command: ['a'] }), pre({ index: 1, command: ['b'] })], [podWith('pod-1', { c: 'running' })]).report;
    assert.deepEqual(two.summary, { attempted: 2, failed: 0 });
    const four = await start(
      ['e1', 'e2'].flatMap((name) => [pre({ name }), pre({ name, index: 1 })]),
      [podWith('pod-1', { c: 'running' })],
    ).report;
    assert.deepEqual(four.summary, { attempted: 4, failed: 0 });
  });

  void it('V45: two pods (annotation Fail erroring; spec with 2 hooks) -> attempted 3, failed 1', async () => {
    const h = start(
      [annotation({ onError: 'Fail', command: ['x'] }), pre({ pod: 'pod-2', command: ['a'] }), pre({ pod: 'pod-2', index: 1, command: ['b'] })],
      [podWith('pod-1', { c: 'running' }), podWith('pod-2', { c: 'running' })],
      { script: failing('x') },
    );
    assert.deepEqual((await h.report).summary, { attempted: 3, failed: 1 });
  });

  void it('V46: spec pre hook, pods in ns-1 and ns-2 -> both executed', async () => {
    const h = start(
      [pre({ namespace: 'ns-1', pod: 'pod-1' }), pre({ namespace: 'ns-2', pod: 'pod-2' })],
      [podWith('pod-1', { c: 'running' }, { namespace: 'ns-1' }), podWith('pod-2', { c: 'running' }, { namespace: 'ns-2' })],
    );
    const r = await h.report;
    assert.deepEqual(h.exec.calls.map((c) => `${c.namespace}/${c.pod}`).sort(), ['ns-1/pod-1', 'ns-2/pod-2']);
    assert.equal(r.summary.failed, 0);
  });

  void it('V49: Fail on pod-1 only stops pod-1\'s later hooks; pod-2 is unaffected', async () => {
    const h = start(
      [pre({ command: ['x'], onError: 'Fail' }), pre({ index: 1, command: ['y'] }), pre({ pod: 'pod-2', command: ['z'] })],
      [podWith('pod-1', { c: 'running' }), podWith('pod-2', { c: 'running' })],
      { script: failing('x') },
    );
    const r = await h.report;
    assert.deepEqual(statuses(r), ['pod-1/my-hook#0:failed/remote-error', 'pod-1/my-hook#1:not-run/previous-hook-failed', 'pod-2/my-hook#0:succeeded']);
  });

  void it('V59: container must be a regular container or a native sidecar; otherwise no-such-container without exec', async () => {
    const pod: PodManifest = {
      ...podWith('pod-1', { foo: 'running' }),
      spec: {
        containers: [{ name: 'foo' }],
        initContainers: [{ name: 'baz' }, { name: 'qux', restartPolicy: 'Always' }],
      },
      status: {
        phase: 'Running',
        containerStatuses: [{ name: 'foo', state: { running: {} } }],
        initContainerStatuses: [{ name: 'qux', state: { running: {} } }],
      },
    };
    const h = start([pre({ container: 'foo' }), pre({ index: 1, container: 'bar' }), pre({ index: 2, container: 'baz' }), pre({ index: 3, container: 'qux' })], [pod]);
    const r = await h.report;
    assert.deepEqual(h.exec.executed, ['pod-1/foo:/usr/bin/foo', 'pod-1/qux:/usr/bin/foo']);
    assert.deepEqual(statuses(r), ['pod-1/my-hook#0:succeeded', 'pod-1/my-hook#1:failed/no-such-container', 'pod-1/my-hook#2:failed/no-such-container', 'pod-1/my-hook#3:succeeded']);
    // Velero's text first, then what the pod has, by kind.
    assert.equal(r.results.at(1)?.reason, 'no such container: "bar" (pod default/pod-1 has containers: foo; sidecars: qux; init containers (never hook targets): baz)');
  });

  void it('V60: pod phase Succeeded -> no exec; not-run pod-terminated, not counted as failed (Velero returns success)', async () => {
    const h = start([pre()], [podWith('pod-1', { c: 'terminated' }, { phase: 'Succeeded' })]);
    const r = await h.report;
    assert.equal(h.exec.calls.length, 0);
    assert.deepEqual(statuses(r), ['pod-1/my-hook#0:not-run/pod-terminated']);
    assert.deepEqual(r.summary, { attempted: 1, failed: 0 });
  });

  void it('[R-4] V61: exec timeout -1s -> 30s; 100000h -> 4h', async () => {
    const h = start([pre({ execTimeoutMs: -1000 }), pre({ index: 1, execTimeoutMs: 100_000 * 3_600_000 })], [podWith('pod-1', { c: 'running' })]);
    await h.report;
    assert.deepEqual(h.exec.calls.map((c) => c.timeoutMs), [30_000, 14_400_000]);
  });

  void it('V62: exec blocked, timeout 100ms -> timed-out "timed out after 100ms", stream closed', async () => {
    const h = start([pre({ execTimeoutMs: 100 })], [podWith('pod-1', { c: 'running' })], { script: () => ({ hang: true }) });
    await h.clock.advance(100);
    const r = await h.report;
    assert.deepEqual(statuses(r), ['pod-1/my-hook#0:timed-out/exec-timeout']);
    assert.equal(r.results.at(0)?.reason, 'timed out after 100ms');
    assert.equal(h.exec.active, 0);
  });
});

void describe('backup runner: semantics', () => {
  void it('container exists but is not running -> failed container-not-running, no exec', async () => {
    const h = start([pre()], [podWith('pod-1', { c: 'waiting' }, { phase: 'Pending' })]);
    const r = await h.report;
    assert.equal(h.exec.calls.length, 0);
    assert.deepEqual(statuses(r), ['pod-1/my-hook#0:failed/container-not-running']);
    assert.match(r.results.at(0)?.reason ?? '', /ContainerCreating/);
  });

  void it('non-zero exit -> failed non-zero-exit with the exit code and output', async () => {
    const h = start([pre()], [podWith('pod-1', { c: 'running' })], { script: () => ({ exitCode: 7, stdout: 'out', stderr: 'err' }) });
    const r = await h.report;
    assert.equal(r.results.at(0)?.exitCode, 7);
    assert.equal(r.results.at(0)?.stdout, 'out');
    assert.equal(r.results.at(0)?.reasonCode, 'non-zero-exit');
  });

  void it('[R-43][R-44] pods concurrently under the limit, each pod strictly in order', async () => {
    const hooks = ['a', 'b', 'c', 'd'].flatMap((p) => [pre({ pod: p, command: [`${p}0`] }), pre({ pod: p, index: 1, command: [`${p}1`] })]);
    const h = start(hooks, ['a', 'b', 'c', 'd'].map((p) => podWith(p, { c: 'running' })), { concurrency: 2, script: () => ({ delayMs: 10 }) });
    await h.clock.advance(1000);
    const r = await h.report;
    assert.equal(h.exec.maxActive, 2);
    for (const p of ['a', 'b', 'c', 'd']) {
      const mine = h.exec.executed.filter((e) => e.startsWith(`${p}/`));
      assert.deepEqual(mine, [`${p}/c:${p}0`, `${p}/c:${p}1`]);
    }
    assert.equal(r.summary.failed, 0);
  });

  void it('abort: in-flight exec closed and failed/aborted, the rest not-run/aborted', async () => {
    const h = start([pre({ command: ['slow'] }), pre({ index: 1 })], [podWith('pod-1', { c: 'running' })], { script: () => ({ hang: true }) });
    await h.clock.advance(5);
    h.ctl.abort();
    const r = await h.report;
    assert.deepEqual(statuses(r), ['pod-1/my-hook#0:failed/aborted', 'pod-1/my-hook#1:not-run/aborted']);
    assert.equal(h.exec.active, 0);
    assert.equal(h.clock.pendingTimers, 0);
  });

  void it('[R-6] deadline: in-flight exec timed-out/deadline, the rest not-run/deadline', async () => {
    const h = start([pre({ command: ['slow'] }), pre({ index: 1 })], [podWith('pod-1', { c: 'running' })], { deadlineMs: 20, script: () => ({ hang: true }) });
    await h.clock.advance(20);
    const r = await h.report;
    assert.deepEqual(statuses(r), ['pod-1/my-hook#0:timed-out/deadline', 'pod-1/my-hook#1:not-run/deadline']);
  });

  void it('pod missing from the listing -> failed pod-not-found', async () => {
    const r = await start([pre()], []).report;
    assert.deepEqual(statuses(r), ['pod-1/my-hook#0:failed/pod-not-found']);
  });

  void it('restore-phase and init hooks in the plan are ignored by the backup runner', async () => {
    const r = await start([pre({ phase: 'restore' }), pre({ type: 'init', index: 1 })], [podWith('pod-1', { c: 'running' })]).report;
    assert.deepEqual(r.summary, { attempted: 0, failed: 0 });
  });
});

void describe('backup runner: review regressions', () => {
  void it('F1: a signal already aborted before the run starts: every hook not-run/aborted (not internal)', async () => {
    const clock = new FakeClock();
    const ctl = new AbortController();
    ctl.abort();
    const exec = new FakeExecutor(clock);
    const r = await runBackupHooks({
      plan: { hooks: [plannedHook({ pod: 'p', container: 'app', phase: 'pre' })], skipped: [] },
      pods: [podWith('p', { app: 'running' })],
      executor: exec,
      clock,
      signal: ctl.signal,
      eventGraceMs: 10,
    });
    assert.deepEqual(r.results.map((x) => `${x.status}/${x.reasonCode ?? ''}`), ['not-run/aborted']);
    assert.equal(exec.calls.length, 0);
  });
  void it('F9: a throwing onResult / onProgress callback does not break the run', async () => {
    const clock = new FakeClock();
    const r = await runBackupHooks({
      plan: { hooks: [plannedHook({ pod: 'p', container: 'app', phase: 'pre' }), plannedHook({ pod: 'p', container: 'app', phase: 'pre', index: 1 })], skipped: [] },
      pods: [podWith('p', { app: 'running' })],
      executor: new FakeExecutor(clock),
      clock,
      signal: new AbortController().signal,
      eventGraceMs: 10,
      onResult: () => {
        throw new Error('callback bug');
      },
      onProgress: () => {
        throw new Error('callback bug');
      },
    });
    assert.deepEqual(r.results.map((x) => x.status), ['succeeded', 'succeeded']);
  });
});
