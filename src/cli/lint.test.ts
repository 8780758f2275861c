import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main.ts';
import { captureIo } from './test-io.ts';

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
  { name: 'bad --output', files: { 'a.yaml': good }, args: (r) => ['lint', '--output', 'yaml', r], exit: 2, stderr: /--output <format>' argument 'yaml' is invalid\. Allowed choices are text, json/ },
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
  const parsed = JSON.parse(cap.stdout()) as { diagnostics: Record<string, unknown>[] };
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
  const { diagnostics } = JSON.parse(cap.stdout()) as { diagnostics: { code: string; line: number; hint: string; message: string; object: { name: string } }[] };
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
