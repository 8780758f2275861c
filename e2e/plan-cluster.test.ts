/** `kubehooks plan` without PATH: pods come from the live cluster (the real binary, the local cluster). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import { kubehooks, writeYaml } from './run-harness.ts';
import { assertMatchesSchema } from '../src/report/output-schemas.ts';

const skip = e2eSkipReason();

interface PlanJson {
  hooks: { namespace: string; pod: string; container: string; source: string; name: string; command: string[] }[];
  skipped: { namespace: string; pod: string; reason: string }[];
}

void describe('kubehooks plan against the cluster', { skip }, () => {
  void it('lists the pods of the namespace and plans annotation and spec hooks, explaining skipped pods', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({
      name: 'db',
      labels: { app: 'db' },
      annotations: { 'pre.hook.backup.velero.io/command': '["/bin/true"]' },
    });
    await ctx.createPod({ name: 'web', labels: { app: 'web' } });
    await ctx.createPod({ name: 'cache', labels: { app: 'cache' } });
    const file = await writeYaml(t, 'backup.yaml', {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'e2e', namespace: 'velero' },
      spec: {
        hooks: {
          resources: [
            {
              name: 'web-only',
              labelSelector: { matchLabels: { app: 'web' } },
              pre: [{ exec: { command: ['/bin/echo', 'flush'] } }],
            },
          ],
        },
      },
    });
    const r = await kubehooks(['plan', '--backup', file, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = assertMatchesSchema('plan-output', r.stdout) as PlanJson;
    const hooks = plan.hooks.map((h) => `${h.pod}/${h.container}:${h.source}:${h.command.join(' ')}`).sort();
    assert.equal(hooks.length, 2);
    assert.match(hooks[0] ?? '', /^db\/.+:annotation:\/bin\/true$/);
    assert.match(hooks[1] ?? '', /^web\/.+:spec:\/bin\/echo flush$/);
    assert.deepEqual(
      plan.skipped.map((s) => s.pod),
      ['cache'],
    );
    assert.match(plan.skipped[0]?.reason ?? '', /label|app=web/);
  });

  void it('an unreachable API server is a usage/config error (exit 2) with the reason, not a stack trace', async (t) => {
    const file = await writeYaml(t, 'backup.yaml', { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: {} });
    const kubeconfig = await writeYaml(t, 'kubeconfig', {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 'x' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    });
    const r = await kubehooks(['plan', '--backup', file, '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot list pods: .*(unreachable|ECONNREFUSED|connect)/i);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
