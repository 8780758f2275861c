import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../testing/fake-clock.ts';
import type { HookRun } from './hookrun-types.ts';
import { controllerArgs, controllerManifests } from './manifests.ts';
import { RESTORE_OPT_IN_ANNOTATION, hookRunForRestore, hookRunNameFor, watchRestores, type RestoreHookRunApi } from './restore-hookruns.ts';

const NOW = Date.UTC(2026, 11, 2, 5, 0, 0);
const restore = (name: string, o: { annotation?: string; ageMs?: number; phase?: string; uid?: string } = {}): Record<string, unknown> => ({
  apiVersion: 'velero.io/v1',
  kind: 'Restore',
  metadata: {
    name,
    namespace: 'velero',
    uid: o.uid ?? `u-${name}`,
    creationTimestamp: new Date(NOW - (o.ageMs ?? 5_000)).toISOString(),
    ...(o.annotation === undefined ? {} : { annotations: { [RESTORE_OPT_IN_ANNOTATION]: o.annotation } }),
  },
  spec: { backupName: 'b1' },
  ...(o.phase === undefined ? {} : { status: { phase: o.phase } }),
});

const decisions: [string, Record<string, unknown>, string][] = [
  ['opted in, new', restore('r1', { annotation: 'true' }), 'take'],
  ['opted in, InProgress', restore('r1', { annotation: 'true', phase: 'InProgress' }), 'take'],
  ['no annotation (the default: off)', restore('r1'), 'not-annotated'],
  ['another value', restore('r1', { annotation: 'yes' }), 'annotation-value'],
  ['older than the window', restore('r1', { annotation: 'true', ageMs: 11 * 60_000 }), 'too-old'],
  ['Failed', restore('r1', { annotation: 'true', phase: 'Failed' }), 'failed'],
  ['no metadata', { kind: 'Restore' }, 'malformed'],
];
for (const [name, raw, want] of decisions) {
  void test(`hookRunForRestore: ${name} → ${want}`, () => {
    const d = hookRunForRestore(raw, 'kubehooks', NOW);
    assert.equal(d.take ? 'take' : d.why, want);
    if (d.take) {
      assert.deepEqual(d.hookRun.spec, { phase: 'post-restore', restoreRef: { namespace: 'velero', name: 'r1' } });
      assert.equal(d.hookRun.metadata.namespace, 'kubehooks');
      assert.equal(d.hookRun.metadata.name, 'restore-velero-r1');
    }
  });
}

void test('hookRunNameFor: a valid name, unique per Restore, also for long names', () => {
  const a = hookRunNameFor('velero', `r-${'x'.repeat(80)}a`);
  const b = hookRunNameFor('velero', `r-${'x'.repeat(80)}b`);
  assert.ok(a.length <= 63 && b.length <= 63);
  assert.notEqual(a, b);
  assert.match(a, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
});

void test('watchRestores: one HookRun per opted-in Restore, created once (409 is fine), others left alone', async () => {
  const clock = new FakeClock(NOW);
  const created: string[] = [];
  const existing = new Set<string>(['restore-velero-r2']);
  let lists = 0;
  const api: RestoreHookRunApi = {
    listRestores: () => {
      lists++;
      return Promise.resolve([restore('r1', { annotation: 'true' }), restore('r2', { annotation: 'true' }), restore('r3'), restore('r4', { annotation: 'TRUE' }), restore('r5', { annotation: 'true', phase: 'FailedValidation' })]);
    },
    createHookRun: (hr: HookRun) => {
      if (existing.has(hr.metadata.name)) return Promise.resolve('exists');
      existing.add(hr.metadata.name);
      created.push(hr.metadata.name);
      return Promise.resolve('created');
    },
  };
  const logs: string[] = [];
  const ctl = new AbortController();
  const p = watchRestores({ api, namespaces: ['velero'], systemNamespace: 'kubehooks', clock, log: (m) => logs.push(m), intervalMs: 10_000 }, ctl.signal);
  await clock.advance(0);
  await clock.advance(10_000);
  await clock.advance(10_000);
  ctl.abort();
  await p;
  assert.equal(lists, 3);
  assert.deepEqual(created, ['restore-velero-r1']);
  assert.equal(logs.filter((l) => l.includes('"TRUE" is ignored')).length, 1, logs.join('\n'));
  assert.ok(logs.some((l) => l.includes('restore-velero-r2 exists already')));
});

void test('manifests: --watch-restores adds list on restores and create on hookruns in its own namespace, and the flag; nothing without it', () => {
  const on = controllerManifests({ image: 'x:1', watchRestores: true });
  const off = controllerManifests({ image: 'x:1' });
  const rulesOf = (objs: Record<string, unknown>[]): string[] =>
    objs.flatMap((o) => ((o['rules'] ?? []) as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).map((r) => `${String(o['kind'])}:${r.resources.join(',')}:${r.verbs.join(',')}`));
  assert.ok(rulesOf(on).includes('ClusterRole:restores:list'));
  assert.ok(rulesOf(on).includes('Role:hookruns:create'));
  assert.ok(!rulesOf(off).some((r) => r.endsWith('hookruns:create') || r.includes('restores:list')));
  assert.ok(controllerArgs({ watchRestores: true }, 'kubehooks').includes('--watch-restores'));
  assert.ok(!controllerArgs({}, 'kubehooks').includes('--watch-restores'));
});
