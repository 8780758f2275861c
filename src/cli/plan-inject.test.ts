import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { PodManifest } from '../model/pod.ts';
import type { PodScope } from '../run/ports.ts';
import { main } from './main.ts';
import type { MainOverrides } from './main.ts';
import { captureIo } from '../testing/cli-io.ts';

const fx = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'manifests');
const f = (name: string): string => join(fx, name);

interface PlanJson {
  hooks: { namespace: string; pod: string; container: string; type: string; source: string; name: string; phase: string; index: number; command: string[] }[];
  skipped: { namespace: string; pod: string; reason: string }[];
}

async function run(args: string[], stdin = '', deps: MainOverrides['deps'] = {}): Promise<{ code: number; out: string; err: string }> {
  const cap = captureIo(stdin);
  const code = await main(args, { io: cap.io, deps: { generateInitName: () => 'velero-restore-init-test1234', ...deps } });
  return { code, out: cap.stdout(), err: cap.stderr() };
}

const usage: [string, string[], RegExp][] = [
  ['both', ['plan', '--backup', f('backup.yaml'), '--restore', f('restore.yaml'), fx], /one of --backup FILE or --restore FILE, not both/],
  ['--phase restore with --backup', ['plan', '--backup', f('backup.yaml'), '--phase', 'restore', fx], /--phase restore plans restore hooks/],
  ['--phase with --restore', ['plan', '--restore', f('restore.yaml'), '--phase', 'pre', fx], /--phase applies to --backup only/],
  ['bad --phase', ['plan', '--backup', f('backup.yaml'), '--phase', 'during', fx], /argument 'during' is invalid\. Allowed choices are pre, post, restore/],
  ['wrong kind in --backup', ['plan', '--backup', f('restore.yaml'), fx], /--backup .*restore\.yaml: no velero\.io\/v1 Backup or Schedule object in the file \(found: Restore\)/],
  ['missing --backup file', ['plan', '--backup', f('nope.yaml'), fx], /--backup .*nope\.yaml: cannot read the file/],
  ['no PATH and a missing kubeconfig', ['plan', '--backup', f('backup.yaml'), '--kubeconfig', '/nonexistent/kc'], /cannot list pods: kubeconfig \/nonexistent\/kc does not exist \[kubeconfig-invalid\]/],
  ['cluster flags with PATH', ['plan', '--backup', f('backup.yaml'), '-n', 'db', fx], /apply only without PATH/],
  ['inject without --restore', ['inject', fx], /required option '--restore <file>' not specified/],
  ['inject without PATH', ['inject', '--restore', f('restore.yaml')], /inject needs at least one PATH/],
];
for (const [name, args, message] of usage) {
  void test(`usage: ${name} → exit 2`, async () => {
    const r = await run(args);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, message);
    assert.equal(r.out, '');
    assert.doesNotMatch(r.err, /\n\s+at /);
  });
}

void test('plan --backup (pre): annotation hooks win, JSON contract, reasons for skipped pods', async () => {
  const r = await run(['plan', '-o', 'json', '--backup', f('backup.yaml'), f('postgres-statefulset.yaml'), f('web-deployment.yaml')]);
  // The fixture Backup carries an error (resources-exclude-pods): the plan is printed, the exit says invalid configuration.
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /backup\.yaml: 1 error in the file \(listed above\); `run` refuses it/);
  const plan = JSON.parse(r.out) as PlanJson;
  assert.deepEqual(plan.hooks.map((h) => [h.namespace, h.pod, h.container, h.source, h.phase]), [['db', 'postgres', 'fsfreeze', 'annotation', 'pre']]);
  assert.deepEqual(plan.skipped.map((s) => s.pod), ['web']);
  assert.match(plan.skipped[0]!.reason, /namespace "shop" is not included/);
  assert.match(r.err, /note: db\/postgres: .*replaces 1 pre spec hook/);
});

void test('plan --backup --phase post from stdin, text table', async () => {
  const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: pg-1, namespace: db, labels: {app: postgres}}\nspec:\n  containers: [{name: postgres}]\n';
  const r = await run(['plan', '--backup', f('backup.yaml'), '--phase', 'post', '-'], pod);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /^NAMESPACE\s+POD/);
  assert.match(r.out, /db\s+pg-1\s+postgress\s+exec\s+spec\s+postgres-freeze\s+post\s+0/);
});

