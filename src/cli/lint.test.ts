import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { main } from './main.ts';
import { captureIo } from '../testing/cli-io.ts';
import { assertMatchesSchema, schemaErrors } from '../report/output-schemas.ts';

const sarifSchema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schemas', 'vendor', 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as object;
// The vendored schema's language pattern needs unicodeRegExp: false (see diagnostics-sarif.test.ts).
const validateSarif = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false }).compile(sarifSchema);

const good = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    pre.hook.backup.velero.io/command: \'["/bin/sync"]\'\nspec:\n  containers: [{name: app}]\n';
const warn = good.replace("'[\"/bin/sync\"]'", "'[\"/bin/sync\"]'\n    pre.hook.backup.velero.io/on-error: fail");
const bad = good.replace("'[\"/bin/sync\"]'", '/bin/sh -c sync');

async function dir(t: TestContext, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kubehooks-lint-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), text);
  }
  return root;
}

interface Case {
  readonly name: string;
  readonly args: (root: string) => string[];
  readonly files?: Record<string, string>;
  readonly stdin?: string;
  readonly exit: number;
  readonly stdout?: RegExp;
  readonly stderr?: RegExp;
}

const cases: Case[] = [
  { name: 'clean file', files: { 'a.yaml': good }, args: (r) => ['lint', join(r, 'a.yaml')], exit: 0, stdout: /^0 errors, 0 warnings\n$/ },
  { name: 'warnings only', files: { 'a.yaml': warn }, args: (r) => ['lint', r], exit: 0, stdout: /warning on-error-invalid/ },
  { name: 'errors', files: { 'a.yaml': bad }, args: (r) => ['lint', r], exit: 1, stdout: /a\.yaml:6:5: error command-shell-line: Pod p: /m },
  { name: 'stdin', stdin: bad, args: () => ['lint', '-'], exit: 1, stdout: /^<stdin>:6:5: error command-shell-line/m },
  { name: 'missing file', args: (r) => ['lint', join(r, 'nope.yaml')], exit: 2, stdout: /input-unreadable: cannot read .*nope\.yaml: no such file or directory/ },
  { name: 'binary file', files: { 'b.yaml': '\u0000\u0001' }, args: (r) => ['lint', join(r, 'b.yaml')], exit: 2, stdout: /input-encoding/ },
  { name: 'bad --output', files: { 'a.yaml': good }, args: (r) => ['lint', '--output', 'xml', r], exit: 2, stderr: /--output <format>' argument 'xml' is invalid\. Allowed choices are text, json, yaml/ },
  { name: 'no path', args: () => ['lint'], exit: 2, stderr: /lint needs at least one PATH/ },
  { name: 'unknown command', args: () => ['frobnicate'], exit: 2, stderr: /unknown command 'frobnicate'/ },
  { name: 'no arguments prints help', args: () => [], exit: 2, stderr: /Usage: kubehooks/ },
  { name: '--help', args: () => ['lint', '--help'], exit: 0, stdout: /Usage: kubehooks lint/ },
  { name: 'directory recursion skips dot dirs and node_modules', files: { 'x/a.yaml': bad, '.git/b.yaml': bad, 'node_modules/c.yml': bad, 'd.txt': bad }, args: (r) => ['lint', r], exit: 1, stdout: /^1 error, 0 warnings$/m },
  { name: 'broken YAML keeps the other documents', stdin: 'a: [\n---\n' + bad, args: () => ['lint', '-'], exit: 1, stdout: /yaml-syntax[\s\S]*command-shell-line/ },
];

for (const c of cases) {
  void test(`kubehooks ${c.name}`, async (t) => {
    const root = await dir(t, c.files ?? {});
    const cap = captureIo(c.stdin ?? '');
    const code = await main(c.args(root), { io: cap.io });
    assert.equal(code, c.exit, `stdout: ${cap.stdout()}\nstderr: ${cap.stderr()}`);
    if (c.stdout) assert.match(cap.stdout(), c.stdout);
    if (c.stderr) assert.match(cap.stderr(), c.stderr);
    assert.doesNotMatch(cap.stderr(), /\n\s+at /, 'no stack traces');
  });
}

void test('lint --output json has the contract shape', async (t) => {
  const root = await dir(t, { 'a.yaml': bad });
  const cap = captureIo();
  const code = await main(['lint', '-o', 'json', root], { io: cap.io });
  assert.equal(code, 1);
  const parsed = assertMatchesSchema('lint-output', cap.stdout()) as { diagnostics: Record<string, unknown>[] };
  const d = parsed.diagnostics.find((x) => x['code'] === 'command-shell-line');
  assert.ok(d);
  assert.equal(d['severity'], 'error');
  assert.equal(d['file'], join(root, 'a.yaml'));
  assert.equal(d['line'], 6);
  assert.equal(d['column'], 5);
  assert.deepEqual(d['object'], { kind: 'Pod', namespace: '', name: 'p' });
  assert.equal(d['key'], 'pre.hook.backup.velero.io/command');
});

const onePass = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'lint-one-pass', 'all-mistakes.yaml');

