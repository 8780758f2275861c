import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodManifest } from '../model/pod.ts';
import { parseBackupObject, parseRestoreObject, type BackupHooks, type RestoreHooks } from '../velero/spec.ts';
import { planBackup } from './plan-backup.ts';
import { planRestore } from './plan-restore.ts';
import { scopeNamespaces, sourceNamespacesOf } from './scope.ts';

const gen = { generateName: () => 'velero-restore-init-00000000' };

function pod(name: string, ns: string, labels?: Record<string, string>, annotations?: Record<string, string>): PodManifest {
  return { metadata: { name, namespace: ns, ...(labels === undefined ? {} : { labels }), ...(annotations === undefined ? {} : { annotations }) }, spec: { containers: [{ name: 'main' }] } };
}

const hookEntry = { name: 'freeze', pre: [{ exec: { command: ['/bin/freeze'] } }] };
function backup(spec: Record<string, unknown>, kind: 'Backup' | 'Schedule' = 'Backup'): BackupHooks {
  const full = { ...spec, hooks: { resources: [hookEntry] } };
  const parsed = parseBackupObject({ apiVersion: 'velero.io/v1', kind, metadata: { name: 'b' }, spec: kind === 'Schedule' ? { template: full } : full });
  assert.ok(parsed.backup);
  return parsed.backup;
}

const annotated = { 'pre.hook.backup.velero.io/command': '/bin/ann' };

interface ScopeCase {
  readonly name: string;
  readonly spec: Record<string, unknown>;
  readonly kind?: 'Backup' | 'Schedule';
  readonly pod: PodManifest;
  /** undefined = the pod gets its hook. */
  readonly code?: string;
  readonly reason?: string;
}