void test('plan --restore maps backed-up manifests through namespaceMapping', async () => {
  const r = await run(['plan', '-o', 'json', '--restore', f('restore.yaml'), f('postgres-statefulset.yaml')]);
  assert.equal(r.code, 0, r.err);
  const plan = JSON.parse(r.out) as PlanJson;
  assert.deepEqual(plan.hooks.map((h) => [h.namespace, h.container, h.type, h.index]), [['db-staging', 'restore-permissions', 'init', 0], ['db-staging', 'postgres', 'exec', 1]]);
  assert.ok(!('initContainer' in plan.hooks[0]!));
});

void test('plan without PATH lists pods through the wired PodLister', async () => {
  let seen: PodScope | undefined;
  const live: PodManifest = { metadata: { name: 'pg-0', namespace: 'db-staging', labels: { app: 'postgres' } }, spec: { containers: [{ name: 'postgres', readinessProbe: {} }] } };
  const r = await run(['plan', '-o', 'json', '--restore', f('restore.yaml'), '-n', 'db-staging', '-l', 'app=postgres'], '', {
    createPodLister: (opts) => {
      assert.deepEqual(opts, { kubeconfig: undefined, context: undefined });
      return Promise.resolve({ list: (scope) => { seen = scope; return Promise.resolve([live]); } });
    },
  });
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(seen, { namespaces: ['db-staging'], labelSelector: 'app=postgres' });
  // Live pods are already in the target namespace: no mapping again.
  assert.equal((JSON.parse(r.out) as PlanJson).hooks.length, 2);
});

void test('plan without PATH: a failing lister is exit 2 with the reason', async () => {
  const r = await run(['plan', '--backup', f('backup.yaml')], '', {
    createPodLister: () => Promise.resolve({ list: () => Promise.reject(new Error('connection refused')) }),
  });
  assert.equal(r.code, 2);
  assert.match(r.err, /cannot list pods: connection refused/);
});

void test('inject: an init container named like an existing container: exit 1, nothing written, the key named', async () => {
  const r = await run(['inject', '--restore', f('restore.yaml'), f('postgres-statefulset.yaml'), f('cache-list.yaml')]);
  assert.equal(r.code, 1, r.err);
  assert.equal(r.out, '');
  assert.match(r.err, /cache-list\.yaml:\d+:\d+: error inject-invalid-output: Pod shop\/redis-0: spec\.containers\[0\]\.name: Duplicate value: "redis"/);
  assert.match(r.err, /not writing anything/);
});

void test('inject: init containers into pod templates and List items, other documents untouched, comments kept', async () => {
  const list = (await readFile(f('cache-list.yaml'), 'utf8')).replace('container-name: redis', 'container-name: redis-init');
  const r = await run(['inject', '--restore', f('restore.yaml'), f('postgres-statefulset.yaml'), '-'], list);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /# Missing unit: Velero logs a warning/);
  const docs = parseAllDocuments(r.out);
  assert.ok(Array.isArray(docs));
  interface Obj { spec: { template: { spec: { initContainers: { name: string }[] } } }; items: { spec: { initContainers: unknown } }[] }
  const [sts] = docs.map((d) => d.toJS() as Obj);
  assert.deepEqual(sts!.spec.template.spec.initContainers.map((c) => c.name), ['restore-permissions']);
  assert.deepEqual(docs.length, 2);
  const [, items] = docs.map((d) => d.toJS() as Obj);
  assert.deepEqual(items!.items[0]!.spec.initContainers, [{ name: 'redis-init', image: 'busybox:1.36' }]);
  assert.deepEqual(items!.items[1], { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'redis-config', namespace: 'shop' }, data: { maxmemory: '256mb' } });
  assert.match(r.err, /injected init hooks into 2 pods or templates/);
});

void test('inject: JSON pod from stdin gets a generated init container name, output is YAML', async () => {
  const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: { 'init.hook.restore.velero.io/container-image': 'busybox', 'init.hook.restore.velero.io/command': '["/bin/true"]' } }, spec: { containers: [{ name: 'c' }], initContainers: [{ name: 'restore-wait' }, { name: 'mine' }] } });
  const r = await run(['inject', '--restore', f('restore.yaml'), '-'], pod);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^---\napiVersion: v1\nkind: Pod/);
  const out = parseAllDocuments(r.out);
  assert.ok(Array.isArray(out));
  const spec = (out[0]!.toJS() as { spec: { initContainers: { name: string }[] } }).spec;
  assert.deepEqual(spec.initContainers.map((c) => c.name), ['restore-wait', 'velero-restore-init-test1234', 'mine']);
});

void test('inject refuses to print anything when an input does not parse', async () => {
  const r = await run(['inject', '--restore', f('restore.yaml'), f('broken.yaml'), f('cache-list.yaml')]);
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, /not writing anything: .*broken\.yaml could not be parsed/);
});
