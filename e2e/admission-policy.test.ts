/**
 * The generated ValidatingAdmissionPolicy on the real kube-apiserver (no webhook running): every
 * check fires on a bad object, good objects pass quietly, and with Deny the apply is refused.
 * Applies are server-side dry runs (admission runs in full, nothing is stored) except where noted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { e2eContext } from './harness/index.ts';
import { ensureVeleroCrds, eventually, kubectl, kubehooks, kubectlSkipReason, warningsOf } from './admission-support.ts';
import { GOOD_EXEC, GOOD_POD_ANNOTATIONS, GOOD_RESTORE_EXEC, backup, pod, restore, workload } from './admission-fixtures.ts';

const skip = kubectlSkipReason();

interface Case {
  readonly name: string;
  readonly manifest: (ns: string) => string;
  /** Each must match one warning; [] = no warning at all. */
  readonly expect: readonly RegExp[];
}

const CP = 'pre.hook.backup.velero.io/command';
const CASES: readonly Case[] = [
  { name: 'good pod', manifest: (ns) => pod(ns, 'good', GOOD_POD_ANNOTATIONS), expect: [] },
  { name: 'good deployment', manifest: (ns) => workload(ns, 'Deployment', 'good', GOOD_POD_ANNOTATIONS), expect: [] },
  { name: 'good cronjob', manifest: (ns) => workload(ns, 'CronJob', 'good', GOOD_POD_ANNOTATIONS), expect: [] },
  { name: 'good backup', manifest: (ns) => backup(ns, 'Backup', 'good', GOOD_EXEC), expect: [] },
  { name: 'good schedule', manifest: (ns) => backup(ns, 'Schedule', 'good', GOOD_EXEC), expect: [] },
  { name: 'good restore', manifest: (ns) => restore(ns, 'good', GOOD_RESTORE_EXEC), expect: [] },
  { name: 'pod without hooks', manifest: (ns) => pod(ns, 'plain', { 'example.com/x': 'y', 'velero.io/exclude-from-backup': 'false' }), expect: [] },
  {
    name: 'unknown key with the intended key',
    manifest: (ns) => pod(ns, 'typo', { [CP]: '["/bin/sync"]', 'post.hook.restore.velero.io/wait-timout': '10m' }),
    expect: [/unknown Velero hook annotation.*post\.hook\.restore\.velero\.io\/wait-timout \(did you mean post\.hook\.restore\.velero\.io\/wait-timeout\?\)/],
  },
  {
    name: 'restore exec "timeout" (not read by Velero)',
    manifest: (ns) => pod(ns, 'rtimeout', { 'post.hook.restore.velero.io/command': '["/x"]', 'post.hook.restore.velero.io/timeout': '5m' }),
    expect: [/post\.hook\.restore\.velero\.io\/timeout \(did you mean post\.hook\.restore\.velero\.io\/exec-timeout\?\)/],
  },
  {
    name: 'unknown key without a suggestion, and a near-miss prefix',
    manifest: (ns) => pod(ns, 'unknown', { 'pre.hook.backup.velero.io/frobnicate': 'x', 'pre.hooks.backup.velero.io/command': '["/x"]' }),
    expect: [/pre\.hook\.backup\.velero\.io\/frobnicate(,|$).*pre\.hooks\.backup\.velero\.io\/command|pre\.hooks\.backup\.velero\.io\/command.*pre\.hook\.backup\.velero\.io\/frobnicate/],
  },
  { name: 'on-error fail', manifest: (ns) => pod(ns, 'onerror', { [CP]: '["/x"]', 'pre.hook.backup.velero.io/on-error': 'fail' }), expect: [/on-error must be exactly Continue or Fail.*on-error=fail/] },
  { name: 'duration "300"', manifest: (ns) => pod(ns, 'dur', { [CP]: '["/x"]', 'pre.hook.backup.velero.io/timeout': '300' }), expect: [/not a Go duration.*timeout=300/] },
  { name: 'duration "1d"', manifest: (ns) => pod(ns, 'dur2', { 'post.hook.restore.velero.io/command': '["/x"]', 'post.hook.restore.velero.io/wait-timeout': '1d' }), expect: [/not a Go duration.*wait-timeout=1d/] },
  { name: 'negative wait timeout', manifest: (ns) => pod(ns, 'neg', { 'post.hook.restore.velero.io/command': '["/x"]', 'post.hook.restore.velero.io/wait-timeout': '-1s' }), expect: [/negative duration.*wait-timeout=-1s/] },
  { name: 'exec timeout over 4h', manifest: (ns) => pod(ns, 'long', { [CP]: '["/x"]', 'pre.hook.backup.velero.io/timeout': '12h' }), expect: [/over 4h.*timeout=12h/] },
  { name: 'zero and 4h are fine', manifest: (ns) => pod(ns, 'edge', { [CP]: '["/x"]', 'pre.hook.backup.velero.io/timeout': '4h', 'post.hook.restore.velero.io/command': '["/x"]', 'post.hook.restore.velero.io/wait-timeout': '-0s' }), expect: [] },
  { name: 'wait-for-ready yes', manifest: (ns) => pod(ns, 'wfr', { 'post.hook.restore.velero.io/command': '["/x"]', 'post.hook.restore.velero.io/wait-for-ready': 'yes' }), expect: [/Go boolean.*wait-for-ready=yes/] },
  { name: 'shell line', manifest: (ns) => pod(ns, 'shell', { [CP]: 'fsfreeze --freeze /data' }), expect: [/program contains whitespace.*pre\.hook\.backup\.velero\.io\/command/] },
  { name: 'shell line inside JSON', manifest: (ns) => pod(ns, 'shelljson', { [CP]: '["/bin/sh -c sync"]' }), expect: [/program contains whitespace/] },
  { name: 'broken JSON array', manifest: (ns) => pod(ns, 'json', { [CP]: '["/bin/sh", "-c", "sync"' }), expect: [/not a JSON array of strings/] },
  { name: 'JSON array of numbers', manifest: (ns) => pod(ns, 'json2', { [CP]: '[1, 2]' }), expect: [/not a JSON array of strings/] },
  { name: 'whitespace before [', manifest: (ns) => pod(ns, 'json3', { [CP]: ' ["/bin/sync"]' }), expect: [/not a JSON array of strings/] },
  { name: 'empty command array', manifest: (ns) => pod(ns, 'empty', { 'init.hook.restore.velero.io/command': '[]', 'init.hook.restore.velero.io/container-image': 'busybox' }), expect: [/command has no program/] },
  { name: 'deployment template', manifest: (ns) => workload(ns, 'Deployment', 'bad', { [CP]: 'sync now', 'pre.hook.backup.velero.io/on-error': 'fail' }), expect: [/program contains whitespace/, /on-error must be exactly/] },
  { name: 'cronjob template', manifest: (ns) => workload(ns, 'CronJob', 'bad', { [CP]: '["/x"]', 'pre.hook.backup.velero.io/timeout': '90' }), expect: [/not a Go duration/] },
  {
    name: 'backup spec.hooks',
    manifest: (ns) => backup(ns, 'Backup', 'bad', { command: ['fsfreeze --freeze'], onError: 'fail', timeout: '30' }),
    expect: [/spec\.hooks\.resources freeze: exec\.onError/, /spec\.hooks\.resources freeze: exec\.timeout/, /spec\.hooks\.resources freeze: exec\.command/],
  },
  { name: 'schedule spec.hooks', manifest: (ns) => backup(ns, 'Schedule', 'bad', { command: [], timeout: '2m' }), expect: [/spec\.hooks\.resources freeze: exec\.command/] },
  {
    name: 'restore spec.hooks',
    manifest: (ns) => restore(ns, 'bad', { command: ['/bin/warm'], execTimeout: '30', waitTimeout: '10m', onError: 'continue' }),
    expect: [/spec\.hooks\.resources warm-cache: exec\.onError/, /spec\.hooks\.resources warm-cache: exec\.timeout, execTimeout and waitTimeout/],
  },
];

