/**
 * src/kube's client against the real local control plane: TLS verification is on by default (a
 * kubeconfig without the cluster CA is refused with a typed error), and the explicit
 * insecureSkipTlsVerify option works but warns.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { ApiUnreachableError, createKubePorts } from '../src/kube/index.ts';
import { e2eContext, e2eSkipReason } from './harness/index.ts';

void describe('kube client TLS on the local control plane', { skip: e2eSkipReason() }, () => {
  void test('[S-1] verification is on by default; insecureSkipTlsVerify is explicit and loud', async (t) => {
    const ctx = await e2eContext(t);
    await ctx.createPod({ name: 'p' });
    const config = parse(await readFile(ctx.kubeconfigPath, 'utf8')) as {
      clusters: { cluster: Record<string, unknown> }[];
    };
    for (const c of config.clusters) delete c.cluster['certificate-authority-data'];
    const dir = await mkdtemp(join(tmpdir(), 'kubehooks-e2e-noca-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'kubeconfig');
    await writeFile(file, stringify(config), { mode: 0o600 });

    const strict = createKubePorts({ kubeconfigPath: file, warn: () => undefined });
    try {
      await assert.rejects(strict.lister.list({ namespaces: [ctx.namespace] }, t.signal), (e: unknown) => {
        assert.ok(e instanceof ApiUnreachableError, String(e));
        assert.match(e.systemCode ?? '', /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
        assert.match(e.message, /TLS verification failed/);
        return true;
      });
      const exec = await strict.executor.exec({
        namespace: ctx.namespace,
        pod: 'p',
        container: 'app',
        command: ['true'],
        timeoutMs: 5000,
        maxOutputBytes: 1024,
        signal: t.signal,
      });
      assert.equal(exec.kind === 'error' ? exec.code : exec.kind, 'unreachable', JSON.stringify(exec));
    } finally {
      strict.close();
    }

    const warnings: string[] = [];
    const insecure = createKubePorts({ kubeconfigPath: file, insecureSkipTlsVerify: true, warn: (m) => warnings.push(m) });
    try {
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /DISABLED/);
      const pods = await insecure.lister.list({ namespaces: [ctx.namespace] }, t.signal);
      assert.deepEqual(pods.map((p) => p.metadata.name), ['p']);
    } finally {
      insecure.close();
    }
  });
});
