import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PodManifest } from '../model/pod.ts';
import { parseBackupObject, parseRestoreObject, type BackupHooks, type RestoreHooks } from '../velero/spec.ts';
import { resolveExecTimeoutMs } from '../velero/rules.ts';
import { planBackup, planBackupDetailed } from './plan-backup.ts';
import { planRestore, planRestoreDetailed } from './plan-restore.ts';

const gen = { generateName: () => 'velero-restore-init-00000000' };

function pod(name: string, ns: string | undefined, o: { labels?: Record<string, string>; annotations?: Record<string, string>; containers?: string[] } = {}): PodManifest {
  return {
    metadata: {
      name,
      ...(ns === undefined ? {} : { namespace: ns }),
      ...(o.labels === undefined ? {} : { labels: o.labels }),
      ...(o.annotations === undefined ? {} : { annotations: o.annotations }),
    },
    spec: { containers: (o.containers ?? ['main']).map((n) => ({ name: n })) },
  };
}

const backup = (resources: unknown[]): BackupHooks => {
  const b = parseBackupObject({ apiVersion: 'velero.io/v1', kind: 'Backup', spec: { hooks: { resources } } }).backup;
  assert.ok(b);
  return b;
};
const restore = (resources: unknown[]): RestoreHooks => {
  const r = parseRestoreObject({ apiVersion: 'velero.io/v1', kind: 'Restore', spec: { hooks: { resources } } }).restore;
  assert.ok(r);
  return r;
};

const freeze = backup([
  {
    name: 'freeze',
    excludedNamespaces: ['kube-*'],
    labelSelector: { matchLabels: { app: 'db' } },
    pre: [{ exec: { command: ['/bin/freeze'] } }],
  },
]);

void test('backup skip reasons, one per pod without hooks', async (t) => {
  const cases: readonly { pod: PodManifest; backup: BackupHooks | undefined; phase: 'pre' | 'post'; reason: string; code: string }[] = [
    { pod: pod('p', 'kube-system', { labels: { app: 'db' } }), backup: freeze, phase: 'pre', reason: 'namespace "kube-system" is excluded by spec.hooks.resources[0] "freeze" (excludedNamespaces: kube-*)', code: 'no-entry-applies' },
    { pod: pod('p', 'prod', { labels: { app: 'web' } }), backup: freeze, phase: 'pre', reason: 'labels do not match spec.hooks.resources[0] "freeze" (app=db required, pod has app=web)', code: 'no-entry-applies' },
    { pod: pod('p', 'prod'), backup: undefined, phase: 'pre', reason: 'no hook annotations and no spec.hooks entries', code: 'no-hooks' },
    { pod: pod('p', 'prod'), backup: backup([]), phase: 'post', reason: 'no hook annotations and no spec.hooks entries', code: 'no-hooks' },
    { pod: pod('p', 'prod', { labels: { app: 'db' } }), backup: freeze, phase: 'post', reason: 'spec.hooks.resources[0] "freeze" applies but has no post hooks', code: 'no-entry-applies' },
    { pod: pod('p', 'prod', { annotations: { 'pre.hook.backup.velero.io/container': 'main' } }), backup: undefined, phase: 'pre', reason: 'the pre hook annotations have no command; there are no spec.hooks entries', code: 'annotation-without-command' },
    {
      pod: pod('p', 'prod'),
      backup: backup([{ name: 'x', labelSelector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, pre: [{ exec: { command: ['/a'] } }] }]),
      phase: 'pre',
      reason: 'Velero fails this backup before any hook runs: "Bogus" is not a valid label selector operator',
      code: 'backup-invalid',
    },
  ];
  for (const [i, c] of cases.entries()) {
    await t.test(`case ${i}: ${c.reason}`, () => {
      const plan = planBackup([c.pod], c.backup, c.phase);
      assert.deepEqual(plan.hooks, []);
      assert.deepEqual(plan.skipped, [{ namespace: c.pod.metadata.namespace, pod: 'p', reason: c.reason, code: c.code }]);
    });
  }
});

