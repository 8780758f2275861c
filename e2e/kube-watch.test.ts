/**
 * src/kube's PodWatcher, PodLister and EventRecorder against the real local control plane.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { PodEvent, PodScope, PodWatcher, WatchLifecycle } from '../src/run/ports.ts';
import { createKubePorts, ForbiddenError, KubeClient, KubeEventRecorder, KubePodWatcher } from '../src/kube/index.ts';
import { countResources, e2eContext, e2eSkipReason, grownSince } from './harness/index.ts';

/** Counts watch streams opened, to prove one watch serves many pods. */
class CountingClient extends KubeClient {
  readonly watchPaths: string[] = [];
  override stream(...args: Parameters<KubeClient['stream']>): ReturnType<KubeClient['stream']> {
    this.watchPaths.push(args[0]);
    return super.stream(...args);
  }
}

/** Keeps the watch responses so a test can cut one, as a network drop would. */
class DroppableClient extends KubeClient {
  readonly responses: Awaited<ReturnType<KubeClient['stream']>>[] = [];
  readonly resourceVersions: (string | undefined)[] = [];
  override async stream(...args: Parameters<KubeClient['stream']>): ReturnType<KubeClient['stream']> {
    const res = await super.stream(...args);
    const rv = args[1].query?.['resourceVersion'];
    this.resourceVersions.push(typeof rv === 'string' ? rv : undefined);
    this.responses.push(res);
    return res;
  }
}

