/**
 * The first hour (issue 12) on the real control plane: the binary with annotations only (no
 * Backup/Restore file), the kubeconfig context's namespace as the default, the zero-hook warning,
 * --wait-for-pods for a pod created after the run started. Every JSON output is validated against
 * its published schema.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, it, type TestContext } from 'node:test';
import { parse, stringify } from 'yaml';
import { assertMatchesSchema } from '../src/report/output-schemas.ts';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import type { E2eContext } from './harness/index.ts';
import { kubehooks, markerDir, sh, writeYaml } from './run-harness.ts';

const skip = e2eSkipReason();

/** A copy of the test kubeconfig whose current context sets `namespace` (as `kubectl config set-context --current --namespace`). */
async function kubeconfigWithNamespace(t: TestContext, ctx: E2eContext, namespace: string): Promise<string> {
  const doc = parse(await readFile(ctx.kubeconfigPath, 'utf8')) as { 'current-context': string; contexts: { name: string; context: Record<string, unknown> }[] };
  for (const c of doc.contexts) if (c.name === doc['current-context']) c.context['namespace'] = namespace;
  const path = await writeYaml(t, 'kubeconfig', {});
  await writeFile(path, stringify(doc));
  return path;
}

interface RunJson {
  kind: string;
  backup: string | null;
  namespaces: string[] | null;
  results: { pod: string; status: string }[];
  skipped: { pod: string; code: string }[];
}

void describe('first hour on the local cluster (binary)', { skip }, () => {
  void it('run pre-backup with annotations only, no -n: the context\'s namespace; JSON per schema; plan agrees', async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    await ctx.createPod({ name: 'db', annotations: { 'pre.hook.backup.velero.io/command': JSON.stringify(sh(`echo frozen > ${m.dir}/db`)) } });
    await ctx.createPod({ name: 'web' });
    await ctx.waitForRunning('db');
    await ctx.waitForRunning('web');
    const kc = await kubeconfigWithNamespace(t, ctx, ctx.namespace);
    const plan = await kubehooks(['plan', '--kubeconfig', kc, '-o', 'json']);
    assert.equal(plan.code, 0, plan.stderr);
    const planned = assertMatchesSchema('plan-output', plan.stdout) as { hooks: { pod: string }[] };
    assert.deepEqual(planned.hooks.map((h) => h.pod), ['db']);
    const r = await kubehooks(['run', 'pre-backup', '--kubeconfig', kc, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`namespace: "${ctx.namespace}" \\(the kubeconfig context's`));
    const doc = assertMatchesSchema('run-output', r.stdout) as RunJson;
    assert.equal(doc.kind, 'pre-backup');
    assert.equal(doc.backup, null);
    assert.deepEqual(doc.namespaces, [ctx.namespace]);
    assert.deepEqual(doc.results.map((x) => `${x.pod}:${x.status}`), ['db:succeeded']);
    assert.deepEqual(doc.skipped.map((s) => `${s.pod}:${s.code}`), ['web:no-hooks']);
    assert.equal(await m.read('db'), 'frozen\n');
  });

  void it('a typo\'d namespace is a warning with the reason, exit 0; --fail-if-no-hooks makes it exit 1', async (t) => {
    const ctx = await e2eContext(t);
    const typo = `${ctx.namespace}x`;
    const r = await kubehooks(['run', 'pre-backup', '--kubeconfig', ctx.kubeconfigPath, '-n', typo]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^warning: no hook planned: no pods found in namespace "${typo}"$`, 'm'));
    const strict = await kubehooks(['run', 'pre-backup', '--kubeconfig', ctx.kubeconfigPath, '-n', typo, '--fail-if-no-hooks', '-o', 'json']);
    assert.equal(strict.code, 1, strict.stderr);
    assertMatchesSchema('run-output', strict.stdout);
  });

  void it('run post-restore --wait-for-pods: started before the pod exists, runs its hook once it appears', async (t) => {
    const ctx = await e2eContext(t);
    let created = false;
    const run = kubehooks(
      ['run', 'post-restore', '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '--wait-for-pods', '90s', '--deadline', '120s', '-o', 'json'],
      undefined,
      (_pid, stderr) => {
        if (created || !stderr.includes('--wait-for-pods')) return;
        created = true;
        void ctx.createPod({ name: 'restored', startDelayMs: 500, annotations: { 'post.hook.restore.velero.io/command': JSON.stringify(sh('echo warm')) } });
      },
    );
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(created, 'the pod was created while kubehooks waited');
    const doc = assertMatchesSchema('run-output', r.stdout) as RunJson;
    assert.deepEqual(doc.results.map((x) => `${x.pod}:${x.status}`), ['restored:succeeded']);
  });
});