const backupCases: readonly ScopeCase[] = [
  { name: 'V112 includedNamespaces [db]: shop is out', spec: { includedNamespaces: ['db'] }, pod: pod('p', 'shop'), code: 'backup-namespace-not-included', reason: 'not in the backup: namespace "shop" is not in spec.includedNamespaces [db]' },
  { name: 'V112 includedNamespaces [db]: db is in', spec: { includedNamespaces: ['db'] }, pod: pod('p', 'db') },
  { name: 'V112 annotation hooks too', spec: { includedNamespaces: ['db'] }, pod: pod('p', 'shop', undefined, annotated), code: 'backup-namespace-not-included' },
  { name: 'includedNamespaces [*] takes all', spec: { includedNamespaces: ['*'] }, pod: pod('p', 'shop') },
  { name: 'empty includedNamespaces takes all', spec: { includedNamespaces: [] }, pod: pod('p', 'shop') },
  { name: 'glob include', spec: { includedNamespaces: ['db*'] }, pod: pod('p', 'db-1') },
  { name: 'V117 excludedNamespaces wins over a glob include', spec: { includedNamespaces: ['db*'], excludedNamespaces: ['db-scratch'] }, pod: pod('p', 'db-scratch'), code: 'backup-namespace-excluded', reason: 'not in the backup: namespace "db-scratch" matches spec.excludedNamespaces [db-scratch] (pattern "db-scratch")' },
  { name: 'V113 labelSelector: unlabelled pod out', spec: { labelSelector: { matchLabels: { backup: 'yes' } } }, pod: pod('p', 'db'), code: 'backup-label-selector', reason: 'not in the backup: labels do not match spec.labelSelector (backup=yes required, pod has no label backup)' },
  { name: 'V113 labelSelector: annotation hook pod out too', spec: { labelSelector: { matchLabels: { backup: 'yes' } } }, pod: pod('p', 'db', { backup: 'no' }, annotated), code: 'backup-label-selector' },
  { name: 'V113 labelSelector: labelled pod in', spec: { labelSelector: { matchLabels: { backup: 'yes' } } }, pod: pod('p', 'db', { backup: 'yes' }) },
  { name: 'labelSelector matchExpressions', spec: { labelSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['cache'] }] } }, pod: pod('p', 'db', { tier: 'cache' }), code: 'backup-label-selector' },
  { name: 'V114 orLabelSelectors: tier=db in', spec: { orLabelSelectors: [{ matchLabels: { tier: 'db' } }, { matchLabels: { tier: 'cache' } }] }, pod: pod('p', 'x', { tier: 'db' }) },
  { name: 'V114 orLabelSelectors: tier=cache in', spec: { orLabelSelectors: [{ matchLabels: { tier: 'db' } }, { matchLabels: { tier: 'cache' } }] }, pod: pod('p', 'x', { tier: 'cache' }) },
  { name: 'V114 orLabelSelectors: tier=web out', spec: { orLabelSelectors: [{ matchLabels: { tier: 'db' } }, { matchLabels: { tier: 'cache' } }] }, pod: pod('p', 'x', { tier: 'web' }), code: 'backup-or-label-selectors', reason: 'not in the backup: labels match none of spec.orLabelSelectors (tier=db | tier=cache)' },
  { name: 'V115 excludedResources [pods]', spec: { excludedResources: ['pods'] }, pod: pod('p', 'db'), code: 'backup-resources-exclude-pods', reason: 'not in the backup: spec.excludedResources [pods] leaves out pods' },
  { name: 'excludedResources [po] (short name)', spec: { excludedResources: ['po'] }, pod: pod('p', 'db'), code: 'backup-resources-exclude-pods' },
  { name: 'includedResources [deployments]', spec: { includedResources: ['deployments'] }, pod: pod('p', 'db'), code: 'backup-resources-exclude-pods', reason: 'not in the backup: spec.includedResources [deployments] does not take pods' },
  { name: 'includedResources [pods, pvc] takes pods', spec: { includedResources: ['pods', 'persistentvolumeclaims'] }, pod: pod('p', 'db') },
  { name: 'includedResources [*] takes pods', spec: { includedResources: ['*'] }, pod: pod('p', 'db') },
  { name: 'excludedNamespaceScopedResources [pods]', spec: { excludedNamespaceScopedResources: ['pods'] }, pod: pod('p', 'db'), code: 'backup-resources-exclude-pods', reason: 'not in the backup: spec.excludedNamespaceScopedResources [pods] leaves out pods' },
  { name: 'includedNamespaceScopedResources [configmaps]', spec: { includedNamespaceScopedResources: ['configmaps'] }, pod: pod('p', 'db'), code: 'backup-resources-exclude-pods' },
  { name: 'includedClusterScopedResources alone does not touch pods', spec: { includedClusterScopedResources: ['storageclasses'] }, pod: pod('p', 'db') },
  { name: 'V116 exclude-from-backup label', spec: {}, pod: pod('p', 'db', { 'velero.io/exclude-from-backup': 'true' }), code: 'backup-exclude-label', reason: 'not in the backup: the pod is labelled velero.io/exclude-from-backup=true' },
  { name: 'exclude-from-backup=false is backed up', spec: {}, pod: pod('p', 'db', { 'velero.io/exclude-from-backup': 'false' }) },
  { name: 'Schedule: spec.template scope', kind: 'Schedule', spec: { includedNamespaces: ['db'] }, pod: pod('p', 'shop'), code: 'backup-namespace-not-included', reason: 'not in the backup: namespace "shop" is not in spec.template.includedNamespaces [db]' },
  { name: 'labelSelector and orLabelSelectors together: Velero fails the backup', spec: { labelSelector: { matchLabels: { a: 'b' } }, orLabelSelectors: [{ matchLabels: { a: 'b' } }] }, pod: pod('p', 'db', { a: 'b' }), code: 'backup-invalid' },
  { name: 'invalid scope label selector operator', spec: { labelSelector: { matchExpressions: [{ key: 'a', operator: 'nonexistent-operator' }] } }, pod: pod('p', 'db'), code: 'backup-invalid', reason: 'Velero fails this backup before any hook runs: "nonexistent-operator" is not a valid label selector operator' },
  { name: 'old and new resource filters mixed', spec: { includedResources: ['pods'], excludedNamespaceScopedResources: ['secrets'] }, pod: pod('p', 'db'), code: 'backup-invalid' },
  { name: 'namespace in includes and excludes', spec: { includedNamespaces: ['db'], excludedNamespaces: ['db'] }, pod: pod('p', 'db'), code: 'backup-invalid' },
  { name: 'resources "*" in excludes', spec: { excludedResources: ['*'] }, pod: pod('p', 'db'), code: 'backup-invalid' },
  { name: 'includedNamespaces not a list (schema)', spec: { includedNamespaces: 'db' }, pod: pod('p', 'db'), code: 'backup-invalid' },
];