async function until(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface RunningWatch {
  readonly events: PodEvent[];
  readonly lifecycle: WatchLifecycle[];
  /** Aborts the watch and waits for run() to end. */
  stop(): Promise<void>;
}

/** Runs `watcher` over `scope`, keeping every event and lifecycle change, until stop(). */
function startWatch(watcher: PodWatcher, scope: PodScope): RunningWatch {
  const events: PodEvent[] = [];
  const lifecycle: WatchLifecycle[] = [];
  const controller = new AbortController();
  const done = watcher.run(scope, { onEvent: (e) => events.push(e), onLifecycle: (l) => lifecycle.push(l) }, controller.signal);
  return {
    events,
    lifecycle,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

const phaseOf = (events: readonly PodEvent[], name: string): (string | undefined)[] =>
  events.filter((e) => e.type === 'upsert' && e.pod.metadata.name === name).map((e) => e.pod.status?.phase);

void describe('kube pod watcher and events on the local control plane', { skip: e2eSkipReason() }, () => {
  void test('one watch sees many pods go Pending → Running, and deletions', async (t) => {
    const ctx = await e2eContext(t);
    const base = KubeClient.load({ kubeconfigPath: ctx.kubeconfigPath });
    const client = new CountingClient(base.kubeConfig);
    const watch = startWatch(new KubePodWatcher(client), { namespaces: [ctx.namespace], labelSelector: 'tier=db' });
    const { events, lifecycle } = watch;
    try {
      await until('initial list', () => lifecycle.some((l) => l.type === 'listed'));
      const names = Array.from({ length: 8 }, (_, i) => `db-${i}`);
      await Promise.all(
        names.map((name) => ctx.createPod({ name, labels: { tier: 'db' }, startDelayMs: 1500 })),
      );
      await ctx.createPod({ name: 'web', labels: { tier: 'web' } });
      for (const name of names) {
        await until(`${name} Running`, () => phaseOf(events, name).includes('Running'));
        assert.equal(phaseOf(events, name)[0], 'Pending', `${name} first seen ${String(phaseOf(events, name)[0])}`);
      }
      assert.ok(!events.some((e) => e.pod.metadata.name === 'web'), 'the label selector is applied by the server');

      await ctx.deletePod('db-3');
      await until('db-3 deleted', () => events.some((e) => e.type === 'deleted' && e.pod.metadata.name === 'db-3'));
      assert.equal(client.watchPaths.length, 1, `watch streams opened: ${client.watchPaths.join(', ')}`);
      assert.equal(client.watchPaths[0], `/api/v1/namespaces/${ctx.namespace}/pods`);
    } finally {
      await watch.stop();
      client.close();
    }
  });

  void test('a dropped watch connection resumes from the last resourceVersion without a relist', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'first' });
    const base = KubeClient.load({ kubeconfigPath: ctx.kubeconfigPath });
    const client = new DroppableClient(base.kubeConfig);
    const watch = startWatch(new KubePodWatcher(client, { backoff: { initialMs: 50 } }), { namespaces: [ctx.namespace] });
    const { events, lifecycle } = watch;
    try {
      await until('first Running', () => phaseOf(events, 'first').includes('Running'));
      // The pod may already be Running in the list: make sure the watch itself is open before cutting it.
      await until('watch open', () => client.responses.length === 1);
      const lastRv = Number(events.at(-1)?.pod.metadata['resourceVersion']);
      const seenBeforeDrop = events.length;
      client.responses[0]?.destroy(new Error('simulated network drop'));
      await until('second watch', () => client.responses.length === 2);
      await ctx.createPod({ name: 'second' });
      await until('second Running', () => phaseOf(events, 'second').includes('Running'));
      assert.equal(lifecycle.filter((l) => l.type === 'listed').length, 1, 'no relist');
      assert.ok(lifecycle.some((l) => l.type === 'reconnecting'));
      assert.ok(Number(client.resourceVersions[1]) >= lastRv, `resumed at ${String(client.resourceVersions[1])}, last seen ${lastRv}`);
      const replayed = events.slice(seenBeforeDrop).filter((e) => Number(e.pod.metadata['resourceVersion']) <= lastRv);
      assert.deepEqual(replayed, [], 'no replay of events seen before the drop');
    } finally {
      await watch.stop();
      client.close();
    }
  });

  void test('list() and a cluster-wide watch', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'one', labels: { pick: 'yes' } });
    await ctx.createPod({ name: 'two' });
    const before = countResources();
    const ports = createKubePorts({ kubeconfigPath: ctx.kubeconfigPath });
    try {
      const pods = await ports.lister.list({ namespaces: [ctx.namespace], labelSelector: 'pick=yes' }, t.signal);
      assert.deepEqual(pods.map((p) => p.metadata.name), ['one']);
      assert.equal(pods[0]?.spec.containers[0]?.name, 'app');

      const watch = startWatch(ports.watcher, { namespaces: [] });
      await until('both pods in the cluster-wide list', () =>
        ['one', 'two'].every((n) => watch.events.some((e) => e.pod.metadata.namespace === ctx.namespace && e.pod.metadata.name === n)),
      );
      await watch.stop();
    } finally {
      ports.close();
    }
    assert.deepEqual(await grownSince(before), [], 'resources still active after the watch and close()');
  });

  void test('a watch without RBAC rejects with ForbiddenError', async (t) => {
    const ctx = await e2eContext(t);
    const kubeconfig = await ctx.serviceAccountKubeconfig('no-pods');
    const ports = createKubePorts({ kubeconfigPath: kubeconfig });
    try {
      await assert.rejects(
        ports.watcher.run({ namespaces: [ctx.namespace] }, { onEvent: () => undefined }, t.signal),
        (e: unknown) => {
          assert.ok(e instanceof ForbiddenError, String(e));
          assert.equal(e.statusCode, 403);
          return true;
        },
      );
    } finally {
      ports.close();
    }
  });

  void test('events are created on the pod', async (t) => {
    const ctx = await e2eContext(t);
    const pod = await ctx.createPod({ name: 'evented' });
    const client = KubeClient.load({ kubeconfigPath: ctx.kubeconfigPath });
    try {
      const recorder = new KubeEventRecorder(client);
      const ok = await recorder.record(
        {
          namespace: ctx.namespace,
          pod: 'evented',
          ...(pod.metadata?.uid === undefined ? {} : { podUid: pod.metadata.uid }),
          type: 'Warning',
          reason: 'HookFailed',
          message: `hook failed: ${'x'.repeat(3000)}`,
        },
        t.signal,
      );
      assert.deepEqual(ok, { ok: true });
      const list = await ctx.core.listNamespacedEvent({ namespace: ctx.namespace });
      const event = list.items.find((e) => e.reason === 'HookFailed');
      assert.ok(event, 'event not found');
      assert.equal(event.involvedObject.name, 'evented');
      assert.equal(event.involvedObject.kind, 'Pod');
      assert.equal(event.involvedObject.uid, pod.metadata?.uid);
      assert.equal(event.type, 'Warning');
      assert.equal(event.source?.component, 'kubehooks');
      assert.equal(event.reportingComponent, 'kubehooks');
      assert.ok(Buffer.byteLength(event.message ?? '') <= 1024);

      const failed = await recorder.record(
        { namespace: 'no-such-namespace-kubehooks', pod: 'p', type: 'Normal', reason: 'HookSucceeded', message: 'ok' },
        t.signal,
      );
      assert.equal(failed.ok, false);
      assert.match(failed.error ?? '', /not found|404/);
    } finally {
      client.close();
    }
  });
});
