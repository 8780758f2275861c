/**
 * `kubehooks run` semantics on the real control plane (kube-apiserver + KWOK): every row of the
 * runner's semantics, with real watches and WebSocket execs. Skipped cleanly without a cluster.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import { backup, hook, markerDir, postRestore, sh, statuses } from './run-harness.ts';

const skip = e2eSkipReason();

void describe('run: post-restore hooks on the local cluster', { skip }, () => {
  void it('Running vs Ready: a hook without waitForReady runs on a Running pod; with it, waits for Ready', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'runs', ready: false });
    await ctx.createPod({ name: 'readies', readyDelayMs: 2_000 });
    await ctx.createPod({ name: 'never-ready', ready: false });
    const started = Date.now();
    const report = await postRestore(ctx, [
      hook(ctx, { pod: 'runs', container: 'app', command: sh('echo running') }),
      hook(ctx, { pod: 'readies', container: 'app', command: sh('echo ready'), waitForReady: true }),
      hook(ctx, {
        pod: 'never-ready',
        container: 'app',
        command: sh('echo never'),
        waitForReady: true,
        waitTimeoutMs: 3_000,
      }),
    ]);
    assert.deepEqual(statuses(report), [
      'runs/app/e2e#0:succeeded',
      'readies/app/e2e#0:succeeded',
      'never-ready/app/e2e#0:timed-out/wait-timeout',
    ]);
    assert.equal(report.results.at(0)?.stdout, 'running\n');
    const readyStart = Date.parse(report.results.at(1)?.startedAt ?? '');
    assert.ok(readyStart - started >= 1_500, `waited for Ready (${readyStart - started}ms)`);
  });

  void it('wait timeout on a pod that never starts: timed-out, command not executed', async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    await ctx.createPod({ name: 'stuck', neverStart: true });
    const t0 = Date.now();
    const report = await postRestore(ctx, [
      hook(ctx, { pod: 'stuck', container: 'app', command: sh(`touch ${m.dir}/ran`), waitTimeoutMs: 1_500 }),
    ]);
    assert.deepEqual(statuses(report), ['stuck/app/e2e#0:timed-out/wait-timeout']);
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(await m.read('ran'), undefined, 'the command did not run');
  });

  void it('a pod that starts late: the hook waits, then runs', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'late', startDelayMs: 1_500 });
    const report = await postRestore(ctx, [
      hook(ctx, { pod: 'late', container: 'app', command: sh('echo started'), waitTimeoutMs: 20_000 }),
    ]);
    assert.deepEqual(statuses(report), ['late/app/e2e#0:succeeded']);
  });

  void it("exec timeout on a hanging command: timed-out with Velero's text, run ends promptly", async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'hangs' });
    const t0 = Date.now();
    const report = await postRestore(ctx, [
      hook(ctx, { pod: 'hangs', container: 'app', command: ['sleep', '30'], execTimeoutMs: 1_000 }),
    ]);
    assert.deepEqual(statuses(report), ['hangs/app/e2e#0:timed-out/exec-timeout']);
    assert.equal(report.results.at(0)?.reason, 'timed out after 1s');
    assert.ok(Date.now() - t0 < 15_000, `ended after ${Date.now() - t0}ms`);
  });

  void it('non-zero exit with Continue (next hook runs) and with Fail (next hook not run)', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'cont' });
    await ctx.createPod({ name: 'fail' });
    const report = await postRestore(ctx, [
      hook(ctx, { pod: 'cont', container: 'app', command: sh('echo oops >&2; exit 3') }),
      hook(ctx, { pod: 'cont', container: 'app', index: 1, command: sh('echo after') }),
      hook(ctx, { pod: 'fail', container: 'app', command: sh('exit 4'), onError: 'Fail' }),
      hook(ctx, { pod: 'fail', container: 'app', index: 1, command: sh('echo after') }),
    ]);
    assert.deepEqual(statuses(report), [
      'cont/app/e2e#0:failed/non-zero-exit',
      'cont/app/e2e#1:succeeded',
      'fail/app/e2e#0:failed/non-zero-exit',
      'fail/app/e2e#1:not-run/previous-hook-failed',
    ]);
    assert.equal(report.results.at(0)?.exitCode, 3);
    assert.equal(report.results.at(0)?.stderr, 'oops\n');
    assert.equal(report.results.at(2)?.exitCode, 4);
    assert.deepEqual({ attempted: report.summary.attempted, failed: report.summary.failed }, { attempted: 4, failed: 3 });
  });

  void it('several hooks in one container run in order; several containers each get theirs', async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    await ctx.createPod({ name: 'multi', containers: ['db', 'sidecar'] });
    const report = await postRestore(ctx, [
      ...[0, 1, 2].map((i) =>
        hook(ctx, {
          pod: 'multi',
          container: 'db',
          index: i,
          command: sh(`sleep 0.2; echo ${i} >> ${m.dir}/db`),
        }),
      ),
      hook(ctx, { pod: 'multi', container: 'sidecar', command: sh(`echo s > ${m.dir}/sidecar`) }),
    ]);
    assert.equal(report.summary.failed, 0, statuses(report).join(', '));
    assert.equal(await m.read('db'), '0\n1\n2\n');
    assert.equal(await m.read('sidecar'), 's\n');
  });

  void it('several pods in parallel under the limit', async (t) => {
    const ctx = await e2eContext(t);
    const names = ['p0', 'p1', 'p2', 'p3'];
    for (const name of names) await ctx.createPod({ name });
    for (const name of names) await ctx.waitForRunning(name);
    const t0 = Date.now();
    const report = await postRestore(
      ctx,
      names.map((pod) => hook(ctx, { pod, container: 'app', command: ['sleep', '2'] })),
      { concurrency: 4 },
    );
    const elapsed = Date.now() - t0;
    assert.equal(report.summary.failed, 0, statuses(report).join(', '));
    assert.ok(elapsed < 7_000, `4 x 2s hooks ran in parallel (${elapsed}ms)`);
    const starts = report.results.map((r) => Date.parse(r.startedAt ?? ''));
    assert.ok(Math.max(...starts) - Math.min(...starts) < 1_500, 'all started together');
  });

  void it('pod deleted while its hook waits: not-run pod-deleted, the run ends', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'doomed', neverStart: true });
    const run = postRestore(
      ctx,
      [hook(ctx, { pod: 'doomed', container: 'app', command: sh('echo never') })],
      { deadlineMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const t0 = Date.now();
    await ctx.deletePod('doomed');
    const report = await run;
    assert.deepEqual(statuses(report), ['doomed/app/e2e#0:not-run/pod-deleted']);
    assert.ok(Date.now() - t0 < 10_000);
  });

  void it('with a label selector: a pod relabelled out of it is pod-left-selector, a deleted one pod-deleted', async (t) => {
    const ctx = await e2eContext(t);
    const labels = { 'kubehooks.dev/sel': 'in' };
    await ctx.createPod({ name: 'leaves', neverStart: true, labels });
    await ctx.createPod({ name: 'doomed', neverStart: true, labels });
    const run = postRestore(
      ctx,
      [
        hook(ctx, { pod: 'leaves', container: 'app', command: sh('echo never') }),
        hook(ctx, { pod: 'doomed', container: 'app', command: sh('echo never') }),
      ],
      { deadlineMs: 60_000, labelSelector: 'kubehooks.dev/sel=in' },
    );
    await new Promise((r) => setTimeout(r, 1_000));
    // The API server ends a pod that stops matching with a DELETED event on the selector watch.
    await ctx.labelPod('leaves', { 'kubehooks.dev/sel': 'out' });
    await ctx.deletePod('doomed');
    const report = await run;
    assert.deepEqual(statuses(report), ['leaves/app/e2e#0:not-run/pod-left-selector', 'doomed/app/e2e#0:not-run/pod-deleted']);
    assert.match(report.results.at(0)?.reason ?? '', /no longer matches the selector kubehooks\.dev\/sel=in/);
  });

  void it('a 1 MiB argv fails naming the cause (argument list too long), not the size of the status', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'big-argv' });
    await ctx.waitForRunning('big-argv');
    const report = await postRestore(ctx, [hook(ctx, { pod: 'big-argv', container: 'app', command: ['/bin/echo', 'x'.repeat(1024 * 1024)] })]);
    assert.deepEqual(statuses(report), ['big-argv/app/e2e#0:failed/remote-error']);
    const reason = report.results.at(0)?.reason ?? '';
    assert.match(reason, /argument list too long$/);
    assert.ok(reason.length < 2_000, `the reason is cut (${reason.length} chars)`);
  });

  void it('a hook for a container the pod lacks fails at once (Velero would stall)', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'one' });
    const report = await postRestore(ctx, [
      hook(ctx, { pod: 'one', container: 'missing', command: sh('true') }),
    ]);
    assert.deepEqual(statuses(report), ['one/missing/e2e#0:failed/no-such-container']);
  });

  void it('run deadline: a hook with no wait timeout on a never-starting pod ends not-run/deadline', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'forever', neverStart: true });
    const report = await postRestore(
      ctx,
      [hook(ctx, { pod: 'forever', container: 'app', command: sh('true') })],
      { deadlineMs: 1_500 },
    );
    assert.deepEqual(statuses(report), ['forever/app/e2e#0:not-run/deadline']);
  });

  void it('Events: HookFailed for the failure, one HooksPartlySucceeded for the pod; per hook with eventGrouping per-hook', async (t) => {
    const ctx = await e2eContext(t);
    const reasonsOn = async (pod: string): Promise<string[]> => {
      const list = await ctx.core.listNamespacedEvent({ namespace: ctx.namespace });
      return list.items.filter((e) => e.involvedObject.name === pod).map((e) => `${e.type ?? ''} ${e.reason ?? ''}`).sort();
    };
    for (const [pod, eventGrouping, want] of [
      ['evented', 'per-pod', ['Normal HooksPartlySucceeded', 'Warning HookFailed']],
      ['per-hook', 'per-hook', ['Normal HookSucceeded', 'Warning HookFailed']],
    ] as const) {
      await ctx.createPod({ name: pod });
      await postRestore(ctx, [
        hook(ctx, { pod, container: 'app', command: sh('true') }),
        hook(ctx, { pod, container: 'app', index: 1, command: sh('exit 1') }),
      ], { eventGrouping });
      assert.deepEqual(await reasonsOn(pod), want);
    }
  });
});

void describe('run: backup hooks on the local cluster', { skip }, () => {
  void it('pre hooks: a running container runs; a not-yet-running one fails without exec; Fail stops the pod', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'db' });
    await ctx.createPod({ name: 'pending', neverStart: true });
    await ctx.waitForRunning('db');
    const pre = { phase: 'pre' as const };
    const report = await backup(ctx, [
      hook(ctx, { ...pre, pod: 'db', container: 'app', command: sh('echo frozen'), onError: 'Fail' }),
      hook(ctx, { ...pre, pod: 'db', container: 'app', index: 1, command: sh('exit 2'), onError: 'Fail' }),
      hook(ctx, { ...pre, pod: 'db', container: 'app', index: 2, command: sh('echo never') }),
      hook(ctx, { ...pre, pod: 'pending', container: 'app', command: sh('echo never') }),
    ]);
    assert.deepEqual(statuses(report), [
      'db/app/e2e#0:succeeded',
      'db/app/e2e#1:failed/non-zero-exit',
      'db/app/e2e#2:not-run/previous-hook-failed',
      'pending/app/e2e#0:failed/container-not-running',
    ]);
    assert.equal(report.results.at(0)?.stdout, 'frozen\n');
    assert.deepEqual({ attempted: report.summary.attempted, failed: report.summary.failed }, { attempted: 4, failed: 2 });
  });
});
