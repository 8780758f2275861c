import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, FakeWatcher, plannedHook, podWith } from '../testing/run-fakes.ts';
import { main } from './main.ts';
import { createRunCommand, type RunWiring } from './run.ts';
import { captureIo } from '../testing/cli-io.ts';

let dir = '';
const pods = (stageOfDb: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: shop, labels: {app: db}, annotations: {kubehooks.dev/stage: "${stageOfDb}"}}
spec: {containers: [{name: db}]}
`;
const backupYaml = `
apiVersion: velero.io/v1
kind: Backup
metadata: {name: nightly, namespace: velero}
spec:
  includedNamespaces: [shop]
  hooks:
    resources:
      - name: maintenance
        labelSelector: {matchLabels: {app: web}}
        stage: 1
        pre: [{exec: {command: [/bin/maint-on], timeout: 10s}}]
        post: [{exec: {command: [/bin/maint-off], timeout: 5s}}]
      - name: flush
        labelSelector: {matchLabels: {app: db}}
        pre: [{exec: {command: [/bin/flush], timeout: 1m}}]
        post: [{exec: {command: [/bin/unfreeze], timeout: 20s}}]
`;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const cap = captureIo('');
  const code = await main(args, { io: cap.io });
  return { code, out: cap.stdout(), err: cap.stderr() };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubehooks-stages-'));
  await writeFile(join(dir, 'backup.yaml'), backupYaml);
  await writeFile(join(dir, 'pods.yaml'), pods('2'));
  await writeFile(join(dir, 'bad-pods.yaml'), pods('2nd'));
  await writeFile(join(dir, 'bad-backup.yaml'), backupYaml.replace('stage: 1', 'stage: -1'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

void describe('plan with stages (ADR 0019)', () => {
  void it('JSON: hooks[].stage, stages[] and the longest freeze over both phases', async () => {
    const r = await cli(['plan', '-o', 'json', '--backup', join(dir, 'backup.yaml'), join(dir, 'pods.yaml')]);
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as { hooks: { pod: string; stage?: number }[]; stages: unknown[]; longestFreeze: unknown };
    assert.deepEqual(json.hooks.map((h) => [h.pod, h.stage]), [['web-0', 1], ['db-0', 2]]);
    assert.deepEqual(json.stages, [
      { stage: 1, pods: 1, hooks: 1, execTimeoutMs: 10_000 },
      { stage: 2, pods: 1, hooks: 1, execTimeoutMs: 60_000 },
    ]);
    // Stage 1 (web-0) is frozen through pre 1 (10s) + pre 2 (1m) + COMMAND + post 2 (20s) + post 1 (5s).
    assert.deepEqual(json.longestFreeze, { longestFreezeMs: 95_000, stage: 1, thawOrder: 'reverse' });
    const same = JSON.parse((await cli(['plan', '-o', 'json', '--thaw-order', 'same', '--phase', 'post', '--backup', join(dir, 'backup.yaml'), join(dir, 'pods.yaml')])).out) as { longestFreeze: unknown };
    // same: stage 1 = 10s + 1m + 5s; stage 2 = 1m + 5s + 20s.
    assert.deepEqual(same.longestFreeze, { longestFreezeMs: 85_000, stage: 2, thawOrder: 'same' });
  });

  void it('text: a STAGE column, the stages and the estimate', async () => {
    const r = await cli(['plan', '--backup', join(dir, 'backup.yaml'), join(dir, 'pods.yaml')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^STAGE {2}NAMESPACE/m);
    assert.match(r.out, /stage 1: 1 hook in 1 pod, up to 10s\n {2}stage 2: 1 hook in 1 pod, up to 1m0s/);
    assert.match(r.out, /Longest freeze \(run backup, --thaw-order reverse\): up to 1m35s plus COMMAND/);
  });

  void it('a pod with a bad stage: shown as skipped, an error naming pod, key and value, exit 1', async () => {
    const r = await cli(['plan', '-o', 'json', '--backup', join(dir, 'backup.yaml'), join(dir, 'bad-pods.yaml')]);
    assert.equal(r.code, 1);
    const json = JSON.parse(r.out) as { skipped: { pod: string; code: string }[] };
    assert.deepEqual(json.skipped.map((s) => [s.pod, s.code]), [['db-0', 'stage-invalid']]);
    assert.match(r.err, /shop\/db-0: kubehooks\.dev\/stage "2nd" is not a whole number/);
    assert.match(r.err, /`run` refuses the plan/);
  });

  void it('a bad stage in the Backup file is a file error (exit 1), positioned, with a hint', async () => {
    const r = await cli(['plan', '--backup', join(dir, 'bad-backup.yaml'), join(dir, 'pods.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /bad-backup\.yaml:\d+:\d+.*spec\.hooks\.resources\[0\]\.stage -1 is negative/);
  });

  void it('lint reports the stage codes and knows the extension key', async () => {
    const r = await cli(['lint', '-o', 'json', join(dir, 'bad-pods.yaml'), join(dir, 'bad-backup.yaml')]);
    const json = JSON.parse(r.out) as { diagnostics: { code: string }[] };
    const codes = json.diagnostics.map((d) => d.code);
    assert.ok(codes.includes('stage-invalid'), codes.join(','));
    assert.ok(codes.includes('stage-negative'), codes.join(','));
    assert.ok(!codes.includes('annotation-key-unknown') && !codes.includes('extension-key-unknown'), codes.join(','));
    assert.notEqual(r.code, 0);
  });

  void it('without stages the plan output has no stage in it', async () => {
    const r = await cli(['plan', '-o', 'json', join(dir, 'pods.yaml')]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /stage/i);
  });
});

void describe('run refuses a plan with an invalid pod stage', () => {
  void it('exit 2, nothing runs, the pod is named', async () => {
    const clock = new FakeClock();
    const exec = new FakeExecutor(clock);
    const pod = podWith('db-0', { db: 'running' }, { namespace: 'app' });
    const plan = {
      hooks: [plannedHook({ namespace: 'app', pod: 'ok-0', container: 'db', phase: 'pre', stage: 1 })],
      skipped: [{ namespace: 'app', pod: 'db-0', code: 'stage-invalid' as const, reason: 'kubehooks.dev/stage "x" is not a whole number' }],
    };
    const wiring: RunWiring = {
      createPorts: () => ({ executor: exec, watcher: new FakeWatcher([pod]), lister: { list: () => Promise.resolve([pod]) }, events: new FakeEvents(), close: () => undefined }),
      prepare: () => Promise.resolve({ namespaces: undefined, plan: () => plan }),
      clock,
      onSignals: () => () => undefined,
    };
    const err: string[] = [];
    const code = await main(['run', 'pre-backup', '-n', 'app'], {
      commands: [createRunCommand(() => wiring)],
      io: { stdout: { write: () => undefined }, stderr: { write: (t) => err.push(t) }, stderrIsTTY: false, env: {} },
    });
    assert.equal(code, 2);
    assert.equal(exec.calls.length, 0);
    assert.match(err.join(''), /app\/db-0: kubehooks\.dev\/stage "x"/);
    assert.match(err.join(''), /nothing was run/);
  });
});
