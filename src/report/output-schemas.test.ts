/**
 * The published JSON Schemas (schemas/) against the renderers: every key list equals the schema's
 * properties in order, the code enums equal the code tables, and real documents validate (and
 * broken ones do not).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SKIP_CODES } from '../model/skip.ts';
import type { HookResult, RunReport } from '../model/result.ts';
import { REASON_CODES } from '../run/reason-codes.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import { readOutputSchema, schemaErrors } from './output-schemas.ts';
import { DIAGNOSTIC_FIELDS, LINT_COUNTS_FIELDS, LINT_JSON_FIELDS, OBJECT_REF_FIELDS, SKIPPED_PATH_FIELDS, SUPPRESSED_DIAGNOSTIC_FIELDS, SUPPRESSION_FIELDS } from './diagnostics-json.ts';
import { FREEZE_ESTIMATE_FIELDS, PLAN_JSON_FIELDS, PLANNED_HOOK_FIELDS, renderPlanJson, STAGE_SUMMARY_FIELDS } from './plan-json.ts';
import { CONCURRENCY_FIELDS, podsNeedingPostBackup, RUN_JSON_FIELDS, RUN_RESULT_FIELDS, RUN_SUMMARY_FIELDS, renderRunJson, SKIPPED_POD_FIELDS, type RunContext } from './run-json.ts';

type Schema = { properties?: Record<string, Schema>; items?: Schema; required?: string[]; enum?: unknown[]; $ref?: string; $defs?: Record<string, Schema> };
const plan = readOutputSchema('plan-output') as Schema;
const run = readOutputSchema('run-output') as Schema;
const lint = readOutputSchema('lint-output') as Schema;
const props = (s: Schema | undefined): string[] => Object.keys(s?.properties ?? {});

const result: HookResult = {
  namespace: 'db', pod: 'pg-0', container: 'db', source: 'annotation', name: '<from-annotation>', phase: 'pre', index: 0,
  status: 'succeeded', exitCode: 0, stdout: 'ok\n', stderr: '', truncated: false, startedAt: '2026-12-02T01:00:00.000Z', durationMs: 12, reason: null,
};
const failed: HookResult = { ...result, pod: 'pg-1', status: 'failed', exitCode: 1, reason: 'command terminated with exit code 1', reasonCode: 'non-zero-exit' };
const notRun: HookResult = { ...result, pod: 'pg-2', status: 'not-run', exitCode: null, startedAt: null, durationMs: null, reason: 'not run: …', reasonCode: 'previous-hook-failed' };
const context: RunContext = {
  kind: 'pre-backup', backup: 'nightly', restore: null, namespaces: ['db'], podsSeen: 4,
  startedAt: '2026-12-02T01:00:00.000Z', finishedAt: '2026-12-02T01:00:01.000Z', kubehooksVersion: '0.1.0', interrupted: false,
  skipped: [{ namespace: 'db', pod: 'web', reason: 'no hooks', code: 'no-hooks' }],
};
const report: RunReport = {
  summary: { attempted: 3, failed: 1, concurrency: { initial: 8, max: 64, min: 2, peak: 12, final: 12, peakInFlight: 3, adjustments: { up: 4, downLatency: 0, downErrors: 0 }, slowStartEnd: null, history: [{ atMs: 40, limit: 12, queued: 2, cause: 'slow-start' }] } },
  results: [result, failed, notRun],
};

void describe('JSON Schemas of the outputs', () => {
  void it('plan: the key lists are the schema\'s properties, in order; required = all but the version profile\'s and the stages\'', () => {
    assert.deepEqual(props(plan), [...PLAN_JSON_FIELDS]);
    assert.deepEqual(props(plan.properties?.['hooks']?.items), [...PLANNED_HOOK_FIELDS]);
    assert.deepEqual(plan.properties?.['hooks']?.items?.required, PLANNED_HOOK_FIELDS.filter((k) => k !== 'injectedBy' && k !== 'velero' && k !== 'stage'));
    assert.deepEqual(plan.required, PLAN_JSON_FIELDS.filter((k) => k !== 'veleroVersion' && k !== 'stages' && k !== 'longestFreeze'));
    assert.deepEqual(props(plan.properties['stages']?.items), [...STAGE_SUMMARY_FIELDS]);
    assert.deepEqual(props(plan.properties['longestFreeze']), [...FREEZE_ESTIMATE_FIELDS]);
    assert.deepEqual(props(plan.$defs?.['skippedPod']), [...SKIPPED_POD_FIELDS]);
  });

  void it('run: the key lists are the schema\'s properties, in order; only reasonCode and concurrency are optional', () => {
    assert.deepEqual(props(run), [...RUN_JSON_FIELDS]);
    assert.deepEqual(run.required, [...RUN_JSON_FIELDS]);
    assert.deepEqual(props(run.properties?.['summary']), [...RUN_SUMMARY_FIELDS]);
    assert.deepEqual(props(run.properties?.['summary']?.properties?.['concurrency']), [...CONCURRENCY_FIELDS]);
    assert.deepEqual(props(run.properties?.['results']?.items), [...RUN_RESULT_FIELDS]);
    assert.deepEqual(run.properties?.['results']?.items?.required, RUN_RESULT_FIELDS.filter((k) => k !== 'reasonCode'));
    assert.deepEqual(props(run.$defs?.['skippedPod']), [...SKIPPED_POD_FIELDS]);
  });

  void it('lint: the key lists are the schema\'s properties, in order, all required', () => {
    assert.deepEqual(props(lint), [...LINT_JSON_FIELDS]);
    assert.deepEqual(lint.required, [...LINT_JSON_FIELDS]);
    const diagnostic = lint.$defs?.['diagnosticFields'];
    assert.deepEqual(props(diagnostic), [...DIAGNOSTIC_FIELDS]);
    assert.deepEqual(lint.$defs?.['diagnostic']?.required, [...DIAGNOSTIC_FIELDS]);
    assert.deepEqual(props(diagnostic?.properties?.['object']), [...OBJECT_REF_FIELDS]);
    assert.deepEqual(props(lint.properties?.['counts']), [...LINT_COUNTS_FIELDS]);
    const suppressedItem: Schema | undefined = lint.properties?.['suppressed']?.items;
    assert.deepEqual(props(suppressedItem?.properties?.['suppression']), [...SUPPRESSION_FIELDS]);
    assert.deepEqual(suppressedItem?.required, [...SUPPRESSED_DIAGNOSTIC_FIELDS]);
    assert.deepEqual(props(lint.properties?.['skipped']?.items), [...SKIPPED_PATH_FIELDS]);
  });

  void it('the code enums are the code tables (a new code must be published)', () => {
    assert.deepEqual(run.$defs?.['skippedPod']?.properties?.['code']?.enum, Object.keys(SKIP_CODES));
    assert.deepEqual(plan.$defs?.['skippedPod']?.properties?.['code']?.enum, Object.keys(SKIP_CODES));
    assert.deepEqual(run.properties?.['results']?.items?.properties?.['reasonCode']?.enum, [...REASON_CODES]);
  });

  void it('a rendered run validates, key order as listed; --no-output too', () => {
    const doc = JSON.parse(renderRunJson(report, { context })) as Record<string, unknown>;
    assert.deepEqual(schemaErrors('run-output', doc), []);
    assert.deepEqual(Object.keys(doc), [...RUN_JSON_FIELDS]);
    assert.deepEqual(Object.keys((doc['results'] as object[])[1] ?? {}), [...RUN_RESULT_FIELDS]);
    assert.deepEqual(schemaErrors('run-output', JSON.parse(renderRunJson(report, { context, omitOutput: true }))), []);
    // pg-2 never started: it is not frozen.
    assert.deepEqual(doc['needsPostBackup'], [{ namespace: 'db', pod: 'pg-0' }, { namespace: 'db', pod: 'pg-1' }]);
  });

  void it('without a context the library\'s minimal form is unchanged: summary and results', () => {
    assert.deepEqual(Object.keys(JSON.parse(renderRunJson(report)) as object), ['summary', 'results']);
  });

  void it('the schema refuses what the contract does not allow: a missing field, an unknown one, a wrong code', () => {
    const doc = JSON.parse(renderRunJson(report, { context })) as Record<string, unknown>;
    const without = { ...doc };
    delete without['finishedAt'];
    assert.notDeepEqual(schemaErrors('run-output', without), []);
    assert.notDeepEqual(schemaErrors('run-output', { ...doc, extra: 1 }), []);
    assert.notDeepEqual(schemaErrors('run-output', { ...doc, skipped: [{ namespace: 'a', pod: 'b', reason: 'c', code: 'made-up' }] }), []);
    assert.notDeepEqual(schemaErrors('run-output', { ...doc, startedAt: 'yesterday' }), []);
    assert.notDeepEqual(schemaErrors('plan-output', { hooks: [{ namespace: 'a' }], skipped: [] }), []);
  });

  void it('a rendered plan validates', () => {
    const hook = plannedHook({ namespace: 'db', pod: 'pg', container: 'db', name: 'freeze', phase: 'pre', command: ['/bin/sync'], onError: 'Fail' });
    const init = { ...hook, type: 'init' as const, phase: 'restore' as const, command: [], initContainer: { name: 'restore-init', image: 'busybox' } };
    const text = renderPlanJson({ hooks: [hook, init], skipped: [{ namespace: 'db', pod: 'web', reason: 'r', code: 'no-entry-applies' }] });
    assert.deepEqual(schemaErrors('plan-output', JSON.parse(text)), []);
  });

  void it('needsPostBackup: only an incomplete pre-backup, only pods whose exec started', () => {
    assert.deepEqual(podsNeedingPostBackup('pre-backup', { summary: { attempted: 1, failed: 0 }, results: [result] }), []);
    assert.deepEqual(podsNeedingPostBackup('post-backup', report), []);
    assert.deepEqual(podsNeedingPostBackup('pre-backup', { summary: { attempted: 2, failed: 1 }, results: [{ ...notRun, pod: 'x' }, { ...result, pod: 'x' }, { ...failed, pod: 'y' }] }), [{ namespace: 'db', pod: 'x' }, { namespace: 'db', pod: 'y' }]);
  });
});

void describe('JSON Schema of run backup (the quiesce window)', () => {
  void it('the window key list is the schema\'s properties, in order, all required; pre and post are run-output documents', async () => {
    const { WINDOW_JSON_FIELDS } = await import('./run-window.ts');
    const win = readOutputSchema('run-backup-output') as Schema;
    assert.deepEqual(props(win), [...WINDOW_JSON_FIELDS]);
    assert.deepEqual(win.required, [...WINDOW_JSON_FIELDS]);
    const refs = Object.entries(win.properties ?? {}).filter(([, v]) => v.$ref !== undefined).map(([k, v]) => `${k}:${v.$ref ?? ''}`);
    assert.deepEqual(refs, ['pre:run-output.schema.json', 'post:run-output.schema.json']);
  });

  void it('summary, freezes and the frozen pods: key lists are the schema\'s, in order, all required; thaw is the closed set', async () => {
    const w = await import('./run-window.ts');
    const { THAW_OUTCOMES } = await import('../run/window-timeline.ts');
    const win = readOutputSchema('run-backup-output') as Schema;
    const summary: Schema | undefined = win.properties?.['summary'];
    assert.deepEqual(props(summary), [...w.WINDOW_SUMMARY_FIELDS]);
    assert.deepEqual(summary?.required, [...w.WINDOW_SUMMARY_FIELDS]);
    assert.deepEqual(props(summary.properties?.['longestFreeze']), [...w.LONGEST_FREEZE_FIELDS]);
    assert.deepEqual(props(summary.properties?.['command']), [...w.COMMAND_SUMMARY_FIELDS]);
    assert.deepEqual(summary.properties?.['command']?.required, [...w.COMMAND_SUMMARY_FIELDS]);
    const freeze: Schema | undefined = win.$defs?.['podFreeze'];
    assert.deepEqual(props(freeze), [...w.POD_FREEZE_FIELDS]);
    assert.deepEqual(freeze?.required, [...w.POD_FREEZE_FIELDS]);
    assert.deepEqual(freeze.properties?.['thaw']?.enum, [...THAW_OUTCOMES]);
    assert.deepEqual(props(win.$defs?.['frozenPod']), [...w.FROZEN_POD_FIELDS]);
    assert.deepEqual(props(win.properties?.['command']), [...w.COMMAND_FIELDS]);
  });

  void it('a rendered window validates, in the listed order; a freeze with an unknown thaw does not', async () => {
    const { windowToJson } = await import('./run-window.ts');
    const { windowTimeline } = await import('../run/window-timeline.ts');
    const post: RunReport = { summary: { attempted: 1, failed: 0 }, results: [{ ...result, phase: 'post', startedAt: '2026-12-02T01:00:00.500Z', durationMs: 20 }] };
    const pre: RunReport = { summary: { attempted: 1, failed: 0 }, results: [result] };
    const command = { ran: true, outcome: { kind: 'exited', exitCode: 0 }, stoppedBy: null, startedAt: 100, endedAt: 300 } as const;
    const frozen = [{ namespace: 'db', name: 'pg-0', uid: 'u', pvcs: ['data'] }];
    const doc = windowToJson(
      { runId: 'r', status: 'ok', pre, command, post, frozen, notThawed: [], timeline: windowTimeline({ frozen, pre, post, command }) },
      { exitCode: 0, backup: 'b', namespaces: ['db'], kubehooksVersion: '0', startedAt: context.startedAt, finishedAt: context.finishedAt, interrupted: false, journal: null, pre: context, post: { ...context, kind: 'post-backup' } },
      false,
    );
    assert.deepEqual(schemaErrors('run-backup-output', doc), []);
    assert.deepEqual(doc['freezes'], [{ namespace: 'db', name: 'pg-0', stage: null, frozenAt: '2026-12-02T01:00:00.000Z', thawedAt: '2026-12-02T01:00:00.520Z', frozenMs: 520, thaw: 'thawed' }]);
    assert.deepEqual(doc['summary'], { frozen: 1, thawed: 1, notThawed: 0, longestFreeze: { namespace: 'db', name: 'pg-0', frozenMs: 520 }, command: { ran: true, exitCode: 0, signal: null, durationMs: 200, timedOut: false } });
    const bad = { ...doc, freezes: [{ ...(doc['freezes'] as object[])[0], thaw: 'maybe' }] };
    assert.notDeepEqual(schemaErrors('run-backup-output', bad), []);
  });
});
