import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodManifest } from '../model/pod.ts';
import type { OwnerKind, OwnerObject } from '../plan/from-restore.ts';
import { planFromRestore } from '../plan/from-restore.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { FakeWatcher } from '../testing/run-fakes.ts';
import { parseRestoreObject } from '../velero/spec.ts';
import { loadOwners, prepareFromRestore, type FromRestoreOptions } from './from-restore.ts';
import type { OwnerLister, PodLister, RestoreReader } from './ports.ts';

const RN = 'velero.io/restore-name';
const ns = 'shop';

function restoreObject(phase: string | undefined): Record<string, unknown> {
  return { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r1', namespace: 'velero' }, spec: { backupName: 'b1', includedNamespaces: ['shop-src'], namespaceMapping: { 'shop-src': ns } }, ...(phase === undefined ? {} : { status: { phase } }) };
}

const pod = (name: string, owner: { kind: string; name: string } | undefined, labels?: Record<string, string>): PodManifest => ({
  metadata: {
    name,
    namespace: ns,
    uid: `u-${name}`,
    ...(labels === undefined ? {} : { labels }),
    annotations: { 'post.hook.restore.velero.io/command': '["/bin/true"]' },
    ...(owner === undefined ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: `u-${owner.name}`, controller: true }] }),
  },
  spec: { containers: [{ name: 'app' }] },
});

class FakeCluster implements RestoreReader, OwnerLister, PodLister {
  phases: (string | undefined)[];
  restoreGets = 0;
  readonly ownerLists: string[] = [];
  readonly owners: OwnerObject[];
  pods: PodManifest[];
  constructor(phases: (string | undefined)[], owners: OwnerObject[], pods: PodManifest[]) {
    this.phases = phases;
    this.owners = owners;
    this.pods = pods;
  }
  getRestore(): Promise<Record<string, unknown> | undefined> {
    this.restoreGets++;
    const phase = this.phases.length > 1 ? this.phases.shift() : this.phases[0];
    return Promise.resolve(phase === 'missing' ? undefined : restoreObject(phase));
  }
  listOwners(kind: OwnerKind, namespace: string): Promise<readonly OwnerObject[]> {
    this.ownerLists.push(`${namespace}/${kind}`);
    return Promise.resolve(this.owners.filter((o) => o.kind === kind && o.namespace === namespace));
  }
  list(): Promise<readonly PodManifest[]> {
    return Promise.resolve(this.pods);
  }
}

const restored = { [RN]: 'r1' };
const owners: OwnerObject[] = [
  { kind: 'Deployment', namespace: ns, name: 'web', uid: 'u-web', labels: restored },
  { kind: 'ReplicaSet', namespace: ns, name: 'web-1', uid: 'u-web-1', labels: restored, ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'u-web', controller: true }] },
  { kind: 'StatefulSet', namespace: ns, name: 'db', uid: 'u-db', labels: restored },
];

function options(cluster: FakeCluster, watcher: FakeWatcher, clock: FakeClock, over: Partial<FromRestoreOptions> = {}): FromRestoreOptions {
  return { restores: cluster, owners: cluster, lister: cluster, watcher, clock, signal: new AbortController().signal, namespace: 'velero', name: 'r1', deadlineMs: 60_000, settleMs: 0, pollMs: 1_000, ...over };
}

void test('loadOwners lists each (namespace, kind) once, level by level, however many pods', async () => {
  const cluster = new FakeCluster(['Completed'], owners, []);
  const pods = [pod('web-1-a', { kind: 'ReplicaSet', name: 'web-1' }), pod('web-1-b', { kind: 'ReplicaSet', name: 'web-1' }), pod('db-0', { kind: 'StatefulSet', name: 'db' }), pod('db-1', { kind: 'StatefulSet', name: 'db' }), pod('tool', undefined)];
  const { restore } = parseRestoreObject(restoreObject('Completed'));
  assert.ok(restore);
  const index = await loadOwners(restore, pods, cluster, new AbortController().signal);
  assert.deepEqual(cluster.ownerLists.sort(), ['shop/Deployment', 'shop/ReplicaSet', 'shop/StatefulSet']);
  const plan = planFromRestore(restore, pods, index);
  assert.deepEqual(plan.hooks.map((h) => h.pod), ['web-1-a', 'web-1-b', 'db-0', 'db-1']);
  assert.deepEqual(plan.skipped.map((s) => `${s.pod}:${s.code}`), ['tool:no-owner']);
});

