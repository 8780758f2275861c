/**
 * `kubehooks inject` output as the API server sees it: applied with `kubectl apply --dry-run=server`
 * on the local cluster. Accepted whenever kubehooks exits 0; for the outputs the server would refuse
 * (duplicate container name, mount of an undefined volume, invalid name) kubehooks exits 1 and
 * writes nothing, and the naive injection of the same pod is shown to be refused by the server.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { injectInitHooks } from '../src/inject/inject.ts';
import type { PodManifest } from '../src/model/pod.ts';
import { parseRestoreObject } from '../src/velero/spec.ts';
import { kubectl, kubectlSkipReason } from './admission-support.ts';
import { e2eContext } from './harness/index.ts';
import { kubehooks, writeYaml } from './run-harness.ts';

/** kubectl apply --dry-run=server, owned by this test process, 30 s deadline. */
const dryRun = (kubeconfig: string, file: string) => kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', file]);

const skip = kubectlSkipReason();

void describe('inject output through the API server (kubectl apply --dry-run=server)', { skip }, () => {
  void it('accepted when kubehooks exits 0 (namespaceMapping applied); refused cases exit 1', async (t) => {
    const ctx = await e2eContext(t);
    const restoreObject = (initContainer: Record<string, unknown>): unknown => ({
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: 'r', namespace: 'velero' },
      spec: {
        backupName: 'b',
        namespaceMapping: { 'backed-up': ctx.namespace },
        hooks: { resources: [{ name: 'seed', postHooks: [{ init: { initContainers: [{ image: 'busybox', command: ['/bin/seed'], ...initContainer }] } }] }] },
      },
    });
    const pod: PodManifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pg', namespace: 'backed-up', labels: { app: 'pg' } },
      spec: { containers: [{ name: 'pg', image: 'postgres', volumeMounts: [{ name: 'data', mountPath: '/data' }] }], volumes: [{ name: 'data', emptyDir: {} }] },
    };
    const manifest = await writeYaml(t, 'pod.yaml', pod);

    const good = await writeYaml(t, 'restore.yaml', restoreObject({ name: 'seed', volumeMounts: [{ name: 'data', mountPath: '/data' }] }));
    const out = await kubehooks(['inject', '--restore', good, manifest]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`namespace: ${ctx.namespace}\\n`));
    // The file as kubehooks wrote it (writeYaml gives the temp file; its content is replaced).
    const outFile = await writeYaml(t, 'out.yaml', {});
    await writeFile(outFile, out.stdout);
    const applied = await dryRun(ctx.kubeconfigPath, outFile);
    assert.equal(applied.code, 0, applied.stderr);

    const refused: readonly [string, Record<string, unknown>, RegExp][] = [
      ['duplicate container name', { name: 'pg' }, /Duplicate value: "pg"/],
      ['mount of an undefined volume', { name: 'seed', volumeMounts: [{ name: 'dta', mountPath: '/d' }] }, /Not found: "dta"/],
      ['invalid container name', { name: 'Seed_1' }, /Invalid value: "Seed_1"/],
    ];
    for (const [what, container, message] of refused) {
      const file = await writeYaml(t, 'restore.yaml', restoreObject(container));
      const r = await kubehooks(['inject', '--restore', file, manifest]);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.equal(r.stdout, '', `${what}: nothing written`);
      assert.match(r.stderr, message, what);
      // The same pod injected naively (pure function, mapping applied): the API server refuses it.
      const parsed = parseRestoreObject(restoreObject(container)).restore;
      assert.ok(parsed);
      const naive = injectInitHooks(pod, parsed, { generateName: () => 'x' }).pod;
      const naiveFile = await writeYaml(t, 'naive.yaml', { ...naive, metadata: { ...naive.metadata, namespace: ctx.namespace } });
      const server = await dryRun(ctx.kubeconfigPath, naiveFile);
      assert.notEqual(server.code, 0, `${what}: the API server refuses the naive output`);
      assert.match(server.stderr, /Invalid value|Duplicate value|Not found|invalid/i, `${what}: ${server.stderr}`);
    }
  });
});
