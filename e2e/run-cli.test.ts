/**
 * `kubehooks run` as users run it: the real binary against the local cluster, with Backup/Restore
 * files, annotations overriding spec hooks, exit codes and the interrupt path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import type { E2eContext } from './harness/index.ts';
import { kubehooks, markerDir, writeYaml } from './run-harness.ts';
import { assertMatchesSchema } from '../src/report/output-schemas.ts';

const skip = e2eSkipReason();

const sh = (script: string): string[] => ['/bin/sh', '-c', script];

interface JsonReport {
  summary: { attempted: number; failed: number };
  results: { pod: string; container: string; source: string; name: string; status: string; reasonCode?: string; stdout: string }[];
}

function backupObject(ctx: E2eContext, pre: unknown[], post: unknown[] = []): unknown {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name: 'e2e', namespace: 'velero' },
    spec: { hooks: { resources: [{ name: 'all-pods', includedNamespaces: [ctx.namespace], pre, post }] } },
  };
}

void describe('kubehooks run (binary) on the local cluster', { skip }, () => {
  void it('pre-backup: an annotation hook replaces the spec hooks for its pod; other pods get the spec hooks', async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    await ctx.createPod({
      name: 'db',
      annotations: {
        'pre.hook.backup.velero.io/command': JSON.stringify(sh(`echo annotation > ${m.dir}/db-annotation`)),
        'pre.hook.backup.velero.io/on-error': 'Fail',
      },
    });
    await ctx.createPod({ name: 'web' });
    await ctx.waitForRunning('db');
    await ctx.waitForRunning('web');
    const file = await writeYaml(t, 'backup.yaml', backupObject(ctx, [{ exec: { command: sh(`echo spec > ${m.dir}/$(hostname 2>/dev/null || echo x)-spec; echo spec`) } }]));
    const r = await kubehooks(['run', 'pre-backup', '--backup', file, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = assertMatchesSchema('run-output', r.stdout) as JsonReport;
    assert.deepEqual(
      report.results.map((x) => `${x.pod}:${x.source}:${x.status}`),
      ['db:annotation:succeeded', 'web:spec:succeeded'],
    );
    assert.equal(await m.read('db-annotation'), 'annotation\n');
    assert.deepEqual({ attempted: report.summary.attempted, failed: report.summary.failed }, { attempted: 2, failed: 0 });
  });

  void it('post-restore: annotation overrides spec, wait-for-ready honoured, failing hook gives exit 1 and a readable table', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({
      name: 'db',
      readyDelayMs: 1_500,
      annotations: {
        'post.hook.restore.velero.io/command': JSON.stringify(sh('echo from-annotation')),
        'post.hook.restore.velero.io/wait-for-ready': 'true',
      },
    });
    await ctx.createPod({ name: 'web', startDelayMs: 500 });
    const file = await writeYaml(t, 'restore.yaml', {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: 'e2e', namespace: 'velero' },
      spec: {
        backupName: 'b',
        hooks: {
          resources: [
            {
              name: 'spec-hooks',
              includedNamespaces: [ctx.namespace],
              postHooks: [{ exec: { command: sh('echo warm-up failed >&2; exit 5'), onError: 'Continue' } }, { exec: { command: sh('echo second') } }],
            },
          ],
        },
      },
    });
    const r = await kubehooks(['run', 'post-restore', '--restore', file, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '--deadline', '60s']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /succeeded\s+\S+\/db\s+app\s+<from-annotation>#0/);
    assert.match(r.stdout, /failed\s+\S+\/web\s+app\s+spec-hooks#0\s+\S+\s+command terminated with exit code 5/);
    assert.match(r.stdout, /succeeded\s+\S+\/web\s+app\s+spec-hooks#1/);
    assert.match(r.stdout, /warm-up failed/);
    assert.match(r.stdout, /Hooks attempted: 3, failed: 1/);
  });

  void it('SIGINT while hooks wait: exit 130 with the partial report', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'stuck', neverStart: true, annotations: { 'post.hook.restore.velero.io/command': 'true' } });
    const file = await writeYaml(t, 'restore.yaml', { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'e2e' }, spec: { backupName: 'b' } });
    // Interrupt once the run says it is waiting (a fixed delay raced Node's start-up under load).
    let sent = false;
    const r = await kubehooks(
      ['run', 'post-restore', '--restore', file, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '-o', 'json'],
      (pid) => pid,
      (pid, stderr) => {
        if (!sent && /waiting for containers/.test(stderr)) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    );
    assert.equal(r.code, 130, r.stderr);
    const report = assertMatchesSchema('run-output', r.stdout) as JsonReport & { interrupted: boolean };
    assert.equal(report.interrupted, true);
    assert.deepEqual(report.results.map((x) => `${x.pod}:${x.status}:${x.reasonCode ?? ''}`), ['stuck:not-run:aborted']);
    assert.match(r.stderr, /SIGINT received/);
  });

  void it('usage and configuration errors exit 2 with a message naming the problem', async (t) => {
    const ctx = await e2eContext(t);
    const missing = await kubehooks(['run', 'pre-backup', '--backup', '/nonexistent/backup.yaml', '--kubeconfig', ctx.kubeconfigPath]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /\/nonexistent\/backup\.yaml/);
    // The file is read and checked first (a missing file never gets to the kubeconfig); a good file with a bad kubeconfig names the kubeconfig.
    assert.doesNotMatch(missing.stderr, /kubeconfig/);
    const good = await writeYaml(t, 'backup.yaml', { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: {} });
    const badConfig = await kubehooks(['run', 'pre-backup', '--backup', good, '--kubeconfig', '/nonexistent/kubeconfig']);
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /kubeconfig/);
    assert.doesNotMatch(missing.stderr + badConfig.stderr, /\n\s+at /);
  });
});
