/**
 * The first hour of a new user (issue 12), at the binary tier: `bin/kubehooks.js` as a child process
 * with piped stdout/stderr, against the in-process fake API server. Exit codes, the stderr wording,
 * and every JSON output validated against its published schema (schemas/).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { assertMatchesSchema } from '../report/output-schemas.ts';
import { until } from '../testing/changes.ts';
import { FakeApiServer, pendingPod, runningPod, type FakePod } from '../testing/fake-api-server.ts';

const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'bin', 'kubehooks.js');
const GUARD = { timeout: 90_000 };

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function kubehooks(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Finished> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    child.once('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

function annotated(pod: FakePod, annotations: Record<string, string>): FakePod {
  return { ...pod, metadata: { ...pod.metadata, annotations } };
}

const freeze = (command = '["/bin/freeze"]', onError?: 'Fail'): Record<string, string> => ({
  'pre.hook.backup.velero.io/command': command,
  'pre.hook.backup.velero.io/container': 'db',
  ...(onError === undefined ? {} : { 'pre.hook.backup.velero.io/on-error': onError }),
});

interface Cluster {
  readonly server: FakeApiServer;
  /** A kubeconfig whose context's namespace is `db`. */
  readonly kubeconfig: string;
  readonly dir: string;
}

async function cluster(t: TestContext): Promise<Cluster> {
  const server = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kubehooks-first-hour-'));
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  // Exit 1 for /bin/fail, 0 for anything else.
  server.onExec((ctx) => ({ exitCode: ctx.command[0] === '/bin/fail' ? 1 : 0 }));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, server.kubeconfigYaml().replace('context: {cluster: fake, user: tester}', 'context: {cluster: fake, user: tester, namespace: db}'));
  return { server, kubeconfig, dir };
}

const execsIn = (server: FakeApiServer): string[] => server.execSessions.map((s) => `${s.namespace}/${s.pod}`).sort();

void describe('first hour: run without a Backup file, in the context namespace', () => {
  void it('run pre-backup with no --backup and no -n: annotation hooks in the kubeconfig context\'s namespace only; JSON per schema', GUARD, async (t) => {
    const { server, kubeconfig } = await cluster(t);
    server.putPod(annotated(runningPod('db', 'pg-0', ['db']), freeze()));
    server.putPod(annotated(runningPod('shop', 'cart-0', ['db']), freeze()));
    server.putPod(runningPod('db', 'plain-0', ['db']));
    const r = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig, '-o', 'json', '--no-events']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /pre-backup: namespace: "db" \(the kubeconfig context's; -n NAMESPACE for another, -A for all\)/);
    const doc = assertMatchesSchema('run-output', r.stdout) as Record<string, unknown>;
    assert.equal(doc['kind'], 'pre-backup');
    assert.equal(doc['phase'], 'pre');
    assert.equal(doc['backup'], null);
    assert.deepEqual(doc['namespaces'], ['db']);
    assert.equal(doc['interrupted'], false);
    assert.equal(doc['podsSeen'], 2);
    assert.ok(Date.parse(String(doc['finishedAt'])) >= Date.parse(String(doc['startedAt'])));
    assert.deepEqual(doc['skipped'], [{ namespace: 'db', pod: 'plain-0', reason: (doc['skipped'] as { reason: string }[])[0]?.reason, code: 'no-hooks' }]);
    assert.deepEqual(execsIn(server), ['db/pg-0']);
  });

  void it('-A acts in every namespace; -A with -n is a usage error', GUARD, async (t) => {
    const { server, kubeconfig } = await cluster(t);
    server.putPod(annotated(runningPod('db', 'pg-0', ['db']), freeze()));
    server.putPod(annotated(runningPod('shop', 'cart-0', ['db']), freeze()));
    const all = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig, '-A', '-o', 'json', '--no-events']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal((assertMatchesSchema('run-output', all.stdout) as { namespaces: unknown }).namespaces, null);
    assert.deepEqual(execsIn(server), ['db/pg-0', 'shop/cart-0']);
    const both = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig, '-A', '-n', 'db']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^error: -A\/--all-namespaces and -n\/--namespace cannot be used together\n/);
  });

  void it('plan from the cluster without a file: the phase alone (post), the context namespace, yaml equals json', GUARD, async (t) => {
    const { server, kubeconfig } = await cluster(t);
    server.putPod(annotated(runningPod('db', 'pg-0', ['db']), { 'post.hook.backup.velero.io/command': '["/bin/thaw"]' }));
    const json = await kubehooks(['plan', '--phase', 'post', '--kubeconfig', kubeconfig, '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const plan = assertMatchesSchema('plan-output', json.stdout) as { hooks: { pod: string; phase: string; command: string[] }[] };
    assert.deepEqual(plan.hooks.map((h) => [h.pod, h.phase, h.command]), [['pg-0', 'post', ['/bin/thaw']]]);
    const yaml = await kubehooks(['plan', '--phase', 'post', '--kubeconfig', kubeconfig, '-o', 'yaml']);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual(parseYaml(yaml.stdout), plan);
  });
});

