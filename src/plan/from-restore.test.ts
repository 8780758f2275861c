import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodManifest } from '../model/pod.ts';
import { parseRestoreObject, type RestoreHooks } from '../velero/spec.ts';
import {
  classifyPod,
  ownerIndex,
  ownerListKey,
  parseRestoreRef,
  planFromRestore,
  restoreLabelValue,
  restorePhaseVerdict,
  selectFromRestore,
  type OwnerKind,
  type OwnerObject,
  type OwnerRef,
} from './from-restore.ts';

const RN = 'velero.io/restore-name';

function restoreOf(spec: Record<string, unknown> = {}, name = 'r1'): RestoreHooks {
  const r = parseRestoreObject({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name, namespace: 'velero' }, spec: { backupName: 'b1', ...spec } }).restore;
  assert.ok(r);
  return r;
}

function pod(name: string, ns: string, o: { labels?: Record<string, string>; owners?: OwnerRef[]; annotations?: Record<string, string> } = {}): PodManifest {
  return {
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${name}`,
      ...(o.labels === undefined ? {} : { labels: o.labels }),
      ...(o.annotations === undefined ? {} : { annotations: o.annotations }),
      ...(o.owners === undefined ? {} : { ownerReferences: o.owners }),
    },
    spec: { containers: [{ name: 'app' }] },
  };
}

const ref = (kind: string, name: string, controller = true): OwnerRef => ({ apiVersion: 'apps/v1', kind, name, uid: `uid-${name}`, ...(controller ? { controller: true } : {}) });
function owner(kind: OwnerKind, name: string, ns: string, o: { labels?: Record<string, string>; owners?: OwnerRef[] } = {}): OwnerObject {
  return { kind, name, namespace: ns, uid: `uid-${name}`, ...(o.labels === undefined ? {} : { labels: o.labels }), ...(o.owners === undefined ? {} : { ownerReferences: o.owners }) };
}
function index(objects: OwnerObject[], listedKinds: readonly OwnerKind[] = ['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicationController'], namespaces = ['app', 'app-restored', 'other']) {
  const lists = new Map<string, OwnerObject[]>();
  for (const ns of namespaces) for (const k of listedKinds) lists.set(ownerListKey(ns, k), objects.filter((o) => o.namespace === ns && o.kind === k));
  return ownerIndex(lists);
}

const ns = 'app-restored';
const mapped = restoreOf({ includedNamespaces: ['app'], namespaceMapping: { app: ns } });
const restored = { [RN]: 'r1' };
const world = index([
  owner('Deployment', 'web', ns, { labels: restored }),
  owner('ReplicaSet', 'web-abc', ns, { labels: restored, owners: [ref('Deployment', 'web')] }),
  owner('StatefulSet', 'db', ns, { labels: restored }),
  owner('Deployment', 'old', ns),
  owner('ReplicaSet', 'old-1', ns, { owners: [ref('Deployment', 'old')] }),
  owner('Deployment', 'other-restore', ns, { labels: { [RN]: 'r0' } }),
  owner('ReplicaSet', 'orphan-rs', ns, { owners: [ref('Deployment', 'gone')] }),
  owner('CronJob', 'nightly', ns, { labels: restored }),
  owner('Job', 'nightly-1', ns, { owners: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'uid-nightly', controller: true }] }),
  owner('ReplicaSet', 'loop-a', ns, { labels: restored, owners: [ref('ReplicaSet', 'loop-b')] }),
  owner('ReplicaSet', 'loop-b', ns, { owners: [ref('ReplicaSet', 'loop-a')] }),
  owner('ReplicaSet', 'new-rs', ns, { owners: [ref('Deployment', 'web')] }),
]);

const cases: { name: string; pod: PodManifest; want: string }[] = [
  { name: 'Deployment pod (ReplicaSet → Deployment, both restored)', pod: pod('web-abc-1', ns, { owners: [ref('ReplicaSet', 'web-abc')] }), want: 'handled' },
  { name: 'pod of a ReplicaSet the restored Deployment created afterwards', pod: pod('web-new-1', ns, { owners: [ref('ReplicaSet', 'new-rs')] }), want: 'handled' },
  { name: 'StatefulSet pod', pod: pod('db-0', ns, { owners: [ref('StatefulSet', 'db')] }), want: 'handled' },
  { name: 'CronJob → Job → pod', pod: pod('nightly-1-x', ns, { owners: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'nightly-1', uid: 'uid-nightly-1', controller: true }] }), want: 'handled' },
  { name: 'pod Velero created (this restore)', pod: pod('web-abc-0', ns, { labels: restored, owners: [ref('ReplicaSet', 'web-abc')] }), want: 'created-by-velero' },
  { name: 'bare pod Velero created', pod: pod('tool', ns, { labels: restored }), want: 'created-by-velero' },
  { name: 'pod another restore created', pod: pod('x', ns, { labels: { [RN]: 'r0' } }), want: 'restore-other-restore' },
  { name: 'bare pod nobody restored', pod: pod('bare', ns), want: 'no-owner' },
  { name: 'chain root not restored', pod: pod('old-1-a', ns, { owners: [ref('ReplicaSet', 'old-1')] }), want: 'owner-not-restored' },
  { name: 'chain root restored by another restore', pod: pod('o-1', ns, { owners: [ref('Deployment', 'other-restore')] }), want: 'owner-not-restored' },
  { name: 'owner missing', pod: pod('gone-1', ns, { owners: [ref('ReplicaSet', 'nope')] }), want: 'owner-chain-broken' },
  { name: 'owner of the owner missing', pod: pod('orph-1', ns, { owners: [ref('ReplicaSet', 'orphan-rs')] }), want: 'owner-chain-broken' },
  { name: 'owner re-created under the same name (uid differs)', pod: pod('web-x', ns, { owners: [{ ...ref('ReplicaSet', 'web-abc'), uid: 'stale' }] }), want: 'owner-chain-broken' },
  { name: 'two owners, no controller', pod: pod('two', ns, { owners: [ref('ReplicaSet', 'web-abc', false), ref('StatefulSet', 'db', false)] }), want: 'owner-chain-broken' },
  { name: 'one owner without the controller flag is followed', pod: pod('one', ns, { owners: [ref('StatefulSet', 'db', false)] }), want: 'handled' },
  { name: 'a cycle', pod: pod('loop-1', ns, { owners: [ref('ReplicaSet', 'loop-a')] }), want: 'owner-chain-broken' },
  { name: 'custom owner kind', pod: pod('vm', ns, { owners: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: 'vm1', controller: true }] }), want: 'owner-kind-unsupported' },
  { name: 'source namespace (mapped away)', pod: pod('web-abc-1', 'app', { owners: [ref('ReplicaSet', 'web-abc')] }), want: 'outside-restore-namespaces' },
  { name: 'namespace the restore does not restore into', pod: pod('web-1', 'other', { owners: [ref('ReplicaSet', 'web-abc')] }), want: 'outside-restore-namespaces' },
];

for (const c of cases) {
  void test(`owner rule: ${c.name} → ${c.want}`, () => {
    const v = classifyPod(mapped, c.pod, world);
    const got = v.handled ? 'handled' : 'needs' in v ? `needs ${v.needs.kind}` : v.code;
    assert.equal(got, c.want, JSON.stringify(v));
    if (!v.handled && !('needs' in v)) assert.ok(v.reason.length > 10, 'a reason a person can act on');
  });
}

void test('owner rule: a kind not listed yet is asked for, not guessed', () => {
  const partial = index([owner('ReplicaSet', 'web-abc', ns, { labels: restored, owners: [ref('Deployment', 'web')] })], ['ReplicaSet']);
  const v = classifyPod(mapped, pod('web-abc-1', ns, { owners: [ref('ReplicaSet', 'web-abc')] }), partial);
  assert.deepEqual(v, { handled: false, needs: { namespace: ns, kind: 'Deployment' } });
  const s = selectFromRestore(mapped, [pod('web-abc-1', ns, { owners: [ref('ReplicaSet', 'web-abc')] }), pod('web-abc-2', ns, { owners: [ref('ReplicaSet', 'web-abc')] })], partial);
  assert.deepEqual(s.needs, [{ namespace: ns, kind: 'Deployment' }], 'one list per kind and namespace, however many pods');
});

void test('owner rule: a Restore with no includedNamespaces restores into every namespace not mapped away', () => {
  const all = restoreOf({ namespaceMapping: { app: ns } });
  assert.equal(classifyPod(all, pod('db-0', 'other', { owners: [ref('StatefulSet', 'db')] }), world).handled, false);
  const v = classifyPod(all, pod('db-0', 'app', {}), world);
  assert.equal(!v.handled && 'code' in v ? v.code : '', 'outside-restore-namespaces');
  const excluded = restoreOf({ excludedNamespaces: ['app', ns], namespaceMapping: { app: ns } });
  const w = classifyPod(excluded, pod('db-0', ns, { owners: [ref('StatefulSet', 'db')] }), world);
  assert.equal(!w.handled && 'code' in w ? w.code : '', 'outside-restore-namespaces');
});

void test('restoreLabelValue is Velero label.GetValidName: names over 63 characters are cut to 57 plus 6 hex digits of their SHA-256', () => {
  assert.equal(restoreLabelValue('r1'), 'r1');
  const long = `restore-${'x'.repeat(70)}`;
  const v = restoreLabelValue(long);
  assert.equal(v.length, 63);
  assert.equal(v.slice(0, 57), long.slice(0, 57));
  assert.match(v.slice(57), /^[0-9a-f]{6}$/);
  const r = restoreOf({}, long);
  const sts = index([owner('StatefulSet', 'db', ns, { labels: { [RN]: v } })]);
  assert.equal(classifyPod(r, pod('db-0', ns, { owners: [ref('StatefulSet', 'db')] }), sts).handled, true);
  assert.equal(classifyPod(r, pod('db-1', ns, { labels: { [RN]: v } }), sts).handled, false);
});

void test('planFromRestore: hooks (annotations and spec entries) only in handled pods; the Restore\'s object filters do not drop them; init hooks left out', () => {
  const r = restoreOf({
    includedNamespaces: ['app'],
    namespaceMapping: { app: ns },
    labelSelector: { matchLabels: { tier: 'restored-objects' } },
    excludedResources: ['pods'],
    hooks: {
      resources: [
        { name: 'spec-db', includedNamespaces: [ns], labelSelector: { matchLabels: { app: 'db' } }, postHooks: [{ exec: { container: 'app', command: ['/bin/warm'] } }, { init: { initContainers: [{ name: 'i', image: 'busybox', command: ['true'] }] } }] },
      ],
    },
  });
  const annotated = { 'post.hook.restore.velero.io/command': '["/bin/check"]' };
  const pods = [
    pod('web-abc-1', ns, { owners: [ref('ReplicaSet', 'web-abc')], annotations: annotated }),
    pod('web-abc-0', ns, { owners: [ref('ReplicaSet', 'web-abc')], annotations: annotated, labels: restored }),
    pod('db-0', ns, { owners: [ref('StatefulSet', 'db')], labels: { app: 'db' } }),
    pod('bare', ns, { annotations: annotated }),
  ];
  const plan = planFromRestore(r, pods, world);
  assert.deepEqual(plan.hooks.map((h) => `${h.pod}:${h.type}:${h.command.join(' ')}`), ['web-abc-1:exec:/bin/check', 'db-0:exec:/bin/warm']);
  assert.deepEqual(plan.skipped.map((s) => `${s.pod}:${s.code}`).sort(), ['bare:no-owner', 'web-abc-0:created-by-velero']);
});

void test('planFromRestore: a chain whose owner list is missing is skipped as owner-chain-broken, never run', () => {
  const partial = index([owner('ReplicaSet', 'web-abc', ns, { labels: restored, owners: [ref('Deployment', 'web')] })], ['ReplicaSet']);
  const plan = planFromRestore(mapped, [pod('web-abc-1', ns, { owners: [ref('ReplicaSet', 'web-abc')], annotations: { 'post.hook.restore.velero.io/command': '["x"]' } })], partial);
  assert.equal(plan.hooks.length, 0);
  assert.equal(plan.skipped[0]?.code, 'owner-chain-broken');
});

const phases: [string | undefined, string][] = [
  [undefined, 'wait'], ['New', 'wait'], ['InProgress', 'wait'],
  ['WaitingForPluginOperations', 'ready'], ['WaitingForPluginOperationsPartiallyFailed', 'ready'], ['Finalizing', 'ready'], ['FinalizingPartiallyFailed', 'ready'], ['Completed', 'ready'], ['PartiallyFailed', 'ready'],
  ['Failed', 'failed'], ['FailedValidation', 'failed'], ['SomethingNew', 'wait'],
];
for (const [phase, want] of phases) {
  void test(`Restore phase ${String(phase)} → ${want}`, () => {
    const v = restorePhaseVerdict({ status: phase === undefined ? {} : { phase, failureReason: 'boom', validationErrors: ['bad'] } });
    assert.equal(v.kind, want);
    if (v.kind === 'failed') assert.match(v.message, phase === 'Failed' ? /boom/ : /boom|bad/);
  });
}

const refs: [string, string][] = [
  ['velero/r1', 'velero r1'], ['velero/r.1-x', 'velero r.1-x'],
  ['r1', 'error'], ['velero/', 'error'], ['/r1', 'error'], ['a/b/c', 'error'], ['Velero/r1', 'error'], ['velero/R1', 'error'], ['', 'error'],
];
for (const [text, want] of refs) {
  void test(`parseRestoreRef(${JSON.stringify(text)})`, () => {
    const r = parseRestoreRef(text);
    assert.equal('error' in r ? 'error' : `${r.namespace} ${r.name}`, want);
    if ('error' in r) assert.match(r.error, /NAMESPACE\/NAME/);
  });
}
