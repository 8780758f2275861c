import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodManifest } from '../model/pod.ts';
import type { OwnerKind, OwnerObject } from '../plan/from-restore.ts';
import { createSystemClock } from '../run/clock.ts';
import type { OwnerLister, PodLister, PodScope, RestoreReader } from '../run/ports.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeExecutor, FakeWatcher } from '../testing/run-fakes.ts';
import type { HookRun } from './hookrun-types.ts';
import { HookRunRunner, type HookRunApi } from './hookrun-run.ts';

const RN = 'velero.io/restore-name';
const ns = 'shop';

class MemoryApi implements HookRunApi {
  hookRun: HookRun;
  rv = 1;
  readonly events: string[] = [];
  readonly cluster: Cluster;
  constructor(hr: HookRun, cluster: Cluster) {
    this.hookRun = { ...hr, metadata: { ...hr.metadata, resourceVersion: '1' } };
    this.cluster = cluster;
  }
  get(): Promise<HookRun> {
    return Promise.resolve(this.hookRun);
  }
  replaceStatus(hr: HookRun): Promise<HookRun> {
    if (hr.metadata.resourceVersion !== String(this.rv)) return Promise.reject(Object.assign(new Error('conflict'), { statusCode: 409 }));
    this.rv++;
    this.hookRun = { ...hr, metadata: { ...hr.metadata, resourceVersion: String(this.rv) } };
    return Promise.resolve(this.hookRun);
  }
  getVelero(_kind: 'backups' | 'restores', namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
    return this.cluster.getRestore(namespace, name);
  }
  event(_hr: HookRun, _type: 'Normal' | 'Warning', reason: string): Promise<{ ok: boolean }> {
    this.events.push(reason);
    return Promise.resolve({ ok: true });
  }
}

class Cluster implements RestoreReader, OwnerLister, PodLister {
  phase: string;
  readonly ownerLists: string[] = [];
  readonly pods: PodManifest[];
  readonly owners: OwnerObject[];
  constructor(phase: string, pods: PodManifest[], owners: OwnerObject[]) {
    this.phase = phase;
    this.pods = pods;
    this.owners = owners;
  }
  getRestore(namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
    if (name !== 'r1') return Promise.resolve(undefined);
    return Promise.resolve({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name, namespace }, spec: { backupName: 'b1', includedNamespaces: ['shop-src'], namespaceMapping: { 'shop-src': ns } }, status: { phase: this.phase } });
  }
  listOwners(kind: OwnerKind, namespace: string): Promise<readonly OwnerObject[]> {
    this.ownerLists.push(`${namespace}/${kind}`);
    return Promise.resolve(this.owners.filter((o) => o.kind === kind && o.namespace === namespace));
  }
  list(scope: PodScope): Promise<readonly PodManifest[]> {
    return Promise.resolve(this.pods.filter((p) => scope.namespaces.length === 0 || scope.namespaces.includes(p.metadata.namespace ?? '')));
  }
}

function runningPod(name: string, owner: string | undefined, labels: Record<string, string> = {}): PodManifest {
  return {
    metadata: {
      name,
      namespace: ns,
      uid: `u-${name}`,
      labels,
      annotations: { 'post.hook.restore.velero.io/command': JSON.stringify(['/bin/mark', name]) },
      ...(owner === undefined ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `u-${owner}`, controller: true }] }),
    },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: { running: { startedAt: '2026-12-02T00:00:00Z' } } }] },
  };
}

const owners: OwnerObject[] = [
  { kind: 'Deployment', namespace: ns, name: 'web', uid: 'u-web', labels: { [RN]: 'r1' } },
  { kind: 'ReplicaSet', namespace: ns, name: 'web-1', uid: 'u-web-1', ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'u-web', controller: true }] },
];

function hookRun(restoreName: string): HookRun {
  return {
    apiVersion: 'kubehooks.dev/v1alpha1',
    kind: 'HookRun',
    metadata: { name: 'after-r1', namespace: 'kubehooks', uid: 'hr-1', generation: 1 },
    spec: { phase: 'post-restore', restoreRef: { namespace: 'velero', name: restoreName }, deadline: '1m' },
  };
}

function runner(api: MemoryApi, cluster: Cluster, executor: FakeExecutor): HookRunRunner {
  const pods = cluster.pods;
  return new HookRunRunner({
    api,
    executor,
    watcher: new FakeWatcher(pods),
    lister: cluster,
    clock: createSystemClock(),
    systemNamespace: 'kubehooks',
    log: () => undefined,
    holder: 'test',
    restores: cluster,
    settleMs: 0,
  });
}

void test('HookRun restoreRef: hooks run only in the pods the restored workloads created; the pod Velero created is skipped created-by-velero', async () => {
  const pods = [runningPod('web-1-a', 'web-1'), runningPod('web-1-b', 'web-1'), runningPod('web-1-v', 'web-1', { [RN]: 'r1' }), runningPod('bare', undefined)];
  const cluster = new Cluster('Completed', pods, owners);
  const api = new MemoryApi(hookRun('r1'), cluster);
  const executor = new FakeExecutor(new FakeClock());
  const out = await runner(api, cluster, executor).run(api.hookRun, new AbortController().signal);
  assert.equal(out.kind, 'done');
  assert.deepEqual(executor.executed.sort(), ['web-1-a/app:/bin/mark web-1-a', 'web-1-b/app:/bin/mark web-1-b']);
  const status = api.hookRun.status ?? {};
  assert.equal(status.phase, 'Succeeded', JSON.stringify(status.conditions));
  assert.deepEqual((status.skipped ?? []).map((s) => `${s.pod}:${s.code}`).sort(), ['bare:no-owner', 'web-1-v:created-by-velero']);
  assert.deepEqual(cluster.ownerLists.sort(), ['shop/Deployment', 'shop/ReplicaSet']);
});

for (const [phase, name, reason] of [['Failed', 'r1', 'RestoreFailed'], ['FailedValidation', 'r1', 'RestoreFailed'], ['Completed', 'nope', 'SourceNotFound']] as const) {
  void test(`HookRun restoreRef: a Restore that is ${name === 'r1' ? phase : 'missing'} ends the HookRun Failed (${reason}); no hook runs`, async () => {
    const cluster = new Cluster(phase, [runningPod('web-1-a', 'web-1')], owners);
    const api = new MemoryApi(hookRun(name), cluster);
    const executor = new FakeExecutor(new FakeClock());
    await runner(api, cluster, executor).run(api.hookRun, new AbortController().signal);
    assert.equal(executor.calls.length, 0);
    const status = api.hookRun.status ?? {};
    assert.equal(status.phase, 'Failed');
    const accepted = (status.conditions ?? []).find((c) => c.type === 'Accepted');
    assert.ok(accepted !== undefined);
    assert.equal(accepted.status, 'False');
    assert.equal(accepted.reason, reason);
    assert.match(accepted.message, /spec\.restoreRef/);
    assert.ok(api.events.includes(reason));
  });
}
