import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import type { RunReport } from '../model/result.ts';
import { runBackupHooks } from './backup-runner.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, type FakeExecScript, plannedHook, podWith } from '../testing/run-fakes.ts';

/** Exec start and end times per `pod:command`, from the fake clock. */
function timedScript(clock: FakeClock, spans: Map<string, [number, number]>, behaviour: FakeExecScript): FakeExecScript {
  return (req) => {
    const key = `${req.pod}:${req.command[0] ?? ''}`;
    const start = clock.now();
    const b = behaviour(req);
    spans.set(key, [start, start + (b.delayMs ?? 0)]);
    return b;
  };
}

async function run(hooks: PlannedHook[], opts: { script?: FakeExecScript; concurrency?: number; stageOrder?: 'ascending' | 'descending' } = {}): Promise<{ report: RunReport; spans: Map<string, [number, number]>; exec: FakeExecutor }> {
  const clock = new FakeClock();
  const spans = new Map<string, [number, number]>();
  const exec = new FakeExecutor(clock, timedScript(clock, spans, opts.script ?? ((req) => ({ delayMs: Number(req.command[1] ?? '0') }))));
  const pods = [...new Set(hooks.map((h) => h.pod))].map((p) => podWith(p, { c: 'running' }));
  const promise = runBackupHooks({
    plan: { hooks, skipped: [] },
    pods,
    executor: exec,
    clock,
    events: new FakeEvents(),
    signal: new AbortController().signal,
    concurrency: opts.concurrency,
    eventGraceMs: 10,
    stageOrder: opts.stageOrder,
  });
  let report: RunReport | undefined;
  void promise.then((r) => (report = r));
  for (let i = 0; i < 200 && report === undefined; i++) await clock.advance(1000);
  assert.ok(report, 'the run ends');
  return { report, spans, exec };
}

const hook = (pod: string, stage: number | undefined, ms: number, o: Partial<PlannedHook> = {}): PlannedHook =>
  plannedHook({ pod, container: 'c', phase: 'pre', command: [`${pod}-s${String(stage)}`, String(ms)], ...(stage === undefined ? {} : { stage }), ...o });
const span = (spans: Map<string, [number, number]>, key: string): [number, number] => {
  const s = spans.get(key);
  assert.ok(s, `${key} ran`);
  return s;
};

void describe('backup hooks in stages (ADR 0019)', () => {
  void it('every pod of stage 1 finishes before stage 2 starts; pods of a stage run at once', async () => {
    const { spans, report } = await run([hook('a', 1, 5000), hook('b', 1, 1000), hook('c', 2, 1000), hook('d', 2, 3000), hook('e', 3, 1000)]);
    assert.deepEqual(report.summary, { attempted: 5, failed: 0 });
    const [a, b, c, d, e] = ['a:a-s1', 'b:b-s1', 'c:c-s2', 'd:d-s2', 'e:e-s3'].map((k) => span(spans, k));
    assert.ok(a && b && c && d && e);
    assert.equal(a[0], b[0], 'stage 1 pods start together');
    assert.equal(c[0], d[0], 'stage 2 pods start together');
    assert.ok(c[0] >= Math.max(a[1], b[1]), 'stage 2 starts after the slowest stage-1 pod ended');
    assert.ok(e[0] >= Math.max(c[1], d[1]), 'stage 3 starts after stage 2');
  });

  void it('post hooks run in reverse stage order by default; ascending on request (--thaw-order same)', async () => {
    const post = (pod: string, stage: number): PlannedHook => hook(pod, stage, 1000, { phase: 'post' });
    const reverse = await run([post('a', 1), post('b', 2), post('c', 3)]);
    assert.ok(span(reverse.spans, 'c:c-s3')[1] <= span(reverse.spans, 'b:b-s2')[0]);
    assert.ok(span(reverse.spans, 'b:b-s2')[1] <= span(reverse.spans, 'a:a-s1')[0]);
    const same = await run([post('a', 1), post('b', 2), post('c', 3)], { stageOrder: 'ascending' });
    assert.ok(span(same.spans, 'a:a-s1')[1] <= span(same.spans, 'b:b-s2')[0]);
    assert.ok(span(same.spans, 'b:b-s2')[1] <= span(same.spans, 'c:c-s3')[0]);
  });

  void it('a Fail pre hook that fails stops the later stages; its own stage finishes; Continue does not stop', async () => {
    const fails: FakeExecScript = (req) => (req.command[0] === 'b-s1' ? { delayMs: 10, exitCode: 1 } : { delayMs: 2000 });
    const { report, exec } = await run([hook('a', 1, 0), hook('b', 1, 0, { onError: 'Fail' }), hook('c', 2, 0), hook('d', 3, 0)], { script: fails });
    assert.deepEqual(exec.calls.map((c) => c.command[0]), ['a-s1', 'b-s1']);
    const byPod = new Map(report.results.map((r) => [r.pod, r]));
    assert.equal(byPod.get('a')?.status, 'succeeded');
    assert.equal(byPod.get('b')?.status, 'failed');
    for (const p of ['c', 'd']) {
      assert.equal(byPod.get(p)?.status, 'not-run');
      assert.equal(byPod.get(p)?.reasonCode, 'previous-stage-failed');
      assert.match(byPod.get(p)?.reason ?? '', /stage 1 failed \(hook my-hook#0 in default\/b container c, onError Fail\)/);
    }
    assert.deepEqual(report.summary, { attempted: 4, failed: 1 });

    const cont = await run([hook('a', 1, 0), hook('c', 2, 0)], { script: (req) => (req.command[0] === 'a-s1' ? { exitCode: 1 } : {}) });
    assert.deepEqual(cont.exec.calls.map((c) => c.command[0]), ['a-s1', 'c-s2']);
  });

  void it('a failing post stage does not stop the thaw of the other stages', async () => {
    const post = (pod: string, stage: number): PlannedHook => hook(pod, stage, 0, { phase: 'post', onError: 'Fail' });
    const { exec, report } = await run([post('a', 1), post('b', 2)], { script: (req) => (req.command[0] === 'b-s2' ? { exitCode: 1 } : {}) });
    assert.deepEqual(exec.calls.map((c) => c.command[0]), ['b-s2', 'a-s1']);
    assert.deepEqual(report.summary, { attempted: 2, failed: 1 });
  });

  void it('pods within a stage stay under the concurrency limit', async () => {
    const hooks = Array.from({ length: 6 }, (_, i) => hook(`p${i}`, i < 4 ? 1 : 2, 1000));
    const { exec } = await run(hooks, { concurrency: 2 });
    assert.equal(exec.maxActive, 2);
  });

  void it('without stages every pod runs at once, as before', async () => {
    const { spans } = await run([hook('a', undefined, 3000), hook('b', undefined, 1000)]);
    assert.equal(span(spans, 'a:a-sundefined')[0], span(spans, 'b:b-sundefined')[0]);
  });
});