void test('backup: pods in input order, every pod either planned or skipped; missing namespace → default', () => {
  const pods = [pod('b', 'prod', { labels: { app: 'db' } }), pod('a', undefined, { labels: { app: 'db' } }), pod('c', 'kube-system')];
  const plan = planBackup(pods, freeze, 'pre');
  assert.deepEqual(
    plan.hooks.map((h) => `${h.namespace}/${h.pod}`),
    ['prod/b', 'default/a'],
  );
  assert.deepEqual(
    plan.skipped.map((s) => s.pod),
    ['c'],
  );
  assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
});

void test('backup notes: container missing', () => {
  const b = backup([{ name: 'x', pre: [{ exec: { command: ['/a'], container: 'sidecar' } }] }]);
  const d = planBackupDetailed([pod('p', 'ns')], b, 'pre');
  assert.equal(d.plan.hooks.length, 1);
  assert.deepEqual(d.notes, [
    {
      namespace: 'ns',
      pod: 'p',
      kind: 'container-missing',
      message: 'hook "x" #0 targets container "sidecar", which the pod does not have (containers: main); it will fail (no such container: "sidecar")',
    },
  ]);
});

void test('resolveExecTimeoutMs follows Velero main', () => {
  assert.equal(resolveExecTimeoutMs(0), 30_000);
  assert.equal(resolveExecTimeoutMs(-5), 30_000);
  assert.equal(resolveExecTimeoutMs(Number.NaN), 30_000);
  assert.equal(resolveExecTimeoutMs(1.5), 1.5);
  assert.equal(resolveExecTimeoutMs(5 * 3_600_000), 14_400_000);
});

void test('restore: init hooks first, then exec hooks; annotation init overrides spec init (noted)', () => {
  const r = restore([
    {
      name: 'h',
      postHooks: [
        { exec: { command: ['/late'] } },
        { init: { initContainers: [{ name: 'seed', image: 'busybox', command: ['/seed'] }] } },
      ],
    },
  ]);
  assert.deepEqual(
    planRestore([pod('p', 'ns')], r, gen).hooks.map((h) => `${h.type}:${h.container}#${h.index}`),
    ['init:seed#1', 'exec:main#0'],
  );
  const annotated = pod('p', 'ns', { annotations: { 'init.hook.restore.velero.io/container-image': 'alpine', 'init.hook.restore.velero.io/command': '/x' } });
  const d = planRestoreDetailed([annotated], r, gen);
  assert.deepEqual(
    d.plan.hooks.map((h) => `${h.type}:${h.source}:${h.container}`),
    ['init:annotation:velero-restore-init-00000000', 'exec:spec:main'],
  );
  assert.deepEqual(d.plan.hooks[0]?.initContainer, { name: 'velero-restore-init-00000000', image: 'alpine', command: ['/x'] });
  assert.deepEqual(d.notes.map((n) => n.kind), ['annotation-overrides-spec']);
});

void test('restore skip reasons', () => {
  const r = restore([{ name: 'h', includedNamespaces: ['prod'], postHooks: [{ exec: { command: ['/a'] } }] }]);
  assert.deepEqual(planRestore([pod('p', 'dev')], r, gen).skipped, [
    { namespace: 'dev', pod: 'p', reason: 'namespace "dev" is not included by spec.hooks.resources[0] "h" (includedNamespaces: prod)', code: 'no-entry-applies' },
  ]);
  const bad = restore([{ name: 'h', postHooks: [{ init: { initContainers: [{ name: 'x' }] } }] }]);
  assert.match(planRestore([pod('p', 'dev')], bad, gen).skipped[0]?.reason ?? '', /^Velero rejects this restore \(FailedValidation\): invalid InitContainer/);
  assert.deepEqual(planRestore([pod('p', 'dev', { containers: [] })], undefined, gen).skipped, [
    { namespace: 'dev', pod: 'p', reason: 'the pod has no containers, so Velero runs no exec hooks; there are no spec.hooks entries', code: 'no-containers' },
  ]);
});

