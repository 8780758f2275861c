import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadedHookObject, LoadedPod } from '../load/loaded-object.ts';
import { UNKNOWN_POSITION } from '../load/positions.ts';
import type { PodManifest } from '../model/pod.ts';
import { planBackup } from '../plan/plan-backup.ts';
import { planRestore } from '../plan/plan-restore.ts';
import { parseBackupObject, parseRestoreObject } from '../velero/spec.ts';
import { parseHookObject } from './spec-hooks.ts';

const base = { origin: { file: 'f', document: 0, path: [] }, locate: () => UNKNOWN_POSITION };

function loadedPod(pod: PodManifest): LoadedPod {
  return { ...base, type: 'pod', ref: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name }, raw: pod, pod, workload: undefined };
}

function loadedHooks(raw: Record<string, unknown>): LoadedHookObject {
  const kind = raw['kind'] as 'Backup' | 'Restore';
  return { ...base, type: kind === 'Restore' ? 'restore' : 'backup', kind, ref: { kind, namespace: 'velero', name: 'b' }, raw };
}

const pods: PodManifest[] = [
  { metadata: { name: 'a', namespace: 'app', labels: { tier: 'db' } }, spec: { containers: [{ name: 'c' }] } },
  { metadata: { name: 'b', namespace: 'app', labels: { tier: 'web' } }, spec: { containers: [{ name: 'c' }] } },
  { metadata: { name: 'c', namespace: 'other', labels: { tier: 'db' } }, spec: { containers: [{ name: 'c' }] } },
  { metadata: { name: 'd', labels: { tier: 'db' } }, spec: { containers: [{ name: 'c' }] } },
  // namespace '' is the default namespace for lint as for plan
  { metadata: { name: 'e', namespace: '', labels: { tier: 'db' } }, spec: { containers: [{ name: 'c' }] } },
];

const exec = (cmd: string) => ({ exec: { command: [cmd] } });
const entries = [
  { name: 'db', includedNamespaces: ['app', 'default'], labelSelector: { matchLabels: { tier: 'db' } }, pre: [exec('1')], postHooks: [exec('1')] },
  { name: 'all-but-other', excludedNamespaces: ['other'], pre: [exec('2')], postHooks: [exec('2')] },
  { name: 'deploys', includedResources: ['deployments'], pre: [exec('3')], postHooks: [exec('3')] },
  { name: 'web', labelSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, pre: [exec('4')], postHooks: [exec('4')] },
];

/** `pod:command` for every spec hook, sorted: what lint and plan must agree on. */
const sorted = (items: string[]): string[] => [...items].sort();

void describe('lint and plan agree on which spec entries apply to a pod (one rule: velero/rules.ts entryApplies)', () => {
  void it('Backup (resource filters count)', () => {
    const raw = { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: { hooks: { resources: entries.map(({ postHooks: _, ...e }) => e) } } };
    const parsed = parseHookObject(loadedHooks(raw));
    const fromLint = sorted(pods.flatMap((p) => parsed.execFor(loadedPod(p)).map((m) => `${p.metadata.name}:${m.hook.command.join(' ')}`)));
    const plan = planBackup(pods, parseBackupObject(raw).backup, 'pre');
    assert.deepEqual(fromLint, sorted(plan.hooks.map((h) => `${h.pod}:${h.command.join(' ')}`)));
    assert.deepEqual(fromLint, ['a:1', 'a:2', 'b:2', 'b:4', 'd:1', 'd:2', 'e:1', 'e:2']);
  });

  void it('Restore (resource filters ignored)', () => {
    const raw = { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' }, spec: { hooks: { resources: entries.map(({ pre: _, ...e }) => e) } } };
    const parsed = parseHookObject(loadedHooks(raw));
    const fromLint = sorted(pods.flatMap((p) => parsed.execFor(loadedPod(p)).map((m) => `${p.metadata.name}:${m.hook.command.join(' ')}`)));
    const plan = planRestore(pods, parseRestoreObject(raw).restore, { generateName: () => 'x', backedUp: true });
    assert.deepEqual(fromLint, sorted(plan.hooks.map((h) => `${h.pod}:${h.command.join(' ')}`)));
    assert.deepEqual(fromLint, ['a:1', 'a:2', 'a:3', 'b:2', 'b:3', 'b:4', 'c:3', 'd:1', 'd:2', 'd:3', 'e:1', 'e:2', 'e:3']);
  });
});
