import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from './main.ts';
import { captureIo } from '../testing/cli-io.ts';
import { assertMatchesSchema } from '../report/output-schemas.ts';

const repo = join(import.meta.dirname, '..', '..');
const fixtures = join(repo, 'test', 'fixtures', 'manifests');

interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  hint: string;
  file: string;
  line: number;
  column: number;
  object: { kind: string; namespace: string; name: string };
  key: string;
}

async function lintFixtures(): Promise<{ code: number; diagnostics: JsonDiagnostic[] }> {
  const cap = captureIo();
  const code = await main(['lint', '--output', 'json', fixtures], { io: cap.io });
  return { code, diagnostics: (assertMatchesSchema('lint-output', cap.stdout()) as { diagnostics: JsonDiagnostic[] }).diagnostics };
}

// One expected finding per mistake planted in the fixtures: file, code, line, and a word the message must contain.
const expected: [string, string, number, RegExp][] = [
  ['web-deployment.yaml', 'annotation-on-non-pod', 9, /Deployment's own metadata/],
  ['web-deployment.yaml', 'container-not-found', 20, /"webapp".*containers: web/],
  ['web-deployment.yaml', 'command-shell-line', 21, /warm-cache --all/],
  ['web-deployment.yaml', 'on-error-invalid', 22, /"fail"/],
  ['web-deployment.yaml', 'restore-timeout-ignored', 23, /timeout/],
  ['web-deployment.yaml', 'wait-for-ready-invalid', 24, /"yes"/],
  ['web-deployment.yaml', 'annotation-key-unknown', 25, /wait-timout/],
  ['postgres-statefulset.yaml', 'duration-invalid', 28, /"90"/],
  ['postgres-statefulset.yaml', 'annotation-overrides-spec', 22, /pre-backup/],
  // backup.yaml's post hook names container "postgress", but the StatefulSet's own post-backup
  // annotation replaces it on that pod: lint says so once and does not also call the container missing.
  ['postgres-statefulset.yaml', 'annotation-overrides-spec', 26, /post-backup.*spec\.hooks\.resources\[0\]\.post\[0\]/],
  ['backup.yaml', 'resources-exclude-pods', 29, /deployments/],
  ['restore.yaml', 'wait-timeout-shorter-than-exec', 33, /30s.*2m0s/],
  ['restore.yaml', 'init-timeout-unused', 28, /init\.timeout/],
  ['report-cronjob.yaml', 'command-shell-line', 14, /flush-report --sync/],
  ['cache-list.yaml', 'init-container-name-collision', 13, /"redis"/],
  ['cache-list.yaml', 'init-command-missing', 9, /command/],
  ['broken.yaml', 'yaml-syntax', 7, /YAML syntax error/],
  ['broken.yaml', 'annotation-not-string', 19, /exec-timeout/],
];

void test('kubehooks lint test/fixtures/manifests finds every planted mistake, with actionable messages', async () => {
  const { code, diagnostics } = await lintFixtures();
  assert.equal(code, 1);
  for (const [file, want, line, text] of expected) {
    const hit = diagnostics.find((d) => d.file.endsWith(file) && d.code === want && d.line === line);
    assert.ok(hit, `missing ${want} at ${file}:${line}; got:\n${diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`).join('\n')}`);
    assert.match(hit.message, text);
  }
  for (const d of diagnostics) {
    assert.ok(d.line > 0 && d.column > 0, `${d.code} in ${d.file} has a position`);
    assert.ok(d.hint.length > 10, `${d.code} has a hint`);
    if (d.object.kind !== '') assert.ok(d.message.includes(d.object.name), `${d.code} message names ${d.object.name}: ${d.message}`);
  }
  assert.ok(!diagnostics.some((d) => d.file.endsWith('backup.yaml') && d.code === 'container-not-found'), 'a replaced spec hook is not checked against the pod');
  // The valid document after the broken one is still linted, and clean objects stay clean.
  assert.ok(diagnostics.some((d) => d.object.name === 'after-broken'));
  assert.ok(!diagnostics.some((d) => d.object.name === 'redis-config'));
});

// The real binary, through the Node 22 in node_modules/.bin.
const node = join(repo, 'node_modules', '.bin', 'node');
const bin = join(repo, 'bin', 'kubehooks.js');

void test('spawned: kubehooks lint on the fixtures exits 1 and prints a summary', () => {
  const r = spawnSync(node, [bin, 'lint', 'test/fixtures/manifests'], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^test\/fixtures\/manifests\/web-deployment\.yaml:20:9: error container-not-found: Deployment shop\/web: /m);
  assert.match(r.stdout, /\d+ errors, \d+ warnings/);
  assert.equal(r.stderr, '');
});

void test('spawned: stdin JSON, --output json, exit 0 on a clean pod', () => {
  const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: { 'pre.hook.backup.velero.io/command': '["/bin/sync"]' } }, spec: { containers: [{ name: 'c' }] } });
  const r = spawnSync(node, [bin, 'lint', '-o', 'json', '-'], { cwd: repo, input: pod, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { diagnostics: [], counts: { errors: 0, warnings: 0, infos: 0, suppressed: 0 }, suppressed: [], skipped: [] });
  assertMatchesSchema('lint-output', r.stdout);
});

void test('spawned: usage error exits 2 without a stack trace', () => {
  const r = spawnSync(node, [bin, 'lint', '--output', 'xml', '-'], { cwd: repo, input: '', encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Allowed choices are text, json/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
