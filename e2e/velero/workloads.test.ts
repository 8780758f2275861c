/**
 * Workload controllers on the local cluster (kube-controller-manager + kube-scheduler, started by
 * `test:e2e:velero`): each kind creates pods that the scheduler binds to the simulated node and kwok
 * runs, and the simulation annotations work through pod templates.
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are
   data-only classes and its serializer takes plain objects. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppsV1Api, BatchV1Api } from '@kubernetes/client-node';
import type { V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';
import { e2eContext, isReady, isRunning, simAnnotations } from '../harness/index.ts';
import type { E2eContext } from '../harness/index.ts';
import { controllersSkipReason } from './support.ts';

const skip = controllersSkipReason();

function template(
  app: string,
  annotations: Record<string, string> = {},
  restartPolicy?: 'Never',
): V1PodTemplateSpec {
  return {
    metadata: { labels: { app }, annotations },
    spec: {
      containers: [{ name: 'app', image: 'registry.invalid/kubehooks/fake:1' }],
      terminationGracePeriodSeconds: 0,
      ...(restartPolicy === undefined ? {} : { restartPolicy }),
    },
  };
}

async function podsOf(ctx: E2eContext, app: string, count: number, ok: (p: V1Pod) => boolean): Promise<V1Pod[]> {
  const deadline = Date.now() + 60_000;
  let last: V1Pod[] = [];
  while (Date.now() < deadline) {
    last = (await ctx.core.listNamespacedPod({ namespace: ctx.namespace, labelSelector: `app=${app}` })).items;
    if (last.length === count && last.every(ok)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(
    `pods of ${app}: wanted ${count}, have ${last
      .map((p) => `${p.metadata?.name ?? '?'} node=${p.spec?.nodeName ?? '-'} phase=${p.status?.phase ?? '-'}`)
      .join('; ')}`,
  );
}

void describe('workload controllers', () => {
  void test('Deployment, StatefulSet and DaemonSet pods are scheduled onto the kwok node and run', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    const apps = ctx.kubeConfig.makeApiClient(AppsV1Api);
    const namespace = ctx.namespace;
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template('web') },
      },
    });
    await apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: 'db' },
        spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db') },
      },
    });
    await apps.createNamespacedDaemonSet({
      namespace,
      body: {
        metadata: { name: 'agent' },
        spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent') },
      },
    });
    const web = await podsOf(ctx, 'web', 2, isReady);
    assert.ok(web.every((p) => p.spec?.nodeName === ctx.nodeName));
    assert.ok(web.every((p) => p.metadata?.ownerReferences?.[0]?.kind === 'ReplicaSet'));
    const db = await podsOf(ctx, 'db', 2, isReady);
    assert.deepEqual(db.map((p) => p.metadata?.name).sort(), ['db-0', 'db-1']);
    const agent = await podsOf(ctx, 'agent', 1, isRunning);
    assert.equal(agent[0]?.spec?.nodeName, ctx.nodeName);
    // Deleting a controlled pod: the ReplicaSet replaces it.
    const first = web[0]?.metadata?.name ?? '';
    await ctx.core.deleteNamespacedPod({ name: first, namespace, gracePeriodSeconds: 0 });
    const again = await podsOf(ctx, 'web', 2, (p) => isReady(p) && p.metadata?.name !== first);
    assert.equal(again.length, 2);
    await apps.deleteNamespacedDeployment({ name: 'web', namespace });
    await apps.deleteNamespacedStatefulSet({ name: 'db', namespace });
    await apps.deleteNamespacedDaemonSet({ name: 'agent', namespace });
  });

  void test('simulation annotations work through pod templates (ReplicaSet start delay, Job completion)', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    const apps = ctx.kubeConfig.makeApiClient(AppsV1Api);
    const batch = ctx.kubeConfig.makeApiClient(BatchV1Api);
    const namespace = ctx.namespace;
    const t0 = Date.now();
    await apps.createNamespacedReplicaSet({
      namespace,
      body: {
        metadata: { name: 'slow' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'slow' } },
          template: template('slow', simAnnotations({ startDelayMs: 2_000 })),
        },
      },
    });
    const pending = await podsOf(ctx, 'slow', 1, (p) => p.spec?.nodeName === ctx.nodeName);
    assert.equal(pending[0]?.status?.phase, 'Pending', 'the start delay holds the pod in Pending');
    await podsOf(ctx, 'slow', 1, isRunning);
    assert.ok(Date.now() - t0 >= 2_000, 'Running only after the start delay');
    // A Job whose container exits 0 after 500 ms: the pod Succeeds and the Job completes.
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'once' },
        spec: {
          backoffLimit: 0,
          template: template('once', simAnnotations({ terminate: '*', terminateDelayMs: 500, exitCode: 0 }), 'Never'),
        },
      },
    });
    const deadline = Date.now() + 60_000;
    let succeeded = 0;
    while (Date.now() < deadline && succeeded < 1) {
      succeeded = (await batch.readNamespacedJob({ name: 'once', namespace })).status?.succeeded ?? 0;
      if (succeeded < 1) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(succeeded, 1, 'the Job counts its pod as succeeded');
    await batch.deleteNamespacedJob({ name: 'once', namespace, propagationPolicy: 'Background' });
    await apps.deleteNamespacedReplicaSet({ name: 'slow', namespace });
  });
});
