/**
 * The JSON key lists cannot fall behind the types they print. At compile time (npm run typecheck):
 * a key list that misses a field of its type is a type error, pinned below with @ts-expect-error (if
 * the check ever stopped catching it, the unused directive would fail the type check). At run time:
 * what the planners, the runner and lint really produce has no field the lists leave out.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../model/diagnostic.ts';
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import { lintSources } from '../lint/engine.ts';
import { planBackup } from '../plan/plan-backup.ts';
import { planRestore } from '../plan/plan-restore.ts';
import { runBackupHooks } from '../run/backup-runner.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, plannedHook, podWith } from '../testing/run-fakes.ts';
import { parseBackupObject, parseRestoreObject } from '../velero/spec.ts';
import { DIAGNOSTIC_FIELDS, OBJECT_REF_FIELDS } from './diagnostics-json.ts';
import { fieldOrder } from './json-fields.ts';
import { PLANNED_HOOK_FIELDS, VELERO_VIEW_FIELDS } from './plan-json.ts';
import { RUN_RESULT_FIELDS } from './run-json.ts';

const extraKeys = (value: object, listed: readonly string[]): string[] => Object.keys(value).filter((k) => !listed.includes(k));

void describe('JSON key lists cover their types', () => {
  void it('type check: a list that misses a field of its type does not compile', () => {
    // @ts-expect-error -- 'b' is a field of the type and missing from the list.
    fieldOrder<{ a: number; b: number }>()(['a']);
    // A field added to the result type (a `retries` count, say) and not to RUN_RESULT_FIELDS:
    // @ts-expect-error -- RUN_RESULT_FIELDS lacks 'retries'.
    fieldOrder<HookResult & { readonly retries: number }>()(RUN_RESULT_FIELDS);
    // @ts-expect-error -- DIAGNOSTIC_FIELDS lacks 'url'.
    fieldOrder<Diagnostic & { readonly url: string }>()(DIAGNOSTIC_FIELDS);
    // @ts-expect-error -- PLANNED_HOOK_FIELDS lacks 'priority'.
    fieldOrder<Omit<PlannedHook, 'initContainer'> & { readonly priority: string }>()(PLANNED_HOOK_FIELDS);
    // The complete lists do compile, and return the list as given.
    assert.deepEqual(fieldOrder<HookResult>()(RUN_RESULT_FIELDS), RUN_RESULT_FIELDS);
  });

  void it('plan: every field the planners put on a hook is listed (initContainer is text-only)', () => {
    const pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name: 'db-0', namespace: 'db',
        annotations: {
          'pre.hook.backup.velero.io/command': '["/bin/freeze"]', 'pre.hook.backup.velero.io/on-error': 'Fail',
          'post.hook.restore.velero.io/command': '["/bin/warm"]', 'post.hook.restore.velero.io/wait-for-ready': 'true',
          'init.hook.restore.velero.io/container-image': 'busybox', 'init.hook.restore.velero.io/command': '["/bin/restore"]',
        },
      },
      spec: { containers: [{ name: 'db', image: 'postgres' }] },
    };
    const backup = parseBackupObject({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b', namespace: 'velero' }, spec: { hooks: { resources: [{ name: 'all', pre: [{ exec: { command: ['/x'], timeout: '-1s' } }] }] } } }).backup;
    const restore = parseRestoreObject({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r', namespace: 'velero' }, spec: { hooks: { resources: [{ name: 'all', postHooks: [{ init: { initContainers: [{ name: 'seed', image: 'busybox', command: ['/seed'] }] } }] }] } } }).restore;
    const hooks = [
      ...planBackup([pod], backup, 'pre', { veleroVersion: '1.18' }).hooks,
      ...planRestore([pod], restore, { policy: { veleroVersion: '1.19' }, generateName: () => 'velero-restore-init-00000000' }).hooks,
    ];
    assert.deepEqual(hooks.map((h) => h.type), ['exec', 'init', 'exec']);
    for (const h of hooks) {
      assert.deepEqual(extraKeys(h, [...PLANNED_HOOK_FIELDS, 'initContainer']), [], `${h.type} hook ${h.name}`);
      assert.ok(h.velero !== undefined);
      assert.deepEqual(extraKeys(h.velero, VELERO_VIEW_FIELDS), []);
    }
  });

  void it('run: every field the runner puts on a result is listed (succeeded, failed and not-run)', async () => {
    const clock = new FakeClock();
    const executor = new FakeExecutor(clock, (req) => (req.command[0] === 'bad' ? { exitCode: 1 } : { exitCode: 0 }));
    const hook = (index: number, command: string, onError: 'Continue' | 'Fail' = 'Continue'): PlannedHook =>
      plannedHook({ pod: 'pod-1', container: 'c', phase: 'pre', name: 'h', index, command: [command], onError });
    const report = await runBackupHooks({
      plan: { hooks: [hook(0, 'ok'), hook(1, 'bad', 'Fail'), hook(2, 'never')], skipped: [] },
      pods: [podWith('pod-1', { c: 'running' })],
      executor, clock, events: new FakeEvents(), signal: new AbortController().signal, eventGraceMs: 10,
    });
    assert.deepEqual(report.results.map((r) => r.status), ['succeeded', 'failed', 'not-run']);
    for (const r of report.results) assert.deepEqual(extraKeys(r, RUN_RESULT_FIELDS), [], r.status);
  });

  void it('lint: every field of a diagnostic lint produces is listed', () => {
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'lint-one-pass', 'all-mistakes.yaml'), 'utf8');
    const { diagnostics } = lintSources([{ file: 'all-mistakes.yaml', text }]);
    assert.ok(diagnostics.length > 5);
    for (const d of diagnostics) {
      assert.deepEqual(extraKeys(d, DIAGNOSTIC_FIELDS), [], d.code);
      assert.deepEqual(extraKeys(d.object, OBJECT_REF_FIELDS), [], d.code);
    }
  });
});