void test('restore notes: exec hook for a container the pod lacks is kept and noted', () => {
  const r = restore([{ name: 'h', postHooks: [{ exec: { command: ['/a'], container: 'gone' } }, { exec: { command: ['/b'] } }] }]);
  const d = planRestoreDetailed([pod('p', 'ns')], r, gen);
  assert.deepEqual(
    d.plan.hooks.map((h) => h.container),
    ['main', 'gone'],
  );
  assert.deepEqual(d.notes.map((n) => n.kind), ['container-missing']);
});

void test('property: every pod is planned or skipped, never both, and planning never throws', () => {
  const podArb = fc.record({
    name: fc.string({ minLength: 1, maxLength: 5 }),
    ns: fc.constantFrom('default', 'prod', 'kube-system', 'app-1'),
    labels: fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('db', 'web')),
    annotations: fc.dictionary(
      fc.constantFrom('pre.hook.backup.velero.io/command', 'post.hook.restore.velero.io/command', 'init.hook.restore.velero.io/container-image', 'hook.backup.velero.io/command'),
      fc.constantFrom('/x', '', '["a"]', '[]'),
    ),
    containers: fc.array(fc.constantFrom('main', 'side'), { maxLength: 2 }),
  });
  fc.assert(
    fc.property(fc.uniqueArray(podArb, { selector: (p) => p.name, maxLength: 5 }), (specs) => {
      const pods = specs.map((s) => pod(s.name, s.ns, { labels: s.labels, annotations: s.annotations, containers: s.containers }));
      const plans = [
        planBackup(pods, freeze, 'pre'),
        planBackup(pods, freeze, 'post'),
        planRestore(pods, restore([{ name: 'r', includedNamespaces: ['app-*'], postHooks: [{ exec: { command: ['/a'] } }] }]), gen),
      ];
      for (const plan of plans) {
        const planned = new Set(plan.hooks.map((h) => h.pod));
        const skipped = new Set(plan.skipped.map((s) => s.pod));
        for (const p of pods) assert.ok(planned.has(p.metadata.name) !== skipped.has(p.metadata.name), p.metadata.name);
      }
    }),
    { numRuns: 300 },
  );
});

void test('notes: a native sidecar target is noted (backup: Velero main only; restore: kubehooks\' deviation, Velero discards it)', () => {
  const withSidecar: PodManifest = {
    metadata: { name: 'p', namespace: 'ns' },
    spec: { containers: [{ name: 'main' }], initContainers: [{ name: 'proxy', restartPolicy: 'Always' }, { name: 'setup' }] },
  };
  const b = backup([{ name: 'x', pre: [{ exec: { command: ['/a'], container: 'proxy' } }, { exec: { command: ['/b'], container: 'setup' } }] }]);
  assert.deepEqual(
    planBackupDetailed([withSidecar], b, 'pre').notes.map((n) => n.kind),
    ['sidecar-target', 'container-missing'],
  );
  const r = restore([{ name: 'x', postHooks: [{ exec: { command: ['/a'], container: 'proxy' } }, { exec: { command: ['/b'], container: 'setup' } }] }]);
  const notes = planRestoreDetailed([withSidecar], r, gen).notes;
  assert.deepEqual(notes.map((n) => n.kind), ['sidecar-target', 'container-missing']);
  assert.match(notes[0]?.message ?? '', /Velero discards it/);
  assert.match(notes[1]?.message ?? '', /\(containers: main; sidecars: proxy; init containers \(never hook targets\): setup\)/);
});

void test('skip reasons quote hostile values bounded; the data fields stay whole', () => {
  const huge = 'x'.repeat(1 << 20);
  const plan = planBackup([pod('p', 'prod', { labels: { app: huge } })], freeze, 'pre');
  const reason = plan.skipped[0]?.reason ?? '';
  assert.match(reason, /^labels do not match spec\.hooks\.resources\[0\] "freeze" \(app=db required, pod has app=x+…\(104858\d bytes\)…x+\)$/);
  assert.ok(reason.length < 1100, `reason has ${reason.length} characters`);
  const restored = planRestore([pod(huge, 'prod')], undefined, gen);
  const skipped = restored.skipped[0];
  assert.ok(skipped);
  assert.equal(skipped.pod, huge);
  assert.ok(skipped.reason.length < 1100, `reason has ${skipped.reason.length} characters`);
});
