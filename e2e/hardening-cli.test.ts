/**
 * `kubehooks run … -o json | head -c 10` (issue 10 item 4): the reader goes away after 10 bytes. The
 * process must neither crash with an EPIPE stack trace nor lose its exit status: every hook ran, so 0.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { spawnOwned } from '../src/testing/owned-process.ts';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import { markerDir, writeYaml } from './run-harness.ts';
import { shJson } from './fault-support.ts';

const skip = e2eSkipReason();
const BIN = resolve(import.meta.dirname, '..', 'bin', 'kubehooks.js');

void describe('closed stdout on the local cluster', { skip }, () => {
  void it('[R-14][R-69][S-21] run pre-backup -o json | head -c 10: exit 0, no EPIPE trace, every hook ran once', { timeout: 120_000 }, async (t) => {
    const ctx = await e2eContext(t);
    const m = await markerDir(t);
    for (const name of ['a', 'b', 'c']) await ctx.createPod({ name });
    for (const name of ['a', 'b', 'c']) await ctx.waitForRunning(name);
    // Enough output per hook that the JSON report is far larger than a pipe buffer.
    const command = shJson(`echo ran >> ${m.dir}/$(hostname 2>/dev/null || echo x).$$; head -c 200000 /dev/zero | tr '\\0' x`);
    const file = await writeYaml(t, 'backup.yaml', {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'epipe', namespace: 'velero' },
      spec: { hooks: { resources: [{ name: 'all', includedNamespaces: [ctx.namespace], pre: [{ exec: { command: JSON.parse(command) as string[] } }] }] } },
    });
    const { child } = spawnOwned(process.execPath, [BIN, 'run', 'pre-backup', '--backup', file, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '-o', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KUBECONFIG: '' },
      t,
    });
    let got = 0;
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= 10) child.stdout?.destroy();
    });
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('close', (c) => {
      r(c);
    }));
    assert.doesNotMatch(stderr, /EPIPE|\n\s+at /, stderr);
    assert.equal(code, 0, stderr);
    const { readdir } = await import('node:fs/promises');
    assert.equal((await readdir(m.dir)).length, 3, 'each of the 3 hooks ran once');
  });
});
