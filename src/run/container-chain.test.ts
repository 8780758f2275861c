import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeExecutor, plannedHook } from '../testing/run-fakes.ts';
import { type ChainPod, type ChainState, ContainerChain } from './container-chain.ts';
import { RunSession } from './run-session.ts';

/** A pod stand-in that stops on `Fail`, as RestorePod does. */
class Pod implements ChainPod {
  stopped = false;
  readonly uid = 'uid-p';
  readonly failed: string[] = [];
  chains: ContainerChain[] = [];
  hookFailed(hook: PlannedHook): void {
    this.failed.push(hook.name);
    if (hook.onError === 'Fail') {
      this.stopped = true;
      for (const c of this.chains) c.stop('previous-hook-failed', 'stopped');
    }
  }
}

function setup(hooks: PlannedHook[]) {
  const clock = new FakeClock();
  const exec = new FakeExecutor(clock, () => ({ delayMs: 10 }));
  const session = new RunSession(hooks, { executor: exec, clock, signal: new AbortController().signal, eventGraceMs: 1 });
  const pod = new Pod();
  const chain = new ContainerChain('c', hooks, session, pod, { startMs: clock.now(), now: () => clock.now() });
  pod.chains = [chain];
  const results = (): string[] => session.report().results.map((r) => `${r.name}:${r.status}${r.reasonCode === undefined ? '' : `/${r.reasonCode}`}`);
  return { clock, exec, session, pod, chain, results };
}

const h = (name: string, o: Partial<PlannedHook> = {}): PlannedHook => plannedHook({ pod: 'p', container: 'c', name, ...o });

void describe('container chain: a state machine (waiting -> running | done; running -> done)', () => {
  type Step = 'start' | 'tick' | 'expire' | 'watchLost' | 'stop' | 'missing';
  const cases: { name: string; steps: Step[]; advanceFirst?: number; states: ChainState[]; results: string[]; execs: number }[] = [
    { name: 'start runs every hook in order and ends done', steps: ['start'], states: ['running'], results: ['a:succeeded', 'b:succeeded'], execs: 2 },
    { name: 'start twice runs nothing twice', steps: ['start', 'start'], states: ['running', 'running'], results: ['a:succeeded', 'b:succeeded'], execs: 2 },
    { name: 'expire before the timeout changes nothing', steps: ['expire'], states: ['waiting'], results: ['a:not-run/internal', 'b:not-run/internal'], execs: 0 },
    {
      name: 'expire after the first timeout ends only the leading hook, the chain still waits',
      steps: ['expire'],
      advanceFirst: 5,
      states: ['waiting'],
      results: ['a:timed-out/wait-timeout', 'b:not-run/internal'],
      execs: 0,
    },
    { name: 'expire after both timeouts ends the chain', steps: ['expire'], advanceFirst: 50, states: ['done'], results: ['a:timed-out/wait-timeout', 'b:timed-out/wait-timeout'], execs: 0 },
    { name: 'watch lost while waiting: watch-failed, done', steps: ['watchLost'], states: ['done'], results: ['a:not-run/watch-failed', 'b:not-run/watch-failed'], execs: 0 },
    { name: 'watch lost while running: nothing changes, the chain finishes', steps: ['start', 'watchLost'], states: ['running', 'running'], results: ['a:succeeded', 'b:succeeded'], execs: 2 },
    { name: 'stop while waiting: not-run, done; a later start runs nothing', steps: ['stop', 'start'], states: ['done', 'done'], results: ['a:not-run/pod-deleted', 'b:not-run/pod-deleted'], execs: 0 },
    { name: 'stop while running: the running hook keeps its outcome, the rest not-run', steps: ['start', 'tick', 'stop'], states: ['running', 'running', 'running'], results: ['a:succeeded', 'b:not-run/pod-deleted'], execs: 1 },
    { name: 'stop while the first hook waits for its slot: nothing runs', steps: ['start', 'stop'], states: ['running', 'running'], results: ['a:not-run/pod-deleted', 'b:not-run/pod-deleted'], execs: 0 },
    { name: 'missing: every hook fails no-such-container, done', steps: ['missing', 'start'], states: ['done', 'done'], results: ['a:failed/no-such-container', 'b:failed/no-such-container'], execs: 0 },
  ];
  for (const c of cases) {
    void it(c.name, async () => {
      const s = setup([h('a', { waitTimeoutMs: 5 }), h('b', { index: 1, waitTimeoutMs: 50 })]);
      if (c.advanceFirst !== undefined) await s.clock.advance(c.advanceFirst);
      const states: ChainState[] = [];
      const runs: Promise<void>[] = [];
      for (const step of c.steps) {
        if (step === 'start') runs.push(s.chain.start());
        else if (step === 'tick') await s.clock.advance(1);
        else if (step === 'expire') s.chain.expire();
        else if (step === 'watchLost') s.chain.watchLost('gone');
        else if (step === 'stop') s.chain.stop('pod-deleted', 'deleted');
        else s.chain.missing('no such container');
        states.push(s.chain.state);
      }
      await s.clock.advance(100);
      await Promise.all(runs);
      assert.deepEqual(states, c.states);
      assert.equal(s.chain.state, c.steps.includes('start') || c.states.at(-1) === 'done' ? 'done' : c.states.at(-1));
      assert.deepEqual(s.results(), c.results);
      assert.equal(s.exec.calls.length, c.execs);
    });
  }

  void it('a Fail hook that fails stops the pod: the chain ends, later hooks not-run', async () => {
    const s = setup([h('a', { onError: 'Fail' }), h('b', { index: 1 })]);
    const exec = new FakeExecutor(s.clock, () => ({ exitCode: 1 }));
    const session = new RunSession(s.chain.hooks, { executor: exec, clock: s.clock, signal: new AbortController().signal, eventGraceMs: 1 });
    const pod = new Pod();
    const chain = new ContainerChain('c', s.chain.hooks, session, pod, { startMs: s.clock.now(), now: () => s.clock.now() });
    pod.chains = [chain];
    await chain.start();
    assert.equal(chain.state, 'done');
    assert.deepEqual(pod.failed, ['a']);
    assert.deepEqual(session.report().results.map((r) => `${r.name}:${r.status}/${r.reasonCode ?? ''}`), ['a:failed/non-zero-exit', 'b:not-run/previous-hook-failed']);
    assert.equal(exec.calls.length, 1);
  });

  void it('a hook whose wait timeout passed while an earlier one ran is timed-out when the chain reaches it', async () => {
    const s = setup([h('a'), h('b', { index: 1, waitTimeoutMs: 5 })]);
    const run = s.chain.start();
    await s.clock.advance(20);
    await run;
    assert.deepEqual(s.results(), ['a:succeeded', 'b:timed-out/wait-timeout']);
    assert.equal(s.exec.calls.length, 1);
  });
});
