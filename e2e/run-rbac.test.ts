/**
 * The least-privilege Role of docs/rbac.md is enough: a ServiceAccount bound only to it (token from
 * the TokenRequest API) runs backup and post-restore hooks, Events included. Without the binding,
 * the run stops before any hook with exit 2.
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are
   data-only classes and its serializer takes plain objects. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import { kubehooks, writeYaml } from './run-harness.ts';

const skip = e2eSkipReason();

interface RoleDoc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
}

/** The first YAML block of docs/rbac.md: the namespaced Role and RoleBinding. */
async function documentedRole(): Promise<RoleDoc[]> {
  const text = await readFile(resolve(import.meta.dirname, '..', 'docs', 'rbac.md'), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(text)?.[1];
  if (block === undefined) throw new Error('docs/rbac.md has no yaml block');
  return parseAllDocuments(block).map((d) => d.toJSON() as RoleDoc);
}

void describe('RBAC: the documented least-privilege Role', { skip }, () => {
  void it('[S-18] a ServiceAccount bound only to it runs pre-backup and post-restore hooks, with Events', async (t) => {
    const ctx = await e2eContext(t);
    const docs = await documentedRole();
    const role = docs.find((d) => d.kind === 'Role');
    assert.ok(role?.rules !== undefined);
    await ctx.rbac.createNamespacedRole({ namespace: ctx.namespace, body: { metadata: { name: 'kubehooks-runner' }, rules: role.rules } });
    await ctx.rbac.createNamespacedRoleBinding({
      namespace: ctx.namespace,
      body: {
        metadata: { name: 'kubehooks-runner' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubehooks-runner' },
        subjects: [{ kind: 'ServiceAccount', name: 'hooks', namespace: ctx.namespace }],
      },
    });
    const kubeconfig = await ctx.serviceAccountKubeconfig('hooks');
    await ctx.createPod({
      name: 'db',
      annotations: {
        'pre.hook.backup.velero.io/command': '["/bin/sh","-c","echo frozen"]',
        'post.hook.restore.velero.io/command': '["/bin/sh","-c","echo restored"]',
      },
    });
    await ctx.waitForRunning('db');
    const backup = await writeYaml(t, 'backup.yaml', { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: {} });
    const restore = await writeYaml(t, 'restore.yaml', { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' }, spec: { backupName: 'b' } });

    const pre = await kubehooks(['run', 'pre-backup', '--backup', backup, '--kubeconfig', kubeconfig, '-n', ctx.namespace, '-o', 'json']);
    assert.equal(pre.code, 0, pre.stderr + pre.stdout);
    const post = await kubehooks(['run', 'post-restore', '--restore', restore, '--kubeconfig', kubeconfig, '-n', ctx.namespace, '-o', 'json']);
    assert.equal(post.code, 0, post.stderr + post.stdout);
    const results = (JSON.parse(post.stdout) as { results: { status: string; stdout: string }[] }).results;
    assert.deepEqual(results.map((r) => [r.status, r.stdout]), [['succeeded', 'restored\n']]);

    const events = await ctx.core.listNamespacedEvent({ namespace: ctx.namespace });
    const reasons = events.items.filter((e) => e.involvedObject.name === 'db').map((e) => e.reason);
    // One summary per pod and run (ADR 0023): the pre-backup run's and the post-restore run's.
    assert.deepEqual(reasons.sort(), ['HooksSucceeded', 'HooksSucceeded']);
  });

  void it('[R-31] without the binding the run stops before any hook: exit 2, forbidden named', async (t) => {
    const ctx = await e2eContext(t);
    const kubeconfig = await ctx.serviceAccountKubeconfig('nobody');
    await ctx.createPod({ name: 'db', annotations: { 'pre.hook.backup.velero.io/command': 'true' } });
    const backup = await writeYaml(t, 'backup.yaml', { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: {} });
    const r = await kubehooks(['run', 'pre-backup', '--backup', backup, '--kubeconfig', kubeconfig, '-n', ctx.namespace]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /forbidden/i);
  });
});
