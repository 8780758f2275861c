import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'kubehooks-localfiles-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fifo = join(dir, 'fifo');
assert.equal(spawnSync('mkfifo', [fifo]).status, 0);

function kubeconfig(cluster: string, user: string): string {
  const file = join(dir, `kc-${Math.random()}`);
  writeFileSync(file, ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: c', '  cluster:', '    server: https://127.0.0.1:1', cluster, 'users:', '- name: u', '  user:', user, 'contexts:', '- name: x', '  context: {cluster: c, user: u}', 'current-context: x', ''].join('\n'));
  return file;
}

/**
 * Loads each kubeconfig in one child process, so that a read which blocks the event loop (readFileSync
 * on a FIFO) is a killed child here, not a hung test run. Returns each case's error message or
 * 'loaded'; cases after a blocked one are missing.
 */
function loadAll(cases: readonly { kubeconfigPath?: string; env?: Record<string, string> }[]): { outcomes: string[]; ms: number; hung: boolean } {
  const started = performance.now();
  const child = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `import { loadKubeConfig } from ${JSON.stringify(join(import.meta.dirname, 'kubeconfig.ts'))};
for (const options of ${JSON.stringify(cases)}) {
  let outcome = 'loaded';
  try { loadKubeConfig({ ...options, warn: () => undefined }); } catch (e) { outcome = e.code + ': ' + e.message; }
  process.stdout.write(JSON.stringify(outcome) + '\\n');
}`],
    { encoding: 'utf8', timeout: 90_000 },
  );
  const outcomes = child.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as string);
  return { outcomes, ms: Math.round(performance.now() - started), hung: child.error !== undefined };
}

void describe('[R-25] files a kubeconfig names are checked before they are read: a FIFO or a device is refused, not read forever (issue 10)', () => {
  writeFileSync(join(dir, 'ca.crt'), 'not checked here');
  const cases: [string, Parameters<typeof loadAll>[0][number], RegExp][] = [
    ['--kubeconfig FIFO', { kubeconfigPath: fifo }, /^kubeconfig-invalid: kubeconfig .*fifo: it is a FIFO, not a regular file/],
    ['--kubeconfig /dev/zero', { kubeconfigPath: '/dev/zero' }, /^kubeconfig-invalid: kubeconfig \/dev\/zero: it is a device/],
    ['KUBECONFIG naming a FIFO', { env: { KUBECONFIG: fifo, HOME: dir } }, /^kubeconfig-invalid: kubeconfig .*fifo \(from KUBECONFIG\): it is a FIFO/],
    ['certificate-authority FIFO', { kubeconfigPath: kubeconfig(`    certificate-authority: ${fifo}`, '    token: t') }, /^kubeconfig-invalid: cluster "c" .*its certificate-authority .*fifo: it is a FIFO/],
    ['client-certificate /dev/zero', { kubeconfigPath: kubeconfig('', '    client-certificate: /dev/zero\n    client-key: /dev/zero') }, /^kubeconfig-invalid: user "u" .*its client-certificate \/dev\/zero: it is a device/],
    ['tokenFile FIFO', { kubeconfigPath: kubeconfig('', `    tokenFile: ${fifo}`) }, /^kubeconfig-invalid: user "u" .*its tokenFile .*fifo: it is a FIFO/],
    ['a regular certificate-authority file (loaded as before)', { kubeconfigPath: kubeconfig(`    certificate-authority: ${join(dir, 'ca.crt')}`, '    token: t') }, /^loaded$/],
  ];
  void it('each case ends at once with a clear error naming the entry and the file', (t) => {
    const { outcomes, ms, hung } = loadAll(cases.map(([, options]) => options));
    t.diagnostic(`${cases.length} kubeconfigs in one child process: ${ms} ms${hung ? ' (killed: a read blocked)' : ''}`);
    cases.forEach(([name, , want], i) => {
      assert.match(outcomes[i] ?? '(blocked before an answer)', want, name);
    });
  });
});
