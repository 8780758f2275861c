/**
 * The Backup's/Restore's own scope and bad-file refusal through the CLI commands, in-process with
 * recording cluster ports: a bad file never connects, run lists only the file's namespaces.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodManifest } from '../model/pod.ts';
import type { ExecRequest } from '../run/ports.ts';
import type { RunWiring } from './run.ts';
import { fakeRunWiring, runCli, suiteFiles, type ClusterRecord } from '../testing/cli-run.ts';

const { file } = suiteFiles('kubehooks-scope-cli-');
type Recorder = ClusterRecord;
const cli = runCli;
/** `exitCode(request)` decides each exec's exit status (default 0). */
const wiring = (pods: readonly PodManifest[], rec: Recorder, exitCode?: (r: ExecRequest) => number): RunWiring =>
  fakeRunWiring(pods, rec, exitCode === undefined ? {} : { exitCode });

const running = (name: string, namespace: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): PodManifest => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace, uid: `${namespace}-${name}`, labels, annotations },
  spec: { containers: [{ name: 'main' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'main', ready: true, state: { running: {} } }] },
});

const scopedBackup = `apiVersion: velero.io/v1
kind: Backup
metadata: {name: b, namespace: velero}
spec:
  includedNamespaces: [db]
  labelSelector: {matchLabels: {backup: "yes"}}
  hooks:
    resources:
      - name: freeze
        pre:
          - exec: {command: [/bin/freeze]}
`;

