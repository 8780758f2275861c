/**
 * The Velero follow-up (issue 14 item 7, ADR 0021) with the real Velero of the local cluster: an app
 * with an annotated Deployment, a StatefulSet and a bare pod is backed up, deleted and restored with
 * a namespace mapping. The workloads' pod templates carry velero.io/exclude-from-backup=true (Velero
 * backs up and restores the workloads, and their controllers create fresh pods, as many setups do to
 * avoid restoring stale pods); the bare pod is backed up and restored by Velero itself.
 *
 * Velero runs the hook of the pod it creates (the bare pod); `kubehooks run post-restore
 * --from-restore`, started right after the Restore is created (so it has to wait for it), runs the
 * hooks of the pods the restored Deployment and StatefulSet create. Each hook writes a marker file
 * with a unique suffix (kwok runs exec argv as local processes): every hook ran exactly once per pod.
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are
   data-only classes and its serializer takes plain objects. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolve } from 'node:path';
import { ApiextensionsV1Api, AppsV1Api } from '@kubernetes/client-node';
import { hookRunCrd } from '../../src/controller/hookrun-crd.ts';
import { hookRunJournalCrd } from '../../src/controller/hookrunjournal-crd.ts';
import { spawnOwned } from '../../src/testing/owned-process.ts';
import type { V1CustomResourceDefinition, V1PodTemplateSpec } from '@kubernetes/client-node';
import { fakePod } from '../harness/index.ts';
import { clients, createFromCli, createNamespace, kubehooks, markers, sleep, suffix, veleroE2e, veleroSkipReason, waitPods, waitTerminal } from './support.ts';
import type { Clients } from './support.ts';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'kubehooks.js');

/** The controller's CRDs: HookRun and the HookRunJournal it writes before each hook (ADR 0024). */
async function installCrd(c: Clients): Promise<void> {
  const ext = c.kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of [hookRunCrd(), hookRunJournalCrd()] as unknown as (V1CustomResourceDefinition & { metadata: { name: string } })[]) {
    try {
      await ext.createCustomResourceDefinition({ body: crd });
    } catch (error) {
      if (!String(error).includes('409') && !String(error).includes('AlreadyExists')) throw error;
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const got = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
      if (got.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') === true) break;
      if (Date.now() > deadline) throw new Error(`the ${crd.metadata.name} CRD was not Established in 30 s`);
      await sleep(200);
    }
  }
}

interface HookRunStatus {
  phase?: string;
  completionTime?: string;
  results?: { namespace: string; pod: string; status: string }[];
  skipped?: { pod: string; code: string }[];
  conditions?: unknown[];
}

const skip = veleroSkipReason();

/** A post-restore hook that leaves <live>/<key>.<random> (one file per run of the hook). */
const hook = (live: string, key: string): Record<string, string> => ({
  'post.hook.restore.velero.io/command': JSON.stringify(['/bin/sh', '-c', `mktemp '${live}/${key}.XXXXXX' >/dev/null`]),
});

function template(app: string, annotations: Record<string, string>): V1PodTemplateSpec {
  return {
    metadata: { labels: { app, 'velero.io/exclude-from-backup': 'true' }, annotations },
    spec: { containers: [{ name: 'app', image: 'registry.invalid/kubehooks/fake:1' }], terminationGracePeriodSeconds: 0 },
  };
}

interface Report {
  summary: { attempted: number; failed: number };
  restore: string | null;
  results: { namespace: string; pod: string; status: string }[];
  skipped?: { pod: string; code: string }[];
}

const counts = (names: Iterable<string>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const n of names) {
    const key = n.split('.')[0] ?? n;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
};