void test('the Backup\'s own scope: one row per field', async (t) => {
  for (const c of backupCases) {
    await t.test(c.name, () => {
      const plan = planBackup([c.pod], backup(c.spec, c.kind), 'pre');
      if (c.code === undefined) {
        assert.equal(plan.hooks.length, 1, JSON.stringify(plan.skipped));
        assert.deepEqual(plan.skipped, []);
        return;
      }
      assert.deepEqual(plan.hooks, []);
      assert.equal(plan.skipped.length, 1);
      assert.equal(plan.skipped[0]?.code, c.code);
      if (c.reason !== undefined) assert.equal(plan.skipped[0].reason, c.reason);
    });
  }
});

void test('the issue\'s example: Backup [db] + backup=yes, an entry without selector, an annotation hook in shop', () => {
  const b = backup({ includedNamespaces: ['db'], labelSelector: { matchLabels: { backup: 'yes' } } });
  const pods = [pod('pg', 'db', { backup: 'yes' }), pod('other', 'shop', { backup: 'yes' }), pod('unlabelled', 'db'), pod('cart', 'shop', { backup: 'yes' }, annotated)];
  const plan = planBackup(pods, b, 'pre');
  assert.deepEqual(plan.hooks.map((h) => `${h.namespace}/${h.pod}`), ['db/pg']);
  assert.deepEqual(plan.skipped.map((s) => [s.pod, s.code]), [
    ['other', 'backup-namespace-not-included'],
    ['unlabelled', 'backup-label-selector'],
    ['cart', 'backup-namespace-not-included'],
  ]);
});

function restore(spec: Record<string, unknown>, name = 'r'): RestoreHooks {
  const parsed = parseRestoreObject({
    apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name },
    spec: { backupName: 'b', hooks: { resources: [{ name: 'h', postHooks: [{ exec: { command: ['/bin/thaw'] } }] }] }, ...spec },
  });
  assert.ok(parsed.restore);
  return parsed.restore;
}

interface RestoreCase extends ScopeCase {
  readonly backedUp?: boolean;
}

const restoreCases: readonly RestoreCase[] = [
  { name: 'includedNamespaces [db]: live pod in shop out', spec: { includedNamespaces: ['db'] }, pod: pod('p', 'shop'), code: 'restore-namespace-not-included', reason: 'not in the restore: namespace "shop" is not in spec.includedNamespaces [db]' },
  { name: 'includedNamespaces [db] + mapping: live pod in db-restored in', spec: { includedNamespaces: ['db'], namespaceMapping: { db: 'db-restored' } }, pod: pod('p', 'db-restored') },
  { name: 'mapping moves db away: live pod in db was not restored', spec: { namespaceMapping: { db: 'db-restored' } }, pod: pod('p', 'db'), code: 'restore-namespace-not-restored' },
  { name: 'backed-up pod in db with mapping: in (target db-restored)', backedUp: true, spec: { includedNamespaces: ['db'], namespaceMapping: { db: 'db-restored' } }, pod: pod('p', 'db') },
  { name: 'backed-up pod in shop: out', backedUp: true, spec: { includedNamespaces: ['db'] }, pod: pod('p', 'shop'), code: 'restore-namespace-not-included' },
  { name: 'excludedNamespaces (source) with mapping', spec: { excludedNamespaces: ['db*'], namespaceMapping: { db: 'db-restored' } }, pod: pod('p', 'db-restored'), code: 'restore-namespace-excluded', reason: 'not in the restore: source namespace "db" (restored into "db-restored") matches spec.excludedNamespaces [db*] (pattern "db*")' },
  { name: 'a target namespace may also be its own source', spec: { excludedNamespaces: ['db'], namespaceMapping: { db: 'db-restored' } }, pod: pod('p', 'db-restored') },
  { name: 'labelSelector', spec: { labelSelector: { matchLabels: { app: 'pg' } } }, pod: pod('p', 'db', { app: 'web' }), code: 'restore-label-selector' },
  { name: 'orLabelSelectors', spec: { orLabelSelectors: [{ matchLabels: { app: 'pg' } }] }, pod: pod('p', 'db'), code: 'restore-or-label-selectors' },
  { name: 'excludedResources [pods]', spec: { excludedResources: ['pods'] }, pod: pod('p', 'db'), code: 'restore-resources-exclude-pods' },
  { name: 'includedResources [deployments]', spec: { includedResources: ['deployments'] }, pod: pod('p', 'db'), code: 'restore-resources-exclude-pods' },
  { name: 'restore-name label of another restore', spec: {}, pod: pod('p', 'db', { 'velero.io/restore-name': 'older' }), code: 'restore-other-restore' },
  { name: 'restore-name label of this restore', spec: {}, pod: pod('p', 'db', { 'velero.io/restore-name': 'r' }) },
  { name: 'restore-name label on a backed-up manifest is not checked', backedUp: true, spec: {}, pod: pod('p', 'db', { 'velero.io/restore-name': 'older' }) },
  { name: 'labelSelector and orLabelSelectors: FailedValidation', spec: { labelSelector: {}, orLabelSelectors: [{}] }, pod: pod('p', 'db'), code: 'restore-invalid' },
];

