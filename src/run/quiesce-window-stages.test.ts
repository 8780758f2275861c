import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import type { ThawOrder } from '../plan/stages.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, type FakeExecScript, plannedHook, podWith } from '../testing/run-fakes.ts';
import { runQuiesceWindow, type CommandOutcome, type WindowCommand, type WindowReport } from './quiesce-window.ts';

/** Pod p{i} is in stage i (1..3); its freeze takes 1 s; COMMAND takes 1 s. */
const STAGE_OF: Record<string, number> = { p1: 1, p2: 2, p3: 3 };
const freeze = (pod: string, o: Partial<PlannedHook> = {}): PlannedHook =>
  plannedHook({ pod, container: 'db', phase: 'pre', name: 'freeze', command: ['freeze'], onError: 'Fail', stage: STAGE_OF[pod] ?? 0, ...o });
const thaw = (pod: string): PlannedHook => plannedHook({ pod, container: 'db', phase: 'post', name: 'thaw', command: ['thaw'], stage: STAGE_OF[pod] ?? 0 });

async function window(opts: { thawOrder?: ThawOrder; script?: FakeExecScript; pre?: PlannedHook[] } = {}): Promise<{ report: WindowReport; log: string[]; commandAt: number[] }> {
  const clock = new FakeClock();
  const log: string[] = [];
  const script: FakeExecScript = opts.script ?? (() => ({ delayMs: 1000 }));
  const exec = new FakeExecutor(clock, (req) => {
    log.push(`${(clock.now() - START) / 1000}s ${req.command[0] ?? ''} ${req.pod}`);
    return script(req);
  });
  const START = clock.now();
  const commandAt: number[] = [];
  const command: WindowCommand = {
    run: async (_input, signal): Promise<CommandOutcome> => {
      commandAt.push((clock.now() - START) / 1000);
      await clock.sleep(1000, signal);
      return { kind: 'exited', exitCode: 0 };
    },
  };
  const pods = Object.keys(STAGE_OF);
  const promise = runQuiesceWindow({
    runId: 'run-1',
    pre: { hooks: opts.pre ?? pods.map((p) => freeze(p)), skipped: [] },
    post: { hooks: pods.map(thaw), skipped: [] },
    pods: pods.map((p) => podWith(p, { db: 'running' })),
    executor: exec,
    clock,
    events: new FakeEvents(),
    command,
    signal: new AbortController().signal,
    thawSignal: new AbortController().signal,
    thawOrder: opts.thawOrder,
    eventGraceMs: 10,
  });
  let report: WindowReport | undefined;
  void promise.then((r) => (report = r));
  for (let i = 0; i < 100 && report === undefined; i++) await clock.advance(500);
  assert.ok(report);
  return { report, log, commandAt };
}

void describe('quiesce window with stages (ADR 0019)', () => {
  void it('stages 1-2-3: each pre stage after the previous one ended, COMMAND after the last, thaw 3-2-1', async () => {
    const { report, log, commandAt } = await window();
    assert.equal(report.status, 'ok');
    assert.deepEqual(log, ['0s freeze p1', '1s freeze p2', '2s freeze p3', '4s thaw p3', '5s thaw p2', '6s thaw p1']);
    assert.deepEqual(commandAt, [3]);
  });

  void it('--thaw-order same: thaw 1-2-3', async () => {
    const { log } = await window({ thawOrder: 'same' });
    assert.deepEqual(log.slice(3), ['4s thaw p1', '5s thaw p2', '6s thaw p3']);
  });

  void it('a Fail pre hook failing in stage 2 stops stage 3; only the frozen pods are thawed, in reverse', async () => {
    const { report, log, commandAt } = await window({ script: (req) => (req.pod === 'p2' && req.command[0] === 'freeze' ? { delayMs: 1000, exitCode: 1 } : { delayMs: 1000 }) });
    assert.equal(report.status, 'pre-failed');
    assert.deepEqual(commandAt, []);
    assert.deepEqual(log, ['0s freeze p1', '1s freeze p2', '2s thaw p2', '3s thaw p1']);
    const p3 = report.pre.results.find((r) => r.pod === 'p3');
    assert.equal(p3?.reasonCode, 'previous-stage-failed');
    assert.deepEqual(report.frozen.map((p) => p.name), ['p1', 'p2']);
    assert.equal(report.post.results.find((r) => r.pod === 'p3')?.reasonCode, 'not-frozen');
  });

  void it('a Continue pre hook failing does not stop the later stages', async () => {
    const pre = Object.keys(STAGE_OF).map((p) => freeze(p, { onError: 'Continue' }));
    const { log } = await window({ pre, script: (req) => (req.pod === 'p1' && req.command[0] === 'freeze' ? { delayMs: 1000, exitCode: 1 } : { delayMs: 1000 }) });
    assert.deepEqual(log.slice(0, 3), ['0s freeze p1', '1s freeze p2', '2s freeze p3']);
  });
});