void describe('first hour: zero hooks is never a silent success', () => {
  void it('a typo\'d namespace: stderr says no pods were found there; exit 0, or 1 with --fail-if-no-hooks', GUARD, async (t) => {
    const { server, kubeconfig } = await cluster(t);
    server.putPod(annotated(runningPod('db', 'pg-0', ['db']), freeze()));
    const r = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig, '-n', 'dbb']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^warning: no hook planned: no pods found in namespace "dbb"$/m);
    assert.match(r.stderr, /Check the namespace \(kubectl get namespaces\), pass -n NAMESPACE, or -A for all namespaces/);
    assert.match(r.stdout, /^No hooks to run\./);
    const strict = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig, '-n', 'dbb', '--fail-if-no-hooks', '-o', 'json']);
    assert.equal(strict.code, 1, strict.stderr);
    assert.match(strict.stderr, /^error: no hook planned: no pods found in namespace "dbb" \(--fail-if-no-hooks\)$/m);
    assertMatchesSchema('run-output', strict.stdout);
  });

  void it('pods seen but none with a hook: how many, and the top skip codes with an example each', GUARD, async (t) => {
    const { server, kubeconfig } = await cluster(t);
    for (const n of ['a', 'b', 'c']) server.putPod(runningPod('db', n, ['db']));
    server.putPod(annotated(runningPod('db', 'd', ['db']), { 'pre.hook.backup.velero.io/container': 'db' }));
    const r = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^warning: no hook planned: 4 pods seen in namespace "db", 4 skipped; top reasons:$/m);
    assert.match(r.stderr, /^ {2}3 no-hooks: e\.g\. db\/a: /m);
    assert.match(r.stderr, /^ {2}1 annotation-without-command: e\.g\. db\/d: /m);
    // The text report lists the skipped pods, as plan does.
    assert.match(r.stdout, /^Skipped \(4\):\n {2}db\/a: /m);
  });

  void it('post-restore --wait-for-pods: waits for the restored pod to appear (and be Running), then runs its hook', GUARD, async (t) => {
    const { server, kubeconfig } = await cluster(t);
    const restore = annotated(pendingPod('db', 'pg-0', ['db']), { 'post.hook.restore.velero.io/command': '["/bin/warm"]', 'post.hook.restore.velero.io/container': 'db' });
    const run = kubehooks(['run', 'post-restore', '--kubeconfig', kubeconfig, '--wait-for-pods', '30s', '--deadline', '60s', '-o', 'json', '--no-events']);
    // The pod appears only once the run is watching for it, Pending first (ADDED, then MODIFIED on the watch).
    await until([server.changes], 'the run to watch for restored pods', () => server.openWatchCount > 0, 30_000);
    server.putPod(restore);
    server.updatePod('db', 'pg-0', (p) => Object.assign(p, { status: runningPod('db', 'pg-0', ['db']).status }));
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /waiting up to 30s for pods with a hook to appear \(--wait-for-pods\)/);
    const doc = assertMatchesSchema('run-output', r.stdout) as { results: { pod: string; status: string }[]; restore: unknown; phase: string };
    assert.deepEqual(doc.results.map((x) => [x.pod, x.status]), [['pg-0', 'succeeded']]);
    assert.equal(doc.restore, null);
    assert.equal(doc.phase, 'restore');
  });

  void it('post-restore --wait-for-pods that times out says so, and the zero-hooks warning follows', GUARD, async (t) => {
    const { kubeconfig } = await cluster(t);
    const r = await kubehooks(['run', 'post-restore', '--kubeconfig', kubeconfig, '--wait-for-pods', '1s', '--fail-if-no-hooks']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no pod with a hook appeared within 1s/);
    assert.match(r.stderr, /^error: no hook planned: no pods found in namespace "db" \(--fail-if-no-hooks\)$/m);
  });
});

