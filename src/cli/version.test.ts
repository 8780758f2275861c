import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from './main.ts';
import { programName } from './program-name.ts';
import { captureIo } from '../testing/cli-io.ts';
import { renderVersion } from './version.ts';

void test('--version from the checkout prints the package version, commit, Node and client-node versions', async () => {
  for (const args of [['--version'], ['-V']]) {
    const cap = captureIo();
    assert.equal(await main(args, { io: cap.io }), 0);
    const lines = cap.stdout().split('\n');
    assert.match(lines[0] ?? '', /^kubehooks \d+\.\d+\.\d+/);
    assert.match(lines[1] ?? '', /^commit: \S+/);
    assert.equal(lines[2], `node: ${process.version}`);
    assert.match(lines[3] ?? '', /^client-node: \d+\.\d+\.\d+/);
  }
});

void test('renderVersion lays out the four facts', () => {
  assert.equal(
    renderVersion({ version: '1.2.3', commit: 'abc', node: 'v22.0.0', clientNode: '2.0.1' }),
    'kubehooks 1.2.3\ncommit: abc\nnode: v22.0.0\nclient-node: 2.0.1\n',
  );
});

void test('programName: the kubectl plugin executable shows as `kubectl backup-hooks`', () => {
  const cases: readonly [string, string | undefined, string][] = [
    ['node', '/usr/lib/node_modules/kubehooks/dist/kubehooks.cjs', 'kubehooks'],
    ['node', '/usr/local/bin/kubectl-backup_hooks', 'kubectl backup-hooks'],
    ['/usr/local/bin/kubectl-backup_hooks', '/usr/local/bin/kubectl-backup_hooks', 'kubectl backup-hooks'],
    ['/opt/kubehooks-linux-x64', '/opt/kubehooks-linux-x64', 'kubehooks'],
    ['kubehooks', undefined, 'kubehooks'],
  ];
  for (const [argv0, script, want] of cases) assert.equal(programName(argv0, script), want, `${argv0} ${script}`);
});

void test('usage shows the name main() was given', async () => {
  const cap = captureIo();
  assert.equal(await main(['--help'], { io: cap.io, name: 'kubectl backup-hooks' }), 0);
  assert.match(cap.stdout(), /^Usage: kubectl backup-hooks /);
});
