/**
 * `kubehooks controller` on the local control plane, as the shipped ServiceAccount with emulated
 * in-cluster configuration (KUBERNETES_SERVICE_HOST/PORT, token and CA files, no kubeconfig): the
 * shipped RBAC is enough. HookRuns run once; results, Events and the phase land in the status;
 * a HookRun outside the controller's namespace may not name another namespace; and the controller is
 * killed with SIGKILL mid-run and restarted, many times, with a side-effect file per hook: no hook
 * runs twice, a hook started without a result is `interrupted`, hooks not started run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { e2eContext } from './harness/index.ts';
import { kubectl, kubectlSkipReason } from './admission-support.ts';
import { lines, shJson } from './fault-support.ts';
import { getHookRun, hookRunYaml, installController, serviceAccountDir, startController, waitFinished } from './controller-support.ts';

const skip = kubectlSkipReason();

const BACKUP = { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'nightly' }, spec: {} };

void describe('kubehooks controller on the local control plane', () => {
  void test('as the shipped ServiceAccount, in-cluster: runs a HookRun once, results and Events in the cluster; namespaces confined', { skip, timeout: 300_000 }, async (t) => {
    const ctx = await e2eContext(t);
    const sa = await installController(ctx, t);
    const saDir = await serviceAccountDir(ctx, sa, t);
    const marks = await mkdtemp(join(tmpdir(), 'kubehooks-marks-'));
    t.after(() => rm(marks, { recursive: true, force: true }));
    for (const pod of ['db-0', 'db-1']) {
      await ctx.createPod({ name: pod, labels: { app: 'db' }, annotations: { 'pre.hook.backup.velero.io/command': shJson(`echo ran >> ${marks}/${pod}; echo frozen ${pod}`) } });
    }
    await ctx.createPod({ name: 'web', labels: { app: 'web' }, annotations: { 'pre.hook.backup.velero.io/command': shJson(`echo ran >> ${marks}/web`) } });
    for (const pod of ['db-0', 'db-1', 'web']) await ctx.waitForRunning(pod);
    // HookRuns in the test namespace; the controller's own namespace is another one.
    const controller = await startController(saDir, { POD_NAMESPACE: 'kubehooks-system-e2e' }, ['-n', ctx.namespace], t);
    const created = await kubectl(ctx.kubeconfigPath, ['create', '-f', '-'], hookRunYaml(ctx.namespace, 'freeze', { phase: 'pre-backup', backup: BACKUP, selector: { matchLabels: { app: 'db' } } }));
    assert.equal(created.code, 0, created.stderr);
    const hr = await waitFinished(ctx, 'freeze', controller);
    const status = hr.status ?? {};
    assert.equal(status.phase, 'Succeeded', controller.stderr());
    const summary = status.summary;
    assert.deepEqual(summary && { a: summary.attempted, f: summary.failed, s: summary.succeeded }, { a: 2, f: 0, s: 2 });
    assert.deepEqual((status.results ?? []).map((r) => [r.pod, r.status, r.stdout]).sort(), [['db-0', 'succeeded', 'frozen db-0\n'], ['db-1', 'succeeded', 'frozen db-1\n']]);
    assert.deepEqual(await lines(join(marks, 'db-0')), ['ran']);
    assert.deepEqual(await lines(join(marks, 'db-1')), ['ran']);
    assert.deepEqual(await lines(join(marks, 'web')), [], 'the selector left web out');
    const conditions = Object.fromEntries((status.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));
    assert.deepEqual(conditions, { Accepted: 'True/Planned', Complete: 'True/Succeeded' });
    const events = await kubectl(ctx.kubeconfigPath, ['get', 'events', '-n', ctx.namespace, '-o', 'json']);
    const list = (JSON.parse(events.stdout) as { items: { involvedObject: { kind: string; name: string }; reason: string }[] }).items;
    const on = (kind: string, name: string): string[] => list.filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name).map((e) => e.reason).sort();
    assert.deepEqual(on('HookRun', 'freeze'), ['HookRunStarted', 'HookRunSucceeded']);
    assert.deepEqual(on('Pod', 'db-0'), ['HooksSucceeded']);
    // A spec change after the start is refused; the run is not re-run (the marks stay at one line).
    const patched = await kubectl(ctx.kubeconfigPath, ['patch', 'hookrun', 'freeze', '-n', ctx.namespace, '--type', 'merge', '-p', '{"spec":{"concurrency":2}}']);
    assert.notEqual(patched.code, 0);
    // Not in the controller's namespace: another namespace is refused, with the reason.
    await kubectl(ctx.kubeconfigPath, ['create', '-f', '-'], hookRunYaml(ctx.namespace, 'elsewhere', { phase: 'pre-backup', backup: BACKUP, namespaces: ['kube-system'] }));
    const refused = await waitFinished(ctx, 'elsewhere', controller);
    const refusedStatus = refused.status ?? {};
    assert.equal(refusedStatus.phase, 'Failed');
    const accepted = (refusedStatus.conditions ?? []).find((c) => c.type === 'Accepted');
    assert.ok(accepted !== undefined);
    assert.equal(accepted.reason, 'NamespaceNotAllowed');
    assert.match(accepted.message, /spec\.namespaces names "kube-system"/);
    // A restore reference that does not exist.
    await kubectl(ctx.kubeconfigPath, ['create', '-f', '-'], hookRunYaml(ctx.namespace, 'noref', { phase: 'post-restore', restoreRef: { name: 'missing' } }));
    const noref = await waitFinished(ctx, 'noref', controller);
    assert.equal(noref.status?.conditions?.find((c) => c.type === 'Accepted')?.reason, 'SourceNotFound', controller.stderr());
    await sleep(1_500);
    assert.deepEqual(await lines(join(marks, 'db-0')), ['ran'], 'run once');
    assert.doesNotMatch(controller.stderr(), /forbidden/i, 'the shipped RBAC is enough');
    await controller.kill('SIGTERM');
    assert.equal(controller.child.exitCode, 0, controller.stderr());
  });

  void test('kill -9 mid-run and restart, repeatedly: no hook twice, started-without-result interrupted, the rest run', { skip, timeout: 900_000 }, async (t) => {
    const ctx = await e2eContext(t);
    const sa = await installController(ctx, t);
    const saDir = await serviceAccountDir(ctx, sa, t);
    const marks = await mkdtemp(join(tmpdir(), 'kubehooks-marks-'));
    t.after(() => rm(marks, { recursive: true, force: true }));
    const PODS = 4;
    const HOOKS = 3;
    const ITERATIONS = Number(process.env['KUBEHOOKS_E2E_KILL_ITERATIONS'] ?? '6');
    for (let p = 0; p < PODS; p++) {
      await ctx.createPod({ name: `app-${p}`, containers: ['c'], labels: { 'kubehooks.dev/e2e-pod': `app-${p}` } });
    }
    for (let p = 0; p < PODS; p++) await ctx.waitForRunning(`app-${p}`);
    const totals = { interrupted: 0, stopped: 0, succeeded: 0, iterations: 0, kills: 0 };
    for (let it = 0; it < ITERATIONS; it++) {
      const dir = join(marks, `it${it}`);
      await mkdir(dir);
      // Each hook appends to its own file, then takes a moment: kills land before, during and after execs.
      const resources = Array.from({ length: PODS }, (_, p) => ({
        name: `pod-${p}`,
        labelSelector: { matchLabels: { 'kubehooks.dev/e2e-pod': `app-${p}` } },
        pre: Array.from({ length: HOOKS }, (_, i) => ({ exec: { container: 'c', command: ['/bin/sh', '-c', `echo ran >> ${dir}/app-${p}-${i}; sleep 0.${3 + i}`] } })),
      }));
      const name = `kill-${it}`;
      const spec = { phase: 'pre-backup', backup: { ...BACKUP, spec: { hooks: { resources } } }, concurrency: 2 };
      assert.equal((await kubectl(ctx.kubeconfigPath, ['create', '-f', '-'], hookRunYaml(ctx.namespace, name, spec))).code, 0);
      let controller = await startController(saDir, { POD_NAMESPACE: ctx.namespace }, ['-n', ctx.namespace], t);
      // Kill while the journal shows a hook started (status running), at a different offset each time,
      // up to two kills per run; the first kill of every other run comes before any hook has started.
      let kills = 0;
      for (let k = 0; k < 2; k++) {
        const early = k === 0 && it % 2 === 1;
        const deadline = Date.now() + 60_000;
        let hr = await getHookRun(ctx, name);
        while (!early && hr.status?.completionTime === undefined && !(hr.status?.results ?? []).some((r) => r.status === 'running') && Date.now() < deadline) {
          await sleep(50);
          hr = await getHookRun(ctx, name);
        }
        if (hr.status?.completionTime !== undefined) break;
        await sleep(early ? 300 : ((it * 5 + k * 3) % 8) * 60);
        await controller.kill('SIGKILL');
        totals.kills++;
        kills++;
        controller = await startController(saDir, { POD_NAMESPACE: ctx.namespace }, ['-n', ctx.namespace], t);
      }
      const hr = await waitFinished(ctx, name, controller, 120_000);
      await controller.kill('SIGTERM');
      const results = hr.status?.results ?? [];
      assert.equal(results.length, PODS * HOOKS, JSON.stringify(hr.status));
      // An interrupted hook stops its pod's later hooks (not-run, never executed).
      const stoppedPods = new Set<string>();
      let interrupted = 0;
      for (const r of results) {
        const ran = await lines(join(dir, `${r.pod}-${r.index}`));
        assert.ok(ran.length <= 1, `${name}: ${r.pod}#${r.index} ran ${ran.length} times`);
        if (r.reasonCode === 'interrupted') {
          totals.interrupted++;
          interrupted++;
          stoppedPods.add(r.pod);
          assert.equal(r.status, 'failed');
        } else if (stoppedPods.has(r.pod)) {
          assert.equal(r.status, 'not-run', `${name}: ${r.pod}#${r.index} follows an interrupted hook`);
          assert.equal(r.reasonCode, 'previous-hook-failed');
          assert.deepEqual(ran, [], `${name}: ${r.pod}#${r.index} was not executed`);
          totals.stopped++;
        } else {
          assert.equal(r.status, 'succeeded', `${name}: ${r.pod}#${r.index}: ${r.status} ${r.reason ?? ''}\n${controller.stderr()}`);
          assert.deepEqual(ran, ['ran'], `${name}: ${r.pod}#${r.index} succeeded, so it ran exactly once`);
          totals.succeeded++;
        }
      }
      // Each kill leaves at most `concurrency` + the start lookahead (2 + 2, ADR 0027) hooks started without a result.
      assert.ok(interrupted <= 4 * kills, `${name}: ${interrupted} interrupted after ${kills} kills`);
      const final = hr.status ?? {};
      assert.equal(final.summary?.failed, results.filter((r) => r.status === 'failed').length);
      assert.equal(final.phase, results.some((r) => r.status === 'failed') ? 'Failed' : 'Succeeded');
      totals.iterations++;
    }
    t.diagnostic(`kill -9 iterations: ${JSON.stringify(totals)}`);
    assert.ok(totals.kills > 0, 'the controller was killed mid-run at least once');
  });
});
