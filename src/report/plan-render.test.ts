import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan, PlannedHook } from '../model/plan.ts';
import { formatArgv, renderPlanText } from './plan-text.ts';
import { renderPlanJson } from './plan-json.ts';
import { plannedHook } from '../testing/run-fakes.ts';

const hook: PlannedHook = plannedHook({
  namespace: 'db', pod: 'pg-0', container: 'postgres', source: 'annotation',
  name: '<from-annotation>', phase: 'pre', command: ['/bin/sh', '-c', 'psql -c "CHECKPOINT"'],
  onError: 'Fail', execTimeoutMs: 90_000,
});
const plan: Plan = { hooks: [hook, { ...hook, pod: 'pg-1', waitTimeoutMs: 60_000, waitForReady: true }], skipped: [{ namespace: 'web', pod: 'nginx', reason: 'no hook annotations and no spec hook matches', code: 'no-hooks' }] };

void test('text table is aligned and lists skipped pods with reasons', () => {
  const text = renderPlanText(plan);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^NAMESPACE\s+POD\s+CONTAINER\s+TYPE/);
  assert.equal(lines[1]!.indexOf('postgres'), lines[0]!.indexOf('CONTAINER'));
  assert.match(lines[1]!, /Fail\s+1m30s\s+none\s+\/bin\/sh -c 'psql -c "CHECKPOINT"'$/);
  assert.match(lines[2]!, /1m0s ready/);
  assert.match(text, /Skipped \(1\):\n {2}web\/nginx: no hook annotations/);
  assert.match(text, /2 hooks in 2 pods, 1 skipped\n$/);
  assert.match(renderPlanText({ hooks: [], skipped: [] }), /^No hooks planned\./);
});

void test('json follows the contract', () => {
  const withInit: Plan = { ...plan, hooks: [...plan.hooks, { ...hook, type: 'init', initContainer: { name: 'i', image: 'busybox' } }] };
  const parsed = JSON.parse(renderPlanJson(withInit)) as { hooks: Record<string, unknown>[]; skipped: unknown[] };
  assert.deepEqual(Object.keys(parsed.hooks[0]!), ['namespace', 'pod', 'container', 'type', 'source', 'name', 'phase', 'index', 'command', 'onError', 'execTimeoutMs', 'waitTimeoutMs', 'waitForReady']);
  assert.ok(!('initContainer' in parsed.hooks[2]!), 'initContainer is not part of the contract');
  assert.deepEqual(parsed.skipped, plan.skipped);
});

void test('formatArgv quotes only what needs it', () => {
  const cases: [string[], string][] = [
    [['/bin/true'], '/bin/true'],
    [['a b', "it's"], `'a b' 'it'\\''s'`],
    [[], '(entrypoint)'],
  ];
  for (const [argv, want] of cases) assert.equal(formatArgv(argv), want);
});
