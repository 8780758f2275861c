import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

void test('the README library example lints, plans and injects the fixtures', async () => {
  const root = resolve(import.meta.dirname, '..');
  const { stdout } = await run(process.execPath, ['examples/library.ts', 'test/fixtures/manifests'], { cwd: root });
  assert.match(stdout, /error container-not-found: Deployment shop\/web/);
  assert.match(stdout, /db\s+postgres\s+fsfreeze\s+exec\s+annotation\s+<from-annotation>\s+pre/);
  // The Restore's init hook (selected in the mapped namespace db-staging) lands in the pod template.
  assert.match(stdout, /initContainers:\n\s+- name: restore-permissions\n\s+image: busybox:1\.36/);
  assert.doesNotMatch(stdout, /Hooks attempted/, 'no cluster given: the run part does not start');
});