/** The policy for this test: its own name, its binding limited to the test namespace. */
async function policyFor(ns: string, name: string, deny: boolean): Promise<string> {
  const out = await kubehooks(['policy', '--name', name, ...(deny ? ['--deny'] : [])]);
  assert.equal(out.code, 0, out.stderr);
  const [policy, binding] = parseAllDocuments(out.stdout).map((d) => d.toJS() as Record<string, unknown>);
  const spec = binding?.['spec'] as Record<string, unknown>;
  spec['matchResources'] = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } };
  return `${stringify(policy)}---\n${stringify(binding)}`;
}

void describe('generated ValidatingAdmissionPolicy on kube-apiserver (no webhook)', () => {
  void test('each check fires on a bad object and stays quiet on good ones; Deny refuses; Warn stores', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    const kc = ctx.kubeconfigPath;
    const ns = ctx.namespace;
    await ensureVeleroCrds(kc);
    const name = `kubehooks-e2e-${randomBytes(3).toString('hex')}`;
    t.after(async () => {
      await kubectl(kc, ['delete', 'validatingadmissionpolicybinding', name, '--ignore-not-found']);
      await kubectl(kc, ['delete', 'validatingadmissionpolicy', name, '--ignore-not-found']);
    });
    const applied = await kubectl(kc, ['apply', '-f', '-'], await policyFor(ns, name, false));
    assert.equal(applied.code, 0, applied.stderr);
    const probe = pod(ns, 'probe', { [CP]: 'a b' });
    await eventually('the policy to be in force', async () => {
      const r = await kubectl(kc, ['apply', '--dry-run=server', '-f', '-'], probe);
      return warningsOf(r.stderr).length > 0 ? true : undefined;
    });

    for (const c of CASES) {
      const r = await kubectl(kc, ['apply', '--dry-run=server', '-f', '-'], c.manifest(ns));
      assert.equal(r.code, 0, `${c.name}: ${r.stderr}`);
      const warnings = warningsOf(r.stderr);
      if (c.expect.length === 0) assert.deepEqual(warnings, [], c.name);
      else {
        assert.equal(warnings.length, c.expect.length, `${c.name}: ${warnings.join('\n')}`);
        for (const re of c.expect) assert.ok(warnings.some((w) => re.test(w)), `${c.name}: no warning matches ${re}\n${warnings.join('\n')}`);
      }
      for (const w of warnings) assert.match(w, new RegExp(`ValidatingAdmissionPolicy '${name}'`));
    }

    // Warn stores the object (a real apply, not a dry run).
    const stored = await kubectl(kc, ['apply', '-f', '-'], restore(ns, 'stored', { command: ['/bin/warm'], execTimeout: '30' }));
    assert.equal(stored.code, 0, stored.stderr);
    assert.ok(warningsOf(stored.stderr).length > 0);

    // Deny: the binding with validationActions [Deny, Audit] refuses the apply and says why.
    const denied = await kubectl(kc, ['apply', '-f', '-'], await policyFor(ns, name, true));
    assert.equal(denied.code, 0, denied.stderr);
    const refused = await eventually('the Deny binding to be in force', async () => {
      const r = await kubectl(kc, ['apply', '--dry-run=server', '-f', '-'], probe);
      return r.code !== 0 ? r : undefined;
    });
    assert.match(refused.stderr, /denied request: ValidatingAdmissionPolicy .* denied request: the program contains whitespace|ValidatingAdmissionPolicy '.*' with binding '.*' denied request: the program contains whitespace/);
    const good = await kubectl(kc, ['apply', '--dry-run=server', '-f', '-'], pod(ns, 'good', GOOD_POD_ANNOTATIONS));
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual(warningsOf(good.stderr), []);
  });
});