const bad: readonly [string, string][] = [
  ['wrong apiVersion', 'apiVersion: velero.io/v2alpha1\nkind: Backup\nmetadata: {name: b}\nspec: {hooks: {resources: [{name: x, pre: [{exec: {command: [/x]}}]}]}}\n'],
  ['hooks is a string', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {hooks: "run everything"}\n'],
  ['resources is a mapping', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {hooks: {resources: {name: x}}}\n'],
  ['command: 42', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {hooks: {resources: [{name: x, pre: [{exec: {command: 42}}]}]}}\n'],
  ['invalid label selector operator', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {hooks: {resources: [{name: x, labelSelector: {matchExpressions: [{key: a, operator: nonexistent-operator}]}, pre: [{exec: {command: [/x]}}]}]}}\n'],
  ['labelSelector and orLabelSelectors', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {labelSelector: {matchLabels: {a: b}}, orLabelSelectors: [{matchLabels: {a: c}}], hooks: {resources: [{name: x, pre: [{exec: {command: [/x]}}]}]}}\n'],
  ['YAML syntax error', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b\n'],
];

void describe('a bad --backup/--restore file stops before anything runs', { timeout: 120_000 }, () => {
  void it('run exits 2 without connecting; plan exits 1', async () => {
    for (const [what, text] of bad) {
      const path = await file('bad.yaml', text);
      const rec: Recorder = { connects: 0, lists: [], execs: [] };
      const pod = running('p', 'db', { backup: 'yes' }, { 'pre.hook.backup.velero.io/command': '/bin/true' });
      const run = await cli(['run', 'pre-backup', '--backup', path], wiring([pod], rec));
      assert.equal(run.code, 2, `${what}: run exit\n${run.stderr}`);
      assert.equal(rec.connects, 0, `${what}: no connection`);
      assert.equal(rec.execs.length, 0, `${what}: no exec`);
      assert.doesNotMatch(run.stdout, /Hooks attempted/, what);
      const podFile = await file('pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: db}\nspec: {containers: [{name: main}]}\n');
      const plan = await cli(['plan', '--backup', path, podFile]);
      assert.ok(plan.code === 1 || plan.code === 2, `${what}: plan exit ${plan.code}\n${plan.stderr}`);
      assert.notEqual(plan.code, 0, what);
    }
  });

  void it('a Restore with apiVersion velero.io/v2alpha1: run post-restore exits 2, no exec', async () => {
    const path = await file('r.yaml', 'apiVersion: velero.io/v2alpha1\nkind: Restore\nmetadata: {name: r}\nspec: {backupName: b}\n');
    const rec: Recorder = { connects: 0, lists: [], execs: [] };
    const pod = running('p', 'db', {}, { 'post.hook.restore.velero.io/command': '/bin/true' });
    const run = await cli(['run', 'post-restore', '--restore', path], wiring([pod], rec));
    assert.equal(run.code, 2, run.stderr);
    assert.equal(rec.connects + rec.execs.length, 0);
    assert.match(run.stderr, /apiVersion is "velero.io\/v2alpha1"/);
    assert.match(run.stderr, /nothing was run and the cluster was not contacted/);
  });

  void it('warnings do not stop a run', async () => {
    const path = await file('warn.yaml', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {hooks: {resources: [{name: x, pre: [{exec: {command: [/x], timeout: -1s}}]}]}}\n');
    const rec: Recorder = { connects: 0, lists: [], execs: [] };
    const run = await cli(['run', 'pre-backup', '--backup', path, '-n', 'db'], wiring([running('p', 'db')], rec));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(rec.execs.length, 1);
  });
});

void describe('the Backup\'s and the Restore\'s own scope in run and plan', { timeout: 120_000 }, () => {
  const pods = [
    running('pg', 'db', { backup: 'yes' }),
    running('unlabelled', 'db'),
    running('other', 'shop', { backup: 'yes' }),
    running('cart', 'shop', { backup: 'yes' }, { 'pre.hook.backup.velero.io/command': '/bin/ann' }),
  ];

  void it('run pre-backup without -n lists only the Backup\'s namespaces and execs only in backed-up pods', async () => {
    const path = await file('b.yaml', scopedBackup);
    const rec: Recorder = { connects: 0, lists: [], execs: [] };
    const run = await cli(['run', 'pre-backup', '--backup', path, '-o', 'json'], wiring(pods, rec));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(rec.lists.map((s) => s.namespaces), [['db']]);
    assert.deepEqual(rec.execs.map((e) => `${e.namespace}/${e.pod}`), ['db/pg']);
  });

  void it('-n only narrows: a namespace outside the Backup is listed, its pods skipped with the code', async () => {
    const path = await file('b.yaml', scopedBackup);
    const rec: Recorder = { connects: 0, lists: [], execs: [] };
    const run = await cli(['run', 'pre-backup', '--backup', path, '-n', 'shop'], wiring(pods, rec));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(rec.lists.map((s) => s.namespaces), [['shop']]);
    assert.deepEqual(rec.execs, []);
  });

  void it('plan --output json: skipped[] carries reason and code naming the field', async () => {
    const path = await file('b.yaml', scopedBackup);
    const podsFile = await file('pods.yaml', pods.map((p) => JSON.stringify(p)).join('\n---\n'));
    const plan = await cli(['plan', '--backup', path, '--phase', 'pre', '-o', 'json', podsFile]);
    assert.equal(plan.code, 0, plan.stderr);
    const json = JSON.parse(plan.stdout) as { hooks: { pod: string }[]; skipped: { pod: string; reason: string; code: string }[] };
    assert.deepEqual(json.hooks.map((h) => h.pod), ['pg']);
    assert.deepEqual(json.skipped.map((s) => [s.pod, s.code]), [
      ['unlabelled', 'backup-label-selector'],
      ['other', 'backup-namespace-not-included'],
      ['cart', 'backup-namespace-not-included'],
    ]);
    assert.equal(json.skipped[1]?.reason, 'not in the backup: namespace "shop" is not in spec.includedNamespaces [db]');
    assert.deepEqual(Object.keys(json.skipped[0] ?? {}), ['namespace', 'pod', 'reason', 'code']);
  });

  void it('run post-restore without -n acts in the mapped target namespaces', async () => {
    const path = await file('r.yaml', `apiVersion: velero.io/v1
kind: Restore
metadata: {name: r, namespace: velero}
spec:
  backupName: b
  includedNamespaces: [db]
  namespaceMapping: {db: db-restored}
  hooks:
    resources:
      - name: warm
        includedNamespaces: [db-restored]
        postHooks:
          - exec: {command: [/bin/warm]}
`);
    const rec: Recorder = { connects: 0, lists: [], execs: [] };
    const restored = [running('pg', 'db-restored'), running('pg', 'db'), running('cart', 'shop', {}, { 'post.hook.restore.velero.io/command': '/x' })];
    const run = await cli(['run', 'post-restore', '--restore', path, '-o', 'json'], wiring(restored, rec));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(rec.lists.map((s) => s.namespaces), [['db-restored']]);
    assert.deepEqual(rec.execs.map((e) => `${e.namespace}/${e.pod}`), ['db-restored/pg']);
  });

  void it('a Backup whose included namespaces are all excluded lists nothing and runs nothing', async () => {
    const path = await file('b.yaml', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {includedNamespaces: [db-scratch], excludedNamespaces: ["*-scratch"]}\n');
    const rec: Recorder = { connects: 0, lists: [], execs: [] };
    const run = await cli(['run', 'pre-backup', '--backup', path], wiring(pods, rec));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(rec.lists, []);
    assert.deepEqual(rec.execs, []);
  });
});

void describe('--velero-version on plan, run and lint (issue 9 profiles)', { timeout: 120_000 }, () => {
  const failBlock = `apiVersion: velero.io/v1
kind: Backup
metadata: {name: b, namespace: velero}
spec:
  hooks:
    resources:
      - name: quiesce
        pre:
          - exec: {command: [/bin/freeze], onError: FailBlock}
          - exec: {command: [/bin/after]}
        post:
          - exec: {command: [/bin/thaw], onError: FailBlock}
`;
  const sidecarPod: PodManifest = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'pg', namespace: 'db', uid: 'db-pg', annotations: { 'pre.hook.backup.velero.io/command': '/bin/x', 'pre.hook.backup.velero.io/container': 'proxy', 'pre.hook.backup.velero.io/timeout': '-1s' } },
    spec: { containers: [{ name: 'main' }], initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'main', ready: true, state: { running: {} } }], initContainerStatuses: [{ name: 'proxy', ready: true, state: { running: {} } }] },
  };

  void it('FailBlock in spec.hooks: run exits 2 without connecting under 1.18 (the default); under 1.19 it runs and stops the pod\'s later hooks', async () => {
    const path = await file('fb.yaml', failBlock);
    for (const flags of [[], ['--velero-version', '1.18'], ['--velero-version', '1.18.3']]) {
      const rec: Recorder = { connects: 0, lists: [], execs: [] };
      const run = await cli(['run', 'pre-backup', '--backup', path, ...flags], wiring([running('p', 'db')], rec));
      assert.equal(run.code, 2, `${flags.join(' ')}\n${run.stderr}`);
      assert.equal(rec.connects + rec.execs.length, 0);
      assert.match(run.stderr, /onError "FailBlock" is not in the Velero 1\.18\.x CRD enum/);
    }
    const rec: Recorder = { connects: 0, lists: [], execs: [] };
    // The Backup names no namespace: without -n kubehooks acts in the context's namespace (issue 12), so -n db.
    const run = await cli(['run', 'pre-backup', '--backup', path, '--velero-version', '1.19', '-n', 'db', '-o', 'json'], wiring([running('p', 'db')], rec, (r) => (r.command[0] === '/bin/freeze' ? 3 : 0)));
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(rec.execs.map((e) => e.command[0]), ['/bin/freeze']);
    const report = JSON.parse(run.stdout) as { summary: { attempted: number; failed: number }; results: { status: string; reason: string }[] };
    assert.deepEqual(report.summary, { ...report.summary, attempted: 2, failed: 1 });
    assert.deepEqual(report.results.map((r) => r.status), ['failed', 'not-run']);
    assert.match(report.results[1]?.reason ?? '', /onError is FailBlock/);
  });

  void it('plan --velero-version: veleroVersion, hooks[].onError and hooks[].velero follow the profile; exit 1 for FailBlock under 1.18', async () => {
    const path = await file('fb.yaml', failBlock);
    const podFile = await file('pod.yaml', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'db' }, spec: { containers: [{ name: 'main' }] } }));
    const p19 = await cli(['plan', '--backup', path, '--velero-version', '1.19', '-o', 'json', podFile]);
    assert.equal(p19.code, 0, p19.stderr);
    const j19 = JSON.parse(p19.stdout) as { veleroVersion: string; hooks: { onError: string; velero: { version: string; onError: string; runs: boolean; notes: string[] } }[] };
    assert.equal(j19.veleroVersion, '1.19');
    assert.deepEqual(j19.hooks.map((h) => [h.onError, h.velero.onError, h.velero.version]), [['FailBlock', 'FailBlock', '1.19'], ['Continue', 'Continue', '1.19']]);
    const post19 = await cli(['plan', '--backup', path, '--phase', 'post', '--velero-version', '1.19', '-o', 'json', podFile]);
    assert.equal(post19.code, 0, post19.stderr);
    assert.deepEqual((JSON.parse(post19.stdout) as typeof j19).hooks.map((h) => h.onError), ['Fail']);
    assert.match(post19.stderr, /on-error-failblock-no-effect/);
    const p18 = await cli(['plan', '--backup', path, '-o', 'json', podFile]);
    assert.equal(p18.code, 1, p18.stderr);
    assert.equal((JSON.parse(p18.stdout) as typeof j19).veleroVersion, '1.18');
  });

  void it('plan shows Velero\'s effective exec timeout and sidecar target per profile; the runner stays bounded', async () => {
    const empty = await file('empty.yaml', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {}\n');
    const podFile = await file('sidecar.yaml', JSON.stringify(sidecarPod));
    type J = { hooks: { execTimeoutMs: number; velero: { execTimeoutMs: number | null; runs: boolean; notes: string[] } }[] };
    const p18 = JSON.parse((await cli(['plan', '--backup', empty, '-o', 'json', podFile])).stdout) as J;
    assert.deepEqual([p18.hooks[0]?.execTimeoutMs, p18.hooks[0]?.velero.execTimeoutMs, p18.hooks[0]?.velero.runs], [30_000, null, false]);
    assert.equal(p18.hooks[0]?.velero.notes.length, 2);
    const p19 = JSON.parse((await cli(['plan', '--backup', empty, '--velero-version', '1.19', '-o', 'json', podFile])).stdout) as J;
    assert.deepEqual([p19.hooks[0]?.execTimeoutMs, p19.hooks[0]?.velero.execTimeoutMs, p19.hooks[0]?.velero.runs], [30_000, 30_000, true]);
    const text = await cli(['plan', '--backup', empty, podFile]);
    assert.match(text.stdout, /Velero 1\.18 \(--velero-version 1\.18\) differs for 1 hook:/);
    assert.match(text.stdout, /db\/pg proxy <from-annotation>#0: on Velero 1\.18\.x this negative exec timeout means no timeout at all/);
    // run under the 1.18 profile still applies 30s to the exec and runs the sidecar hook (documented deviation Q8).
    for (const version of ['1.18', '1.19']) {
      const rec: Recorder = { connects: 0, lists: [], execs: [] };
      const run = await cli(['run', 'pre-backup', '--backup', empty, '--velero-version', version, '-n', 'db'], wiring([sidecarPod], rec));
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(rec.execs.map((e) => [e.container, e.timeoutMs]), [['proxy', 30_000]], version);
    }
  });

  void it('a --velero-version Velero does not have is a usage error (exit 2) on plan, run and lint', async () => {
    const empty = await file('empty.yaml', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {}\n');
    for (const argv of [['plan', '--backup', empty, empty], ['run', 'pre-backup', '--backup', empty], ['lint', empty]]) {
      const rec: Recorder = { connects: 0, lists: [], execs: [] };
      const r = await cli([...argv, '--velero-version', '1.17'], wiring([], rec));
      assert.equal(r.code, 2, `${argv[0]}: ${r.stderr}`);
      assert.match(r.stderr, /--velero-version must be 1\.18 or 1\.19 \(got "1\.17"/);
      assert.equal(rec.connects, 0);
    }
  });

  void it('lint --velero-version: FailBlock is an error under 1.18 (exit 1) and accepted under 1.19 (exit 0)', async () => {
    const path = await file('fb.yaml', failBlock);
    const l18 = await cli(['lint', path, '-o', 'json']);
    assert.equal(l18.code, 1);
    const codes = (out: string) => (JSON.parse(out) as { diagnostics: { code: string; severity: string }[] }).diagnostics.map((d) => `${d.code}:${d.severity}`);
    assert.deepEqual(codes(l18.stdout), ['on-error-invalid:error', 'on-error-invalid:error']);
    const l19 = await cli(['lint', path, '--velero-version', '1.19', '-o', 'json']);
    assert.equal(l19.code, 0, l19.stdout);
    assert.deepEqual(codes(l19.stdout), ['on-error-failblock:info', 'on-error-failblock-no-effect:warning']);
  });
});
