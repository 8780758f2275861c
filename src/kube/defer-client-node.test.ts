import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:6443', proxy-url: 'socks5://127.0.0.1:1080'}
users:
- name: u
  user: {token: t}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`;

/** Runs a script in a fresh Node (the hook is process-wide) and returns what it printed as JSON. */
function inFreshNode(script: string): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'kubehooks-defer-'));
  try {
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, KUBECONFIG);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, KH_KUBECONFIG: file },
      encoding: 'utf8',
    });
    return JSON.parse(out) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void describe('deferClientNodeDependencies', () => {
  void it('keeps the generated API and socks out of a kubeconfig load, and loads them on first use', () => {
    const result = inFreshNode(`
      import { createRequire } from 'node:module';
      const { deferClientNodeDependencies } = await import('./src/kube/defer-client-node.ts');
      const active = deferClientNodeDependencies();
      const { loadKubeConfig } = await import('./src/kube/kubeconfig.ts');
      const loaded = () => Object.keys(createRequire(import.meta.url).cache);
      const kc = loadKubeConfig({ kubeconfigPath: process.env.KH_KUBECONFIG, warn: () => {} });
      const before = loaded().filter((f) => /socks-proxy-agent|undici/.test(f)).length;
      const opts = {};
      await kc.applyToHTTPSOptions(opts);
      const { SocksProxyAgent } = createRequire(import.meta.url)('socks-proxy-agent');
      console.log(JSON.stringify({ active, before, socks: opts.agent instanceof SocksProxyAgent, auth: opts.headers?.Authorization }));
    `);
    assert.deepEqual(result, { active: true, before: 0, socks: true, auth: 'Bearer t' });
  });
});
