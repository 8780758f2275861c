/**
 * What kubehooks sends to the API server, request by request: `plan` (from the cluster) and `run`
 * (pre-backup, post-backup, post-restore), in process with the real kube adapters against the
 * in-process fake API server, which records every request. Only reads (GET: list, watch, get, and
 * the exec upgrade) and, unless --no-events, POSTs of Events. Needs no cluster, so it runs even when
 * the e2e tier is skipped; e2e/security-rbac.test.ts shows the same on a real API server.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../src/cli/main.ts';
import { captureIo } from '../src/testing/cli-io.ts';
import { FakeApiServer, runningPod } from '../src/testing/fake-api-server.ts';

const EVENTS = /^\/api\/v1\/namespaces\/[^/]+\/events$|^\/apis\/events\.k8s\.io\/v1\/namespaces\/[^/]+\/events$/;

void describe('kubehooks writes nothing to the cluster but Events', () => {
  void it('[S-20] plan and run send only reads, plus one Event per hook (none with --no-events)', async (t) => {
    const server = await FakeApiServer.start();
    const dir = await mkdtemp(join(tmpdir(), 'kubehooks-writes-'));
    t.after(async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    });
    for (const [ns, name] of [['app', 'db-0'], ['app', 'db-1']] as const) {
      const pod = runningPod(ns, name, ['db']);
      server.putPod({
        ...pod,
        metadata: {
          ...pod.metadata,
          annotations: {
            'pre.hook.backup.velero.io/command': '["/bin/freeze"]',
            'post.hook.backup.velero.io/command': '["/bin/thaw"]',
            'post.hook.restore.velero.io/command': '["/bin/warm"]',
          },
        },
      });
    }
    const kubeconfig = server.writeKubeconfig();
    const backup = join(dir, 'backup.yaml');
    const restore = join(dir, 'restore.yaml');
    await writeFile(backup, 'apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: b\nspec: {}\n');
    await writeFile(restore, 'apiVersion: velero.io/v1\nkind: Restore\nmetadata:\n  name: r\nspec:\n  backupName: b\n');

    const invocations: [string[], number][] = [
      [['plan', '--backup', backup, '--kubeconfig', kubeconfig, '-n', 'app'], 0],
      [['run', 'pre-backup', '--backup', backup, '--kubeconfig', kubeconfig, '-n', 'app'], 2],
      [['run', 'post-backup', '--backup', backup, '--kubeconfig', kubeconfig, '-n', 'app'], 2],
      [['run', 'post-restore', '--restore', restore, '--kubeconfig', kubeconfig, '-n', 'app', '--deadline', '10s'], 2],
      [['run', 'pre-backup', '--backup', backup, '--kubeconfig', kubeconfig, '-n', 'app', '--no-events'], 0],
      [['run', 'post-restore', '--restore', restore, '--kubeconfig', kubeconfig, '-n', 'app', '--deadline', '10s', '--no-events'], 0],
    ];
    for (const [argv, events] of invocations) {
      server.requests.length = 0;
      const io = captureIo();
      const code = await main(argv, { io: io.io });
      assert.equal(code, 0, `${argv.join(' ')}\n${io.stderr()}`);
      const writes = server.requests.filter((r) => r.method !== 'GET');
      assert.ok(writes.every((r) => r.method === 'POST' && EVENTS.test(r.path)), `${argv.join(' ')}: ${JSON.stringify(writes.map((r) => `${r.method} ${r.path}`))}`);
      assert.equal(writes.length, events, `${argv.join(' ')}: Events written`);
      assert.ok(server.requests.length > 0);
    }
    assert.deepEqual(server.execSessions.map((s) => s.command.join(' ')).sort(), [
      ...Array<string>(2).fill('/bin/freeze'),
      ...Array<string>(2).fill('/bin/freeze'),
      ...Array<string>(2).fill('/bin/thaw'),
      ...Array<string>(2).fill('/bin/warm'),
      ...Array<string>(2).fill('/bin/warm'),
    ].sort());
  });
});