void test('lint reports every mistake of a fixture in one run, with a ready fix for a string command (issue 12)', async () => {
  const cap = captureIo();
  const code = await main(['lint', '-o', 'json', onePass], { io: cap.io });
  assert.equal(code, 1);
  const { diagnostics } = assertMatchesSchema('lint-output', cap.stdout()) as { diagnostics: { code: string; line: number; hint: string; message: string; object: { name: string } }[] };
  const got = diagnostics.map((d) => `${d.code}@${d.line}`);
  const want = [
    'container-not-found@16', // the spec pre hook's container, on redis-0
    'spec-schema-invalid@17', // command: redis-cli BGSAVE
    'on-error-invalid@18', // onError: fail
    'spec-schema-invalid@19', // timeout: 30
    'command-shell-line@22', // ["/bin/echo done"]
    'container-not-found@36', // the Restore's container, on redis-0
    'spec-schema-invalid@37', // command: /usr/local/bin/warm
    'duration-invalid@38', // execTimeout: "90"
    'spec-schema-invalid@39', // waitForReady: "true"
    'command-shell-line@48', // annotation command
    'on-error-invalid@49', // annotation on-error
    'annotation-key-unknown@50', // wait-timout
    'annotation-overrides-spec@64', // redis-1's pre annotation replaces the spec pre hook
    'annotation-overrides-spec@65', // and its restore annotation the spec restore hook
  ];
  for (const w of want) assert.ok(got.includes(w), `want ${w}, got ${got.join(', ')}`);
  const shell = diagnostics.find((d) => d.line === 17);
  assert.match(shell?.hint ?? '', /\["\/bin\/sh","-c","redis-cli BGSAVE"\]/);
  // redis-1's annotations replace both spec hooks there: no container-not-found for that pod.
  assert.ok(!diagnostics.some((d) => d.code === 'container-not-found' && d.message.includes('redis-1')), got.join(', '));
});

// ---------- lint control (issue 12 item 10) ----------