void test('prepareFromRestore waits while the Restore is New/InProgress, then plans from the target namespaces', async () => {
  const clock = new FakeClock();
  const cluster = new FakeCluster([undefined, 'InProgress', 'InProgress', 'Finalizing'], owners, [pod('db-0', { kind: 'StatefulSet', name: 'db' })]);
  const statuses: string[] = [];
  const p = prepareFromRestore(options(cluster, new FakeWatcher(), clock, { onStatus: (m) => statuses.push(m) }));
  for (let i = 0; i < 5; i++) await clock.advance(1_000);
  const out = await p;
  assert.ok(out.kind === 'ready', out.kind);
  assert.equal(out.phase, 'Finalizing');
  assert.deepEqual(out.scope.namespaces, [ns], 'the Restore\'s target namespace, after namespaceMapping');
  assert.equal(cluster.restoreGets, 4);
  assert.equal(statuses.filter((s) => s.includes('waiting for')).length, 2, `one line per phase: ${statuses.join(' | ')}`);
});

for (const [phase, kind] of [['Failed', 'failed'], ['FailedValidation', 'failed'], ['missing', 'not-found']] as const) {
  void test(`prepareFromRestore: a Restore that is ${phase} is refused before any pod is looked at`, async () => {
    const clock = new FakeClock();
    const cluster = new FakeCluster([phase], owners, []);
    const watcher = new FakeWatcher();
    const out = await prepareFromRestore(options(cluster, watcher, clock));
    assert.equal(out.kind, kind);
    assert.equal(watcher.runs, 0);
    assert.equal(cluster.ownerLists.length, 0);
    assert.ok('message' in out && out.message.includes('r1'));
  });
}

void test('prepareFromRestore: the deadline bounds the wait for a Restore that stays InProgress', async () => {
  const clock = new FakeClock();
  const cluster = new FakeCluster(['InProgress'], owners, []);
  const p = prepareFromRestore(options(cluster, new FakeWatcher(), clock, { deadlineMs: 5_000 }));
  for (let i = 0; i < 8; i++) await clock.advance(1_000);
  const out = await p;
  assert.equal(out.kind, 'timeout');
  assert.ok(cluster.restoreGets <= 7, `polled ${cluster.restoreGets} times in 5 s`);
});

void test('prepareFromRestore: the settle window takes pods the controllers create after the Restore finished, until none is new for settleMs', async () => {
  const clock = new FakeClock();
  const cluster = new FakeCluster(['Completed'], owners, []);
  const watcher = new FakeWatcher([pod('db-0', { kind: 'StatefulSet', name: 'db' })]);
  const p = prepareFromRestore(options(cluster, watcher, clock, { settleMs: 10_000 }));
  await clock.advance(6_000);
  watcher.upsert(pod('db-1', { kind: 'StatefulSet', name: 'db' }));
  await clock.advance(6_000);
  let done = false;
  void p.then(() => (done = true));
  await settle();
  assert.equal(done, false, 'db-1 appeared 6 s ago: still settling');
  await clock.advance(5_000);
  const out = await p;
  assert.ok(out.kind === 'ready');
  assert.deepEqual(out.pods.map((x) => x.metadata.name).sort(), ['db-0', 'db-1']);
  assert.equal(watcher.runs, 1, 'one pod watch');
  assert.equal(watcher.active, false, 'the watch is closed');
});

void test('prepareFromRestore: a Restore naming no namespaces acts in its Backup\'s namespaces, mapped (not every namespace)', async () => {
  const clock = new FakeClock();
  const cluster = new FakeCluster(['Completed'], owners, []);
  const reader = {
    getRestore: () => Promise.resolve({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r1', namespace: 'velero' }, spec: { backupName: 'b1', excludedNamespaces: ['logs'], namespaceMapping: { 'shop-src': ns } }, status: { phase: 'Completed' } }),
    getBackup: (namespace: string, name: string) => Promise.resolve(namespace === 'velero' && name === 'b1' ? { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b1', namespace: 'velero' }, spec: { includedNamespaces: ['shop-src', 'logs', 'crm'] } } : undefined),
  };
  const out = await prepareFromRestore({ ...options(cluster, new FakeWatcher(), clock), restores: reader });
  assert.ok(out.kind === 'ready', out.kind);
  assert.deepEqual(out.scope.namespaces, ['crm', ns]);
  const noBackup = await prepareFromRestore({ ...options(cluster, new FakeWatcher(), clock), restores: { getRestore: reader.getRestore, getBackup: () => Promise.resolve(undefined) } });
  assert.ok(noBackup.kind === 'ready');
  assert.deepEqual(noBackup.scope.namespaces, [], 'no Backup to read: every namespace');
});
