/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are
   data-only classes and its serializer takes plain objects. */
/**
 * Hooks only where Velero would run them (issue 9), on the local cluster through the binary: a
 * Backup whose own scope leaves pods out never execs in them (each hook writes a side-effect file,
 * so a missing file proves no exec), and a bad --backup file exits 2 with no pods/exec request at the
 * API server (its /metrics counters, before and after).
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { KubeClient } from '../src/kube/index.ts';
import { fakePod } from './harness/pods.ts';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import { kubehooks, markerDir, writeYaml } from './run-harness.ts';

const skip = e2eSkipReason();
const sh = (script: string): string[] => ['/bin/sh', '-c', script];

/** apiserver_request_total for pods/exec, every verb (the exec upgrade is a GET or POST, counted as CONNECT). */
async function execRequests(kubeconfigPath: string): Promise<number> {
  const client = KubeClient.load({ kubeconfigPath });
  try {
    const res = await client.stream('/metrics', { signal: AbortSignal.timeout(10_000), what: 'read metrics' });
    let text = '';
    for await (const chunk of res) text += (chunk as Buffer).toString();
    let n = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith('apiserver_request_total{')) continue;
      if (!line.includes('resource="pods"') || !line.includes('subresource="exec"')) continue;
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return n;
  } finally {
    client.close();
  }
}

/** A Backup in the velero namespace, as `kubectl get backup -o yaml` would give it. */
const veleroBackup = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name, namespace: 'velero' }, spec,
});

/**
 * `run pre-backup --backup FILE` refuses before any exec: exit 2, stderr matching `why`, and the
 * API server counts no pods/exec request. `what` names the case in the failure message.
 */
async function expectRefused(kubeconfigPath: string, file: string, flags: readonly string[], why: RegExp, what: string): Promise<void> {
  const before = await execRequests(kubeconfigPath);
  const r = await kubehooks(['run', 'pre-backup', '--backup', file, '--kubeconfig', kubeconfigPath, ...flags]);
  const after = await execRequests(kubeconfigPath);
  assert.equal(r.code, 2, `${what}\n${r.stderr}`);
  assert.match(r.stderr, why, what);
  assert.equal(after - before, 0, `${what}: no pods/exec request reached the API server`);
}

void describe('the Backup\'s own scope on the local cluster', { skip }, () => {
  void it('pods outside the Backup (namespace, labelSelector, exclude-from-backup) get no exec; without -n only the Backup\'s namespace is listed', async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    const other = `${ctx.namespace}-x`.slice(0, 63);
    await ctx.core.createNamespace({ body: { metadata: { name: other, labels: { 'kubehooks.dev/e2e': 'true' } } } });
    t.after(async () => {
      await ctx.core.deleteCollectionNamespacedPod({ namespace: other, gracePeriodSeconds: 0 });
    });
    const annotationHook = (name: string): Record<string, string> => ({ 'pre.hook.backup.velero.io/command': JSON.stringify(sh(`echo annotation > ${m.dir}/${name}-annotation`)) });
    await ctx.createPod({ name: 'in', labels: { backup: 'include' } });
    await ctx.createPod({ name: 'in-annotated', labels: { backup: 'include' }, annotations: annotationHook('in-annotated') });
    await ctx.createPod({ name: 'unlabelled', annotations: annotationHook('unlabelled') });
    await ctx.createPod({ name: 'excluded', labels: { backup: 'include', 'velero.io/exclude-from-backup': 'true' }, annotations: annotationHook('excluded') });
    await ctx.core.createNamespacedPod({ namespace: other, body: fakePod({ name: 'elsewhere', namespace: other, nodeName: ctx.nodeName, labels: { backup: 'include' }, annotations: annotationHook('elsewhere') }) });
    for (const name of ['in', 'in-annotated', 'unlabelled', 'excluded']) await ctx.waitForRunning(name);
    const file = await writeYaml(t, 'backup.yaml', veleroBackup('scoped', {
      includedNamespaces: [ctx.namespace],
      labelSelector: { matchLabels: { backup: 'include' } },
      // An entry with no selector at all: Velero still runs it only on backed-up pods.
      hooks: { resources: [{ name: 'everything', pre: [{ exec: { command: sh(`echo spec > ${m.dir}/$(hostname 2>/dev/null || echo h)-$$-spec; touch ${m.dir}/spec-ran`) } }] }] },
    }));
    // Without -n: the Backup names one namespace, so only it is listed.
    const r = await kubehooks(['run', 'pre-backup', '--backup', file, '--kubeconfig', ctx.kubeconfigPath, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { summary: { attempted: number }; results: { namespace: string; pod: string; source: string; status: string }[] };
    assert.deepEqual(report.results.map((x) => `${x.namespace === ctx.namespace ? '' : x.namespace}/${x.pod}:${x.source}:${x.status}`).sort(), ['/in-annotated:annotation:succeeded', '/in:spec:succeeded']);
    assert.equal(await m.read('in-annotated-annotation'), 'annotation\n');
    for (const name of ['unlabelled', 'excluded', 'elsewhere']) assert.equal(await m.read(`${name}-annotation`), undefined, `${name} got no exec`);
    assert.equal((await readdir(m.dir)).filter((f) => f.endsWith('-spec')).length, 1, 'the spec hook ran in exactly one pod');

    const plan = await kubehooks(['plan', '--backup', file, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '-o', 'json']);
    assert.equal(plan.code, 0, plan.stderr);
    const skipped = (JSON.parse(plan.stdout) as { skipped: { pod: string; code: string }[] }).skipped;
    assert.deepEqual(skipped.map((s) => `${s.pod}:${s.code}`).sort(), ['excluded:backup-exclude-label', 'unlabelled:backup-label-selector']);
  });

  void it('a bad --backup file: exit 2, and the API server counts no pods/exec request', async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    await ctx.createPod({ name: 'db', annotations: { 'pre.hook.backup.velero.io/command': JSON.stringify(sh(`touch ${m.dir}/ran`)) } });
    await ctx.waitForRunning('db');
    const bad: readonly unknown[] = [
      { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: { hooks: 'run everything' } },
      { apiVersion: 'velero.io/v2alpha1', kind: 'Backup', metadata: { name: 'b' }, spec: {} },
      { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: { hooks: { resources: [{ name: 'x', pre: [{ exec: { command: 42 } }] }] } } },
    ];
    for (const object of bad) {
      const file = await writeYaml(t, 'bad.yaml', object);
      await expectRefused(ctx.kubeconfigPath, file, ['-n', ctx.namespace], /nothing was run and the cluster was not contacted/, JSON.stringify(object));
      assert.equal(await m.read('ran'), undefined);
    }
    // The same pod with a good file does exec, so the counter would have seen it.
    const good = await writeYaml(t, 'good.yaml', { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: {} });
    const before = await execRequests(ctx.kubeconfigPath);
    const r = await kubehooks(['run', 'pre-backup', '--backup', good, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await execRequests(ctx.kubeconfigPath)) - before >= 1, 'the exec counter moves for a real exec');
    assert.equal(await m.read('ran'), '');
  });
});

