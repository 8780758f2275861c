/**
 * What a queued hook costs in the heap (issue 18 part 4): thousands of hooks wait for a slot at once
 * (all 6000 at N=3000 in the bench's phase B), so each must not hold more than its promise chain. A
 * heap measurement after forced GCs: counts bytes, not time, so the machine's load does not move it
 * (the byte figures are of the Node 22 in node_modules; another V8 lays objects out differently).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { FakeClock } from '../testing/fake-clock.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import { createAdaptiveLimiter } from './adaptive-limit.ts';
import type { ExecOutcome, PodExecutor } from './ports.ts';
import { RunSession } from './run-session.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function heapPerCall(queue: (i: number) => Promise<unknown>, calls: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 5));
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const held: Promise<unknown>[] = new Array<Promise<unknown>>(calls);
  for (let i = 0; i < calls; i++) held[i] = queue(i);
  await new Promise((r) => setTimeout(r, 5));
  gc();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / calls;
  return bytes;
}

void describe('a queued call holds no suspended async frame', () => {
  void it('the adaptive limiter: a queued call costs under 800 bytes (with an async function per call: 1027; now 611)', async () => {
    const limiter = createAdaptiveLimiter({ max: 1, min: 1, initial: 1, now: () => 0 });
    let release = (): void => undefined;
    const blocker = limiter.limit(() => new Promise<void>((r) => (release = r)));
    const fn = (): Promise<number> => Promise.resolve(1);
    const perCall = await heapPerCall(() => limiter.limit(fn), 20_000);
    release();
    await blocker;
    assert.ok(perCall < 800, `${Math.round(perCall)} bytes per queued call`);
  });

  void it('RunSession.execute behind a full limiter: under 2000 bytes per queued hook (with async functions and a closure per callback: 2763; now 1521)', async () => {
    const calls = 10_000;
    const hooks = Array.from({ length: calls + 1 }, (_, i) => plannedHook({ pod: `p${i}`, container: 'c', name: `h${i}` }));
    const limiter = createAdaptiveLimiter({ max: 1, min: 1, initial: 1, now: () => 0 });
    const pending: ((o: ExecOutcome) => void)[] = [];
    const executor: PodExecutor = { exec: () => new Promise<ExecOutcome>((r) => pending.push(r)) };
    const ctl = new AbortController();
    const session = new RunSession(hooks, { executor, clock: new FakeClock(), signal: ctl.signal, limit: limiter.limit, eventGraceMs: 1 });
    const first = session.execute(hooks[0]!, { podUid: undefined });
    const perCall = await heapPerCall((i) => session.execute(hooks[i + 1]!, { podUid: undefined }), calls);
    ctl.abort();
    const done = (o: ExecOutcome): void => pending.shift()?.(o);
    done({ kind: 'error', code: 'aborted', message: 'aborted', stdout: '', stderr: '', truncated: false, startedAt: new Date(0), durationMs: 0 });
    await first;
    session.release();
    assert.ok(perCall < 2000, `${Math.round(perCall)} bytes per queued hook`);
  });
});