const podWith = (annotations: Record<string, string>, own = ''): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\n  annotations:\n${Object.entries(annotations).map(([k, v]) => `    ${k}: '${v}'`).join('\n')}\n${own}spec:\n  containers: [{name: app, image: x}]\n`;
// One error (command-shell-line) and one warning (on-error-invalid).
const mixed = podWith({ 'pre.hook.backup.velero.io/command': '/bin/fsfreeze --freeze /data', 'pre.hook.backup.velero.io/on-error': 'fail' });
const warningOnly = podWith({ 'pre.hook.backup.velero.io/command': '["/bin/sync"]', 'pre.hook.backup.velero.io/on-error': 'fail' });

interface JsonOut {
  diagnostics: { code: string; severity: string }[];
  counts: { errors: number; warnings: number; infos: number; suppressed: number };
  suppressed: { code: string; suppression: { kind: string; reason: string; source: string } }[];
  skipped: { path: string; code: string; reason: string }[];
}

async function lintIn(t: TestContext, files: Record<string, string>, args: (root: string) => string[], cwd?: (root: string) => string): Promise<{ code: number; out: string; err: string; root: string }> {
  const root = await dir(t, files);
  const cap = captureIo();
  const code = await main(args(root), { io: cap.io, deps: { cwd: cwd === undefined ? root : cwd(root) } });
  assert.doesNotMatch(cap.stderr(), /\n\s+at /, 'no stack traces');
  return { code, out: cap.stdout(), err: cap.stderr(), root };
}

function json(out: string): JsonOut {
  return assertMatchesSchema('lint-output', out) as JsonOut;
}

interface ControlCase {
  readonly name: string;
  readonly files: Record<string, string>;
  readonly args: (root: string) => string[];
  readonly cwd?: (root: string) => string;
  readonly exit: number;
  readonly stdout?: RegExp;
  readonly notStdout?: RegExp;
  readonly stderr?: RegExp;
}

const controlCases: readonly ControlCase[] = [
  { name: '--fail-on error (default): warnings alone exit 0', files: { 'a.yaml': warningOnly }, args: (r) => ['lint', r], exit: 0 },
  { name: '--fail-on warning: warnings exit 1', files: { 'a.yaml': warningOnly }, args: (r) => ['lint', '--fail-on', 'warning', r], exit: 1, stdout: /warning on-error-invalid/ },
  { name: '--fail-on info is not a choice', files: { 'a.yaml': warningOnly }, args: (r) => ['lint', '--fail-on', 'info', r], exit: 2, stderr: /--fail-on <severity>' argument 'info' is invalid\. Allowed choices are error, warning/ },
  { name: '--quiet lists errors only, the summary still counts everything', files: { 'a.yaml': mixed }, args: (r) => ['lint', '-q', r], exit: 1, stdout: /error command-shell-line[\s\S]*^1 error, 1 warning$/m, notStdout: /on-error-invalid/ },
  { name: '--quiet with --fail-on warning: a hidden warning still fails', files: { 'a.yaml': warningOnly }, args: (r) => ['lint', '--quiet', '--fail-on', 'warning', r], exit: 1, notStdout: /on-error-invalid/ },
  {
    name: '.kubehooks.yaml in a parent of the working directory disables a code',
    files: { '.kubehooks.yaml': 'lint:\n  disable: [command-shell-line]\n', 'sub/k8s/a.yaml': mixed },
    args: (r) => ['lint', join(r, 'sub', 'k8s')],
    cwd: (r) => join(r, 'sub'),
    exit: 0,
    stdout: /^0 errors, 1 warning, 1 suppressed$/m,
  },
  {
    name: '--no-config ignores it',
    files: { '.kubehooks.yaml': 'lint:\n  disable: [command-shell-line]\n', 'a.yaml': mixed },
    args: (r) => ['lint', '--no-config', join(r, 'a.yaml')],
    exit: 1,
  },
  {
    name: '--config names another file',
    files: { 'ci/lint.yaml': 'lint:\n  disable: [command-shell-line, on-error-invalid]\n', 'k8s/a.yaml': mixed },
    args: (r) => ['lint', '--config', join(r, 'ci', 'lint.yaml'), join(r, 'k8s')],
    exit: 0,
    stdout: /^0 errors, 0 warnings, 2 suppressed$/m,
  },
  {
    name: 'an invalid .kubehooks.yaml is a usage error naming file, key and the valid values',
    files: { '.kubehooks.yaml': 'lint:\n  disable: [comand-shell-line]\n', 'a.yaml': mixed },
    args: (r) => ['lint', join(r, 'a.yaml')],
    exit: 2,
    stderr: /\.kubehooks\.yaml: lint\.disable\[0\]: unknown code "comand-shell-line"; did you mean command-shell-line\?/,
  },
  {
    name: 'inline opt-out with a reason',
    files: { 'a.yaml': podWith({ 'pre.hook.backup.velero.io/command': '/bin/fsfreeze --freeze /data', 'ignore-check.kubehooks.dev/command-shell-line': 'the image really has such a binary' }) },
    args: (r) => ['lint', r],
    exit: 0,
    stdout: /^0 errors, 0 warnings, 1 suppressed$/m,
  },
  {
    name: 'inline opt-out without a reason is an error and suppresses nothing',
    files: { 'a.yaml': podWith({ 'pre.hook.backup.velero.io/command': '/bin/fsfreeze --freeze /data', 'ignore-check.kubehooks.dev/command-shell-line': '' }) },
    args: (r) => ['lint', r],
    exit: 1,
    stdout: /error command-shell-line[\s\S]*error ignore-check-reason-missing/,
  },
  {
    name: 'a folder with only .deploy/pod.yaml says where the manifest is',
    files: { '.deploy/pod.yaml': good, 'main.go': 'package main\n' },
    args: (r) => ['lint', r],
    exit: 0,
    stdout: /no-manifests: .*outside hidden directories.*skipped: .*\.deploy\/[\s\S]*hint: .*kubehooks lint .*\.deploy\/[\s\S]*^skipped .*\.deploy\/: hidden directory[\s\S]*^skipped 1 file not named \*\.yaml, \*\.yml or \*\.json \(.*main\.go\)$/m,
  },
  {
    name: 'a Helm chart gets the hint to pipe helm template into lint -',
    files: { 'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n', 'chart/templates/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    {{- include "web.labels" . | nindent 4 }}\n' },
    args: (r) => ['lint', join(r, 'chart')],
    exit: 0,
    stdout: /warning helm-template: .*pod\.yaml is a Helm template[\s\S]*hint: Render the chart and lint the result: helm template chart .*chart \| kubehooks lint -/,
    notStdout: /yaml-syntax/,
  },
];

for (const c of controlCases) {
  void test(`kubehooks lint: ${c.name}`, async (t) => {
    const r = await lintIn(t, c.files, c.args, c.cwd);
    assert.equal(r.code, c.exit, `stdout: ${r.out}\nstderr: ${r.err}`);
    if (c.stdout) assert.match(r.out, c.stdout);
    if (c.notStdout) assert.doesNotMatch(r.out, c.notStdout);
    if (c.stderr) assert.match(r.err, c.stderr);
  });
}

void test('lint --output json: counts, suppressed (with kind, reason, source) and skipped, valid against schemas/lint-output.schema.json', async (t) => {
  const inline = podWith({ 'pre.hook.backup.velero.io/command': '/bin/fsfreeze --freeze /data', 'pre.hook.backup.velero.io/on-error': 'fail', 'ignore-check.kubehooks.dev/command-shell-line': 'a binary with a space in its name' });
  const r = await lintIn(t, { '.kubehooks.yaml': 'lint:\n  disable:\n    - code: on-error-invalid\n      reason: Continue is fine\n', 'k8s/a.yaml': inline, 'k8s/.old/b.yaml': mixed, 'k8s/notes.txt': 'x' }, (root) => ['lint', '-o', 'json', join(root, 'k8s')]);
  assert.equal(r.code, 0, r.out + r.err);
  const out = json(r.out);
  assert.deepEqual(out.diagnostics, []);
  assert.deepEqual(out.counts, { errors: 0, warnings: 0, infos: 0, suppressed: 2 });
  assert.deepEqual(out.suppressed.map((s) => [s.code, s.suppression.kind, s.suppression.reason, s.suppression.source]), [
    ['command-shell-line', 'annotation', 'a binary with a space in its name', 'ignore-check.kubehooks.dev/command-shell-line'],
    ['on-error-invalid', 'config', 'Continue is fine', join(r.root, '.kubehooks.yaml')],
  ]);
  assert.deepEqual(out.skipped.map((s) => [s.code, s.path]), [['hidden-directory', `${join(r.root, 'k8s', '.old')}/`], ['not-a-manifest', join(r.root, 'k8s', 'notes.txt')]]);
});

void test('lint --output json --quiet: errors only in diagnostics, counts of everything', async (t) => {
  const r = await lintIn(t, { 'a.yaml': mixed }, (root) => ['lint', '-o', 'json', '--quiet', root]);
  assert.equal(r.code, 1);
  const out = json(r.out);
  assert.deepEqual(out.diagnostics.map((d) => d.code), ['command-shell-line']);
  assert.deepEqual(out.counts, { errors: 1, warnings: 1, infos: 0, suppressed: 0 });
});

void test('the lint schema check can fail: a document with a renamed field is rejected', async (t) => {
  const r = await lintIn(t, { 'a.yaml': mixed }, (root) => ['lint', '-o', 'json', root]);
  const doc = JSON.parse(r.out) as Record<string, unknown>;
  assert.deepEqual(schemaErrors('lint-output', doc), []);
  const { counts, ...withoutCounts } = doc;
  assert.ok(counts !== undefined);
  assert.notDeepEqual(schemaErrors('lint-output', withoutCounts), []);
  assert.notDeepEqual(schemaErrors('lint-output', { ...doc, diagnostics: [{ ...(doc['diagnostics'] as object[])[0], severity: 'fatal' }] }), []);
});

void test('SARIF and JUnit agree with the suppressions and --fail-on', async (t) => {
  const files = {
    '.kubehooks.yaml': 'lint:\n  disable: [on-error-invalid]\n',
    'a.yaml': podWith({ 'pre.hook.backup.velero.io/command': '/bin/fsfreeze --freeze /data', 'ignore-check.kubehooks.dev/command-shell-line': 'intended', 'post.hook.backup.velero.io/command': '["/bin/true"]', 'post.hook.backup.velero.io/on-error': 'fail', 'post.hook.backup.velero.io/timeout': '30' }),
  };
  const sarif = await lintIn(t, files, (root) => ['lint', '-o', 'sarif', root]);
  assert.equal(sarif.code, 1, sarif.out); // duration-invalid (error) is neither suppressed nor disabled
  const log = JSON.parse(sarif.out) as { runs: { results: { ruleId: string; suppressions?: { kind: string; status: string; justification: string }[] }[] }[] };
  const byRule = new Map(log.runs[0]!.results.map((x) => [x.ruleId, x.suppressions]));
  assert.deepEqual(byRule.get('command-shell-line'), [{ kind: 'inSource', status: 'accepted', justification: 'intended', properties: { source: 'ignore-check.kubehooks.dev/command-shell-line' } }]);
  assert.equal(byRule.get('on-error-invalid')?.[0]?.kind, 'external');
  assert.equal(byRule.get('duration-invalid'), undefined);
  assert.ok(validateSarif(log), 'valid SARIF 2.1.0');

  const junit = await lintIn(t, files, (root) => ['lint', '-o', 'junit', root]);
  assert.match(junit.out, /<failure message="1 error: duration-invalid"/);
  assert.match(junit.out, /suppressed \(ignore-check\.kubehooks\.dev\/command-shell-line: intended\): .*command-shell-line/);
  const warnings = { 'a.yaml': warningOnly };
  const strict = await lintIn(t, warnings, (root) => ['lint', '-o', 'junit', '--fail-on', 'warning', root]);
  assert.equal(strict.code, 1);
  assert.match(strict.out, /<failure message="1 problem: on-error-invalid"/);
  const lax = await lintIn(t, warnings, (root) => ['lint', '-o', 'junit', root]);
  assert.equal(lax.code, 0);
  assert.doesNotMatch(lax.out, /<failure/);
});
