import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { parseBackupObject, type BackupHooks } from '../velero/spec.ts';
import { planBackup } from './plan-backup.ts';
import { estimateLongestFreeze, hooksByStage, stageSummaries } from './stages.ts';
import { planToJson } from '../report/plan-json.ts';
import { renderPlanText } from '../report/plan-text.ts';

function pod(name: string, annotations: Record<string, string> = {}, labels: Record<string, string> = {}): PodManifest {
  return { metadata: { name, namespace: 'db', annotations, labels }, spec: { containers: [{ name: 'main' }, { name: 'side' }] } };
}
const backup = (resources: unknown[], annotations?: Record<string, string>): BackupHooks => {
  const b = parseBackupObject({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b', annotations }, spec: { hooks: { resources } } }).backup;
  assert.ok(b);
  return b;
};
const hooks = (timeout: string, n = 1): unknown[] => Array.from({ length: n }, (_, i) => ({ exec: { command: [`/bin/h${i}`], timeout } }));
const stagesOf = (plan: Plan): string[] => plan.hooks.map((h) => `${h.pod}/${h.container}:${String(h.stage)}`);

void describe('planning stages (ADR 0019)', () => {
  void it('without any stage the plan is exactly as before: no stage field anywhere', () => {
    const plan = planBackup([pod('a', { 'pre.hook.backup.velero.io/command': '/bin/x' }), pod('b')], backup([{ name: 'e', pre: hooks('10s') }]), 'pre');
    assert.ok(plan.hooks.length > 0);
    assert.ok(plan.hooks.every((h) => !('stage' in h)));
    assert.equal(JSON.stringify(planToJson(plan)).includes('stage'), false);
    assert.equal(renderPlanText(plan).includes('STAGE'), false);
  });

  void it('the pod annotation wins over the entry stage; hooks that declare none are in stage 0', () => {
    const b = backup([
      { name: 'app', labelSelector: { matchLabels: { app: 'web' } }, stage: 1, pre: hooks('10s'), post: hooks('5s') },
      { name: 'db', labelSelector: { matchLabels: { app: 'db' } }, stage: 2, pre: hooks('20s') },
      { name: 'other', labelSelector: { matchLabels: { app: 'other' } }, pre: hooks('1s') },
    ]);
    const pods = [
      pod('web-0', {}, { app: 'web' }),
      pod('db-0', {}, { app: 'db' }),
      pod('db-1', { 'kubehooks.dev/stage': '3' }, { app: 'db' }),
      pod('cache', { 'pre.hook.backup.velero.io/command': '/bin/c', 'kubehooks.dev/stage': '1' }),
      pod('misc', {}, { app: 'other' }),
    ];
    assert.deepEqual(stagesOf(planBackup(pods, b, 'pre')), ['web-0/main:1', 'db-0/main:2', 'db-1/main:3', 'cache/main:1', 'misc/main:0']);
    assert.deepEqual(stagesOf(planBackup(pods, b, 'post')), ['web-0/main:1']);
  });

  void it('spec entries may stage one pod\'s containers differently', () => {
    const b = backup([
      { name: 'app', stage: 1, pre: [{ exec: { container: 'side', command: ['/bin/maint'] } }] },
      { name: 'db', stage: 2, pre: [{ exec: { container: 'main', command: ['/bin/flush'] } }] },
    ]);
    const plan = planBackup([pod('p')], b, 'pre');
    assert.deepEqual(stagesOf(plan), ['p/side:1', 'p/main:2']);
    assert.deepEqual(hooksByStage(plan.hooks).map((s) => s.stage), [1, 2]);
    assert.deepEqual(hooksByStage(plan.hooks, 'descending').map((s) => s.stage), [2, 1]);
  });

  void it('a pod with an invalid stage is skipped with stage-invalid and the reason names key and value', () => {
    const plan = planBackup([pod('a', { 'pre.hook.backup.velero.io/command': '/bin/x', 'kubehooks.dev/stage': 'two' }), pod('b', { 'pre.hook.backup.velero.io/command': '/bin/y' })], undefined, 'pre');
    assert.deepEqual(plan.hooks.map((h) => h.pod), ['b']);
    const skip = plan.skipped.at(0);
    assert.ok(skip);
    assert.equal(skip.code, 'stage-invalid');
    assert.match(skip.reason, /kubehooks\.dev\/stage "two" is not a whole number.*1 pre hook cannot be placed/);
  });

  void it('stage summaries: per stage the longest chain of one pod; the longest freeze sums the chain, pre and post', () => {
    const b = backup([
      { name: 'app', labelSelector: { matchLabels: { app: 'web' } }, stage: 1, pre: hooks('10s', 2), post: hooks('5s') },
      { name: 'db', labelSelector: { matchLabels: { app: 'db' } }, stage: 2, pre: hooks('30s'), post: hooks('7s') },
    ]);
    const pods = [pod('web-0', {}, { app: 'web' }), pod('web-1', {}, { app: 'web' }), pod('db-0', {}, { app: 'db' })];
    const pre = planBackup(pods, b, 'pre');
    const post = planBackup(pods, b, 'post');
    assert.deepEqual(stageSummaries(pre), [
      { stage: 1, pods: 2, hooks: 4, execTimeoutMs: 20_000 },
      { stage: 2, pods: 1, hooks: 1, execTimeoutMs: 30_000 },
    ]);
    // Reverse thaw: stage 1's pods stay frozen through pre 1+2, COMMAND, post 2+1: 20+30+7+5 s.
    assert.deepEqual(estimateLongestFreeze(pre, post), { longestFreezeMs: 62_000, stage: 1, thawOrder: 'reverse' });
    // Same order: stage 1 = 20+30+5 = 55 s; stage 2 = 30+5+7 = 42 s.
    assert.deepEqual(estimateLongestFreeze(pre, post, 'same'), { longestFreezeMs: 55_000, stage: 1, thawOrder: 'same' });
    assert.equal(estimateLongestFreeze({ hooks: [], skipped: [] }, post), undefined);

    const text = renderPlanText(pre, { stages: { stages: stageSummaries(pre), longestFreeze: estimateLongestFreeze(pre, post) } });
    assert.match(text, /^STAGE +NAMESPACE/m);
    assert.match(text, /^1 +db +web-0/m);
    assert.match(text, /stage 1: 4 hooks in 2 pods, up to 20s\n {2}stage 2: 1 hook in 1 pod, up to 30s/);
    assert.match(text, /Longest freeze \(run backup, --thaw-order reverse\): up to 1m2s plus COMMAND, for the pods of stage 1/);
    const json = planToJson(pre, { stages: stageSummaries(pre), longestFreeze: estimateLongestFreeze(pre, post) });
    assert.deepEqual(json.longestFreeze, { longestFreezeMs: 62_000, stage: 1, thawOrder: 'reverse' });
    assert.deepEqual(json.hooks.map((h) => h.stage), [1, 1, 1, 1, 2]);
  });
});
