/**
 * The Backup's/Restore's own scope and bad-file refusal through the CLI commands, in-process with
 * recording cluster ports: a bad file never connects, run lists only the file's namespaces.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PodManifest } from '../model/pod.ts';
import { createSystemClock } from '../run/clock.ts';
import type { ExecOutcome, ExecRequest, PodScope } from '../run/ports.ts';
import { COMMANDS } from './commands.ts';
import { main } from './main.ts';
import { createRunCommand, prepareRunFile, type RunWiring } from './run.ts';
import { captureIo } from './test-io.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubehooks-scope-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

interface Recorder {
  connects: number;
  readonly lists: PodScope[];
  readonly execs: ExecRequest[];
}

function wiring(pods: readonly PodManifest[], rec: Recorder): RunWiring {
  const ok = (): ExecOutcome => ({ kind: 'exited', exitCode: 0, message: '', stdout: '', stderr: '', truncated: false, startedAt: new Date(), durationMs: 1 });
  return {
    createPorts: () => {
      rec.connects++;
      return {
        executor: { exec: (r) => (rec.execs.push(r), Promise.resolve(ok())) },
        watcher: {
          run: (_scope, handlers, signal) => {
            for (const pod of pods) handlers.onEvent({ type: 'upsert', pod });
            handlers.onLifecycle?.({ type: 'listed', namespace: undefined, count: pods.length });
            return new Promise((resolve) => {
              signal.addEventListener('abort', () => {
                resolve();
              }, { once: true });
            });
          },
        },
        lister: {
          list: (scope) => {
            rec.lists.push(scope);
            const ns = new Set(scope.namespaces);
            return Promise.resolve(pods.filter((p) => ns.size === 0 || ns.has(p.metadata.namespace ?? 'default')));
          },
        },
        events: { record: () => Promise.resolve({ ok: true }) },
        close: () => undefined,
      };
    },
    prepare: prepareRunFile,
    clock: createSystemClock(),
    onSignals: () => () => undefined,
  };
}

async function cli(argv: readonly string[], w?: RunWiring): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const commands = w === undefined ? COMMANDS : COMMANDS.map((c) => (c.name === 'run' ? createRunCommand(() => w) : c));
  const code = await main([...argv], { io: io.io, commands });
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

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
    const run = await cli(['run', 'pre-backup', '--backup', path], wiring([running('p', 'db')], rec));
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