void describe('Velero follow-up: --from-restore', () => {
  void test('Velero runs the hooks of the pods it creates, kubehooks (CLI, then the controller with --watch-restores) those of the pods the restored workloads create: each hook once per pod', { skip, timeout: 900_000 }, async (t) => {
    const c = clients();
    const apps = c.kc.makeApiClient(AppsV1Api);
    const id = suffix();
    const src = `fr-${id}`;
    const dst = `${src}-r`;
    const m = await markers(t);
    await createNamespace(c, src);
    await apps.createNamespacedDeployment({ namespace: src, body: { metadata: { name: 'web', labels: { app: 'web' } }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template('web', hook(m.live, 'web')) } } });
    await apps.createNamespacedStatefulSet({ namespace: src, body: { metadata: { name: 'db', labels: { app: 'db' } }, spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db', hook(m.live, 'db')) } } });
    await c.core.createNamespacedPod({ namespace: src, body: fakePod({ name: 'tool', namespace: src, nodeName: c.nodeName, annotations: hook(m.live, 'tool') }) });
    await waitPods(c, src, 5, (p) => p.status?.phase === 'Running', 90_000);

    const backupName = `b-${id}`;
    await createFromCli(c, 'backups', ['backup', 'create', backupName, '--include-namespaces', src]);
    const b = await waitTerminal(c, 'backups', backupName);
    assert.equal(b.phase, 'Completed', `backup ${backupName}: ${JSON.stringify(b)}`);
    // The app is lost; the restore brings it back into another namespace.
    await c.core.deleteNamespace({ name: src });

    const restoreName = `r-${id}`;
    await createFromCli(c, 'restores', ['restore', 'create', restoreName, '--from-backup', backupName, '--namespace-mappings', `${src}:${dst}`]);
    const v = veleroE2e();
    const ref = `${v.namespace}/${restoreName}`;
    // Started at once: kubehooks waits for the Restore to create its objects, then settles.
    const running = kubehooks(['run', 'post-restore', '--from-restore', ref, '--kubeconfig', c.kubeconfigPath, '-o', 'json', '--settle', '8s', '--deadline', '4m'], 300_000);
    const status = await waitTerminal(c, 'restores', restoreName, 180_000);
    assert.ok(status.phase === 'Completed' || status.phase === 'PartiallyFailed', `restore ${restoreName}: ${JSON.stringify(status)}`);
    const r = await running;
    t.diagnostic(`kubehooks exit ${String(r.code)}\n${r.stderr}`);
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
    assert.match(r.stderr, /waiting for velero\.io\/v1 Restore|is (Completed|Finalizing|PartiallyFailed)/);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.restore, restoreName);
    const pods = (await c.core.listNamespacedPod({ namespace: dst })).items;
    const byApp = (app: string): string[] => pods.filter((p) => p.metadata?.labels?.['app'] === app).map((p) => p.metadata?.name ?? '').sort();
    assert.equal(byApp('web').length, 2);
    assert.deepEqual(byApp('db'), ['db-0', 'db-1']);
    // kubehooks ran one hook in each pod the controllers created, in the target namespace, and none in the pod Velero created.
    assert.deepEqual(report.results.map((x) => `${x.namespace}/${x.pod}:${x.status}`).sort(), [...byApp('web'), ...byApp('db')].map((p) => `${dst}/${p}:succeeded`).sort());
    const toolSkip = report.skipped?.find((s) => s.pod === 'tool');
    assert.equal(toolSkip?.code, 'created-by-velero', JSON.stringify(report.skipped));
    // Velero ran the bare pod's hook (and only that one).
    if (status.hookStatus !== undefined && Object.keys(status.hookStatus).length > 0) {
      assert.equal(status.hookStatus.hooksAttempted ?? 0, 1, JSON.stringify(status));
    }
    const plan = await kubehooks(['plan', '--from-restore', ref, '--kubeconfig', c.kubeconfigPath, '-o', 'json']);
    assert.equal(plan.code, 0, plan.stderr);
    const planned = JSON.parse(plan.stdout) as { hooks: { pod: string }[]; skipped: { pod: string; code: string }[] };
    assert.deepEqual(planned.hooks.map((h) => h.pod).sort(), [...byApp('web'), ...byApp('db')].sort());
    assert.deepEqual(planned.skipped.map((s) => `${s.pod}:${s.code}`), ['tool:created-by-velero']);

    const seen = await m.collect('all', 20_000);
    assert.deepEqual(counts(seen.names), { web: 2, db: 2, tool: 1 }, `markers: ${[...seen.names].join(', ')}`);

    // Bad input: clear errors, exit 2, nothing run.
    const missing = await kubehooks(['run', 'post-restore', '--from-restore', `${v.namespace}/no-such-${id}`, '--kubeconfig', c.kubeconfigPath]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no velero\.io\/v1 Restore .*no-such-/);
    const malformed = await kubehooks(['plan', '--from-restore', restoreName, '--kubeconfig', c.kubeconfigPath]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /NAMESPACE\/NAME/);

    // The controller, opted in with --watch-restores: an annotated Restore of the same backup into a
    // third namespace gets a HookRun, which waits for the Restore and runs the same hooks there.
    await installCrd(c);
    const sys = `${src}-sys`;
    await createNamespace(c, sys);
    let controllerLog = '';
    // Owned by the test process: stopped when the test ends, and dies with this process however it ends.
    const controller = spawnOwned(process.execPath, [BIN, 'controller', '--kubeconfig', c.kubeconfigPath, '-n', sys, '--system-namespace', sys, '--watch-restores', '--restore-namespace', v.namespace, '--settle', '8s'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KUBECONFIG: '' }, t });
    controller.child.stderr?.setEncoding('utf8');
    controller.child.stderr?.on('data', (d: string) => {
      controllerLog += d;
    });
    const dst2 = `${src}-c`;
    const r2 = `r2-${id}`;
    await createFromCli(c, 'restores', ['restore', 'create', r2, '--from-backup', backupName, '--namespace-mappings', `${src}:${dst2}`]);
    // Not annotated when created (velero builds it): annotate it now, within the 10-minute window.
    await c.custom.patchNamespacedCustomObject({ group: 'velero.io', version: 'v1', namespace: v.namespace, plural: 'restores', name: r2, body: [{ op: 'add', path: '/metadata/annotations', value: { 'kubehooks.dev/post-restore-hooks': 'true' } }] });
    const hrName = `restore-${v.namespace}-${r2}`;
    const deadline2 = Date.now() + 240_000;
    let hr: { status?: HookRunStatus } | undefined;
    while (Date.now() < deadline2) {
      hr = (await c.custom.getNamespacedCustomObject({ group: 'kubehooks.dev', version: 'v1alpha1', namespace: sys, plural: 'hookruns', name: hrName }).catch(() => undefined)) as { status?: HookRunStatus } | undefined;
      if (hr?.status?.completionTime !== undefined) break;
      await sleep(500);
    }
    t.diagnostic(`controller:\n${controllerLog}`);
    const st = hr?.status;
    assert.ok(st?.completionTime !== undefined, `HookRun ${sys}/${hrName} did not finish: ${JSON.stringify(hr)}\n${controllerLog}`);
    assert.equal(st.phase, 'Succeeded', JSON.stringify(st.conditions));
    const pods2 = (await c.core.listNamespacedPod({ namespace: dst2 })).items;
    const owned2 = pods2.filter((p) => p.metadata?.labels?.['app'] === 'web' || p.metadata?.labels?.['app'] === 'db').map((p) => `${dst2}/${p.metadata?.name ?? ''}:succeeded`).sort();
    assert.equal(owned2.length, 4);
    assert.deepEqual((st.results ?? []).map((x) => `${x.namespace}/${x.pod}:${x.status}`).sort(), owned2);
    assert.ok((st.skipped ?? []).some((x) => x.pod === 'tool' && x.code === 'created-by-velero'), JSON.stringify(st.skipped));
    const seen2 = await m.collect('controller', 20_000);
    assert.deepEqual(counts(seen2.names), { web: 2, db: 2, tool: 1 }, `markers: ${[...seen2.names].join(', ')}`);
    await controller.stop({ graceMs: 15_000 });
    for (const ns of [dst, dst2, sys]) await c.core.deleteNamespace({ name: ns });
  });
});
