import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import { renderRunJson } from '../report/run-json.ts';
import { runBackupHooks } from './backup-runner.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, type FakeExecScript, plannedHook, podWith } from '../testing/run-fakes.ts';
import { hookResult } from './results.ts';
import { classifyExec, execLatency } from './run-options.ts';

const pods = Array.from({ length: 40 }, (_, i) => `p${i}`);
const hooks: PlannedHook[] = pods.map((p) => plannedHook({ pod: p, container: 'c', phase: 'pre', command: [p] }));

async function run(opts: { adaptive: boolean; concurrency?: number; script?: FakeExecScript }) {
  const clock = new FakeClock();
  const exec = new FakeExecutor(clock, opts.script ?? (() => ({ delayMs: 10 })));
  const report = runBackupHooks({
    plan: { hooks, skipped: [] },
    pods: pods.map((p) => podWith(p, { c: 'running' })),
    executor: exec,
    clock,
    events: new FakeEvents(),
    signal: new AbortController().signal,
    concurrency: opts.concurrency,
    adaptiveConcurrency: opts.adaptive,
    eventGraceMs: 10,
  });
  await clock.advance(5_000);
  return { report: await report, exec };
}

void describe('adaptive concurrency in the runners', () => {
  void it('[R-43] --concurrency is the hard maximum and summary.concurrency says what the limit did', async () => {
    const { report, exec } = await run({ adaptive: true, concurrency: 3 });
    assert.equal(report.summary.attempted, 40);
    assert.ok(exec.maxActive <= 3, `ran ${exec.maxActive} at once`);
    const c = report.summary.concurrency;
    assert.ok(c !== undefined);
    assert.equal(c.max, 3);
    assert.equal(c.initial, 3);
    assert.ok(c.peakInFlight <= 3);
    const json = JSON.parse(renderRunJson(report)) as { summary: Record<string, unknown> };
    assert.deepEqual(Object.keys(json.summary), ['attempted', 'failed', 'concurrency']);
  });

  void it('without a maximum it starts at 8 and may grow past it', async () => {
    const { report, exec } = await run({ adaptive: true });
    const c = report.summary.concurrency;
    assert.ok(c !== undefined);
    assert.deepEqual([c.initial, c.max], [8, 64]);
    assert.ok(exec.maxActive >= 8 && exec.maxActive <= c.peak);
  });

  void it('stack errors make it back off', async () => {
    const { report } = await run({ adaptive: true, concurrency: 16, script: () => ({ delayMs: 10, error: { code: 'unreachable', message: 'connection refused' } }) });
    const c = report.summary.concurrency;
    assert.ok(c !== undefined && c.adjustments.downErrors > 0 && c.final < 16, JSON.stringify(c));
  });

  void it('a fixed limit reports nothing: the JSON summary keeps its two fields', async () => {
    const { report, exec } = await run({ adaptive: false, concurrency: 5 });
    assert.equal(exec.maxActive, 5);
    assert.equal(report.summary.concurrency, undefined);
    assert.deepEqual(Object.keys((JSON.parse(renderRunJson(report)) as { summary: object }).summary), ['attempted', 'failed']);
  });

  void it('classifies outcomes: stack errors back off, the command\'s own failures and timeouts do not', () => {
    const hook = hooks[0];
    assert.ok(hook !== undefined);
    const cases: [string | undefined, string][] = [
      [undefined, 'ok'],
      ['non-zero-exit', 'ok'],
      ['forbidden', 'ok'],
      ['unreachable', 'error'],
      ['stream-closed', 'error'],
      ['remote-error', 'error'],
      ['exec-timeout', 'ignore'],
      ['aborted', 'ignore'],
      ['deadline', 'ignore'],
    ];
    for (const [code, want] of cases) {
      const result: HookResult = code === undefined ? hookResult(hook, 'succeeded', undefined, null) : hookResult(hook, 'failed', code as 'internal', 'x');
      assert.equal(classifyExec({ result, failed: code !== undefined }), want, String(code));
    }
    assert.equal(classifyExec(undefined), 'ignore');
  });

  void it('an exec is judged by its own durationMs; without one, by its time in the slot', () => {
    const hook = hooks[0];
    assert.ok(hook !== undefined);
    const ran = hookResult(hook, 'succeeded', undefined, null, { durationMs: 12 });
    const none = hookResult(hook, 'failed', 'unreachable', 'x');
    assert.deepEqual([execLatency({ result: ran, failed: false }), execLatency({ result: none, failed: true }), execLatency(undefined)], [12, undefined, undefined]);
  });
});