void describe('first hour: reports', () => {
  void it('piped stdout is never cut: the whole no-such-container reason, with the real container names', GUARD, async (t) => {
    const { server, kubeconfig } = await cluster(t);
    const many = ['mongodb-primary-with-a-long-name', 'metrics-exporter-sidecar', 'log-shipper'];
    server.putPod(annotated(runningPod('db', 'mongo-0', many), { 'pre.hook.backup.velero.io/command': '["/bin/freeze"]', 'pre.hook.backup.velero.io/container': 'mongo' }));
    const r = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig, '--no-events']);
    assert.equal(r.code, 1, r.stderr);
    const row = r.stdout.split('\n').find((l) => l.startsWith('failed'));
    assert.ok(row !== undefined, r.stdout);
    assert.ok(!row.includes('…'), row);
    for (const name of many) assert.ok(row.includes(name), `${name} in ${row}`);
    const wide = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig, '--no-events', '-o', 'wide']);
    assert.match(wide.stdout, /^STATUS\s+POD\s+CONTAINER\s+HOOK\s+SOURCE\s+PHASE\s+EXIT\s+STARTED\s+DURATION\s+CODE\s+REASON$/m);
    assert.match(wide.stdout, /failed\s+db\/mongo-0\s+mongo\s+<from-annotation>#0\s+annotation\s+pre\s+-\s+.*no-such-container\s+no such container: "mongo"/);
  });

  void it('a Fail hook stops a pre-backup after other pods froze: the report names them and says to run post-backup', GUARD, async (t) => {
    const { server, kubeconfig } = await cluster(t);
    server.putPod(annotated(runningPod('db', 'pg-0', ['db']), freeze()));
    server.putPod(annotated(runningPod('db', 'pg-1', ['db']), freeze('["/bin/fail"]', 'Fail')));
    const text = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig, '--no-events']);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /^Pre hooks ran in 2 pods before the run stopped: db\/pg-0, db\/pg-1$/m);
    assert.match(text.stdout, /Run `kubehooks run post-backup` \(same file and namespaces\) to thaw them\./);
    const json = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig, '--no-events', '-o', 'json', '-n', 'db']);
    assert.equal(json.code, 1, json.stderr);
    const doc = assertMatchesSchema('run-output', json.stdout) as { needsPostBackup: unknown };
    assert.deepEqual(doc.needsPostBackup, [{ namespace: 'db', pod: 'pg-0' }, { namespace: 'db', pod: 'pg-1' }]);
    assert.match(json.stderr, /^warning: Pre hooks ran in 2 pods before the run stopped/m);
    assert.match(json.stderr, /Run `kubehooks run post-backup -n db`/);
    // A complete pre-backup needs no such warning.
    server.deletePod('db', 'pg-1');
    const ok = await kubehooks(['run', 'pre-backup', '--kubeconfig', kubeconfig, '--no-events', '-o', 'json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual((assertMatchesSchema('run-output', ok.stdout) as { needsPostBackup: unknown }).needsPostBackup, []);
  });

  void it('one error style: cluster and usage errors are `error: …`, nothing says `kubehooks: `', GUARD, async (t) => {
    const { dir } = await cluster(t);
    const cases: (readonly string[])[] = [
      ['run', 'pre-backup', '--kubeconfig', join(dir, 'missing')],
      ['run', 'pre-backup', '--bogus'],
      ['plan', '--backup', join(dir, 'missing.yaml')],
      ['run', 'pre-backup', '--deadline', '5'],
    ];
    for (const args of cases) {
      const r = await kubehooks(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^error: /m, args.join(' '));
      assert.doesNotMatch(r.stderr, /kubehooks: /, args.join(' '));
    }
  });
});