void describe('Velero version profiles on the local cluster (--velero-version)', { skip }, () => {
  void it('spec onError FailBlock: refused under 1.18 (the default; no pods/exec request); under 1.19 a failed pre hook stops the pod\'s later hooks', async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    await ctx.createPod({ name: 'db' });
    await ctx.waitForRunning('db');
    const file = await writeYaml(t, 'failblock.yaml', veleroBackup('b', {
      includedNamespaces: [ctx.namespace],
      hooks: { resources: [{ name: 'quiesce', pre: [
        { exec: { command: sh(`touch ${m.dir}/freeze; exit 3`), onError: 'FailBlock' } },
        { exec: { command: sh(`touch ${m.dir}/after`) } },
      ] }] },
    }));
    for (const flags of [[], ['--velero-version', '1.18']]) {
      await expectRefused(ctx.kubeconfigPath, file, flags, /onError "FailBlock" is not in the Velero 1\.18\.x CRD enum/, `flags [${flags.join(' ')}]`);
    }
    assert.equal(await m.read('freeze'), undefined);
    const r = await kubehooks(['run', 'pre-backup', '--backup', file, '--kubeconfig', ctx.kubeconfigPath, '--velero-version', '1.19', '-o', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as { results: { name: string; index: number; status: string; reason: string }[] };
    assert.deepEqual(report.results.map((x) => `${x.name}#${x.index}:${x.status}`), ['quiesce#0:failed', 'quiesce#1:not-run']);
    assert.match(report.results[1]?.reason ?? '', /onError is FailBlock/);
    assert.equal(await m.read('freeze'), '');
    assert.equal(await m.read('after'), undefined, 'the hook after the failed FailBlock hook never ran');
    const plan = await kubehooks(['plan', '--backup', file, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '--velero-version', '1.19', '-o', 'json']);
    assert.equal(plan.code, 0, plan.stderr);
    const json = JSON.parse(plan.stdout) as { veleroVersion: string; hooks: { onError: string; velero: { onError: string; notes: string[] } }[] };
    assert.equal(json.veleroVersion, '1.19');
    assert.deepEqual(json.hooks.map((h) => h.onError), ['FailBlock', 'Continue']);
    assert.match(json.hooks[0]?.velero.notes.join(' ') ?? '', /whole ItemBlock/);
  });
});