void test('the Restore\'s own scope: one row per field', async (t) => {
  for (const c of restoreCases) {
    await t.test(c.name, () => {
      const plan = planRestore([c.pod], restore(c.spec), { ...gen, backedUp: c.backedUp });
      if (c.code === undefined) {
        assert.equal(plan.hooks.length, 1, JSON.stringify(plan.skipped));
        return;
      }
      assert.deepEqual(plan.hooks, []);
      assert.equal(plan.skipped[0]?.code, c.code);
      if (c.reason !== undefined) assert.equal(plan.skipped[0].reason, c.reason);
    });
  }
});

void test('V118: with namespaceMapping {db: db-restored}, an entry naming db-restored matches, one naming db does not', () => {
  const make = (ns: string): RestoreHooks => {
    const parsed = parseRestoreObject({
      apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' },
      spec: { includedNamespaces: ['db'], namespaceMapping: { db: 'db-restored' }, hooks: { resources: [{ name: 'h', includedNamespaces: [ns], postHooks: [{ exec: { command: ['/x'] } }] }] } },
    });
    assert.ok(parsed.restore);
    return parsed.restore;
  };
  assert.equal(planRestore([pod('p', 'db')], make('db-restored'), { ...gen, backedUp: true }).hooks[0]?.namespace, 'db-restored');
  assert.equal(planRestore([pod('p', 'db')], make('db'), { ...gen, backedUp: true }).skipped[0]?.code, 'no-entry-applies');
  assert.equal(planRestore([pod('p', 'db-restored')], make('db-restored'), gen).hooks.length, 1);
});

void test('namespaces to list without -n', () => {
  const cases: readonly [Record<string, unknown>, Record<string, string>, string[] | undefined][] = [
    [{}, {}, undefined],
    [{ includedNamespaces: ['db', 'shop'] }, {}, ['db', 'shop']],
    [{ includedNamespaces: ['*'] }, {}, undefined],
    [{ includedNamespaces: ['db*'] }, {}, undefined],
    [{ includedNamespaces: ['db', 'db-scratch'], excludedNamespaces: ['*-scratch'] }, {}, ['db']],
    [{ includedNamespaces: ['db'] }, { db: 'db-restored' }, ['db-restored']],
  ];
  for (const [spec, mapping, want] of cases) {
    assert.deepEqual(scopeNamespaces(restore({ ...spec, namespaceMapping: mapping }).scope, mapping), want, JSON.stringify(spec));
  }
  assert.deepEqual(sourceNamespacesOf('db-restored', { db: 'db-restored' }), ['db', 'db-restored']);
  assert.deepEqual(sourceNamespacesOf('x', { a: 'x', b: 'x' }), ['a', 'b', 'x']);
  assert.deepEqual(sourceNamespacesOf('a', { a: 'x' }), []);
});

void test('docs/plan-output.md lists every skip code', async () => {
  const { readFile } = await import('node:fs/promises');
  const { SKIP_CODES } = await import('../model/skip.ts');
  const doc = await readFile(new URL('../../docs/plan-output.md', import.meta.url), 'utf8');
  for (const code of Object.keys(SKIP_CODES)) assert.ok(doc.includes(`| \`${code}\` |`), `docs/plan-output.md documents ${code}`);
});
