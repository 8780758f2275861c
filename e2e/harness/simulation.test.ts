/**
 * The simulated node's behaviours that other e2e tests rely on (scripts/cluster/simulation.ts),
 * and that RBAC on the local cluster is real.
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are
   data-only classes and its serializer takes plain objects. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { CoreV1Api, Exec, KubeConfig } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { e2eContext, e2eSkipReason, isReady, isRunning, SIM, WaitTimeoutError } from './index.ts';

const containerState = (pod: V1Pod | undefined, name: string): string => {
  const s = pod?.status?.containerStatuses?.find((c) => c.name === name)?.state;
  if (s?.running) return 'running';
  if (s?.terminated) return `terminated:${s.terminated.exitCode}:${s.terminated.reason ?? ''}`;
  if (s?.waiting) return `waiting:${s.waiting.reason ?? ''}`;
  return 'none';
};

// Each test carries the reason, so node's summary counts the skipped tests.
const skip = e2eSkipReason();

void describe('simulated node', () => {
  void test('default: Running then Ready at once; pod IP and host IP set', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'plain', containers: ['a', 'b'] });
    const pod = await ctx.waitForReady('plain', { timeoutMs: 10_000 });
    assert.ok(isRunning(pod));
    assert.equal(pod.status?.hostIP, '127.0.0.1');
    assert.match(pod.status.podIP ?? '', /^10\.0\./);
    assert.ok(pod.status.containerStatuses?.every((c) => c.ready));
  });

  void test('start-delay: Pending (ContainerCreating) for the delay, then Running', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    const created = Date.now();
    await ctx.createPod({ name: 'slow', startDelayMs: 2_000 });
    const pending = await ctx.waitForPod('slow', (p) => p?.status?.podIP !== undefined, 'created');
    assert.equal(pending?.status?.phase, 'Pending');
    assert.equal(containerState(pending, 'app'), 'waiting:ContainerCreating');
    await ctx.waitForRunning('slow', { timeoutMs: 10_000 });
    const took = Date.now() - created;
    assert.ok(took >= 1_900 && took < 6_000, `Running after ${took} ms`);
  });

  void test('never-start holds the pod Pending until the annotation is removed', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'held', neverStart: true, waitingReason: 'ImagePullBackOff' });
    await assert.rejects(ctx.waitForRunning('held', { timeoutMs: 1_500 }), (err: unknown) => {
      assert.ok(err instanceof WaitTimeoutError);
      assert.match(err.message, /waiting\(ImagePullBackOff\)/);
      return true;
    });
    await ctx.annotatePod('held', { [SIM.neverStart]: null });
    await ctx.waitForRunning('held', { timeoutMs: 10_000 });
  });

  void test('a pod on an unmanaged node gets no status at all', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'orphan', unmanagedNode: true });
    await sleep(1_000);
    const pod = await ctx.core.readNamespacedPod({ name: 'orphan', namespace: ctx.namespace });
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.status.containerStatuses, undefined);
    assert.equal(pod.spec?.nodeName, ctx.unmanagedNodeName);
  });

  void test(
    'ready=false: Running but not Ready; set on a Ready pod it turns it unready',
    { skip },
    async (t) => {
      const ctx = await e2eContext(t);
      await ctx.createPod({ name: 'unready', ready: false });
      await ctx.createPod({ name: 'flips' });
      await ctx.waitForRunning('unready', { timeoutMs: 10_000 });
      await ctx.waitForReady('flips', { timeoutMs: 10_000 });
      await sleep(500);
      const unready = await ctx.core.readNamespacedPod({ name: 'unready', namespace: ctx.namespace });
      assert.equal(isReady(unready), false);
      await ctx.annotatePod('flips', { [SIM.ready]: 'false' });
      const flipped = await ctx.waitForPod('flips', (p) => !isReady(p), 'not Ready', { timeoutMs: 10_000 });
      assert.ok(isRunning(flipped));
      await ctx.annotatePod('flips', { [SIM.ready]: null });
      await ctx.waitForReady('flips', { timeoutMs: 10_000 });
    },
  );

  void test('ready-delay: Running first, Ready after the delay', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'warming', readyDelayMs: 1_500 });
    const running = await ctx.waitForRunning('warming', { timeoutMs: 10_000 });
    const runningAt = Date.now();
    assert.equal(isReady(running), false);
    await ctx.waitForReady('warming', { timeoutMs: 10_000 });
    assert.ok(Date.now() - runningAt >= 1_000);
  });

  void test(
    'terminate: one container terminates with the exit code; all → pod Failed',
    { skip },
    async (t) => {
      const ctx = await e2eContext(t);
      await ctx.createPod({ name: 'one', containers: ['app', 'side'], terminate: 'side', exitCode: 137 });
      await ctx.createPod({ name: 'all', terminate: '*', terminateDelayMs: 500 });
      const one = await ctx.waitForPod(
        'one',
        (p) => containerState(p, 'side').startsWith('terminated'),
        'terminated',
      );
      assert.equal(containerState(one, 'side'), 'terminated:137:Error');
      assert.equal(containerState(one, 'app'), 'running');
      assert.equal(one?.status?.phase, 'Running');
      assert.equal(isReady(one), false);
      const all = await ctx.waitForPod('all', (p) => p?.status?.phase === 'Failed', 'Failed', {
        timeoutMs: 10_000,
      });
      assert.equal(containerState(all, 'app'), 'terminated:1:Error');
    },
  );

  void test('graceful delete completes (kwok removes the pod)', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'bye' });
    await ctx.waitForRunning('bye', { timeoutMs: 10_000 });
    await ctx.core.deleteNamespacedPod({ name: 'bye', namespace: ctx.namespace, gracePeriodSeconds: 30 });
    await ctx.waitForPod('bye', (p) => p === undefined, 'deleted', { timeoutMs: 10_000 });
  });

  void test(
    'RBAC is enforced: WebSocket exec needs both get and create on pods/exec',
    { skip },
    async (t) => {
      const ctx = await e2eContext(t);
      await ctx.createPod({ name: 'target' });
      await ctx.waitForRunning('target', { timeoutMs: 10_000 });
      const kc = new KubeConfig();
      kc.loadFromFile(await ctx.serviceAccountKubeconfig('hook-runner'));
      const asSa = kc.makeApiClient(CoreV1Api);
      const forbidden = (err: unknown): boolean => {
        assert.match(String((err as { message?: string }).message ?? err), /403/);
        return true;
      };
      await assert.rejects(asSa.readNamespacedPod({ name: 'target', namespace: ctx.namespace }), forbidden);

      const grant = async (name: string, execVerbs: string[]): Promise<void> => {
        await ctx.rbac.createNamespacedRole({
          namespace: ctx.namespace,
          body: {
            metadata: { name },
            rules: [
              { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
              { apiGroups: [''], resources: ['pods/exec'], verbs: execVerbs },
            ],
          },
        });
        await ctx.rbac.createNamespacedRoleBinding({
          namespace: ctx.namespace,
          body: {
            metadata: { name },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
            subjects: [{ kind: 'ServiceAccount', name: 'hook-runner', namespace: ctx.namespace }],
          },
        });
      };
      const exec = async (): Promise<string> => {
        let status = '';
        const socket = await new Exec(kc).exec(
          ctx.namespace,
          'target',
          'app',
          ['true'],
          new PassThrough().resume(),
          null,
          null,
          false,
          (s) => {
            status = `${s.status ?? ''} ${s.message ?? ''}`.trim();
          },
        );
        await new Promise((resolve) => socket.once('close', resolve));
        return status;
      };

      await grant('get-only', ['get']);
      const pod = await asSa.readNamespacedPod({ name: 'target', namespace: ctx.namespace });
      assert.equal(pod.metadata?.name, 'target');
      // The apiserver's RBAC authorizer sees new bindings through its informer: allow it a moment.
      await assert.rejects(exec(), forbidden);
      await grant('get-create', ['get', 'create']);
      const deadline = Date.now() + 5_000;
      for (;;) {
        try {
          assert.equal(await exec(), 'Success');
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(100);
        }
      }
    },
  );
});
