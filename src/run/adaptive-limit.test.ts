import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAdaptiveLimiter, DEFAULT_ADAPTIVE_INITIAL, DEFAULT_ADAPTIVE_MIN } from './adaptive-limit.ts';
import type { AdaptiveLimiter, CallOutcome } from './adaptive-limit.ts';
import { FakeClock } from '../testing/fake-clock.ts';

interface Call {
  readonly outcome: CallOutcome;
  readonly ownMs: number | undefined;
}

interface Sim {
  readonly limiter: AdaptiveLimiter;
  /** Highest limit and in-flight count seen at any call start. */
  readonly seen: { maxLimit: number; maxInFlight: number; limits: number[] };
}

/**
 * Drives `calls` calls through a limiter on a fake clock. `latency(inFlight, startedAt)` is the fake
 * server: how long a call takes given how many run at once and when it started; `outcome` marks a
 * call's result. `callers` bounds how many calls are offered at once (the demand).
 */
async function simulate(
  options: { max: number; initial?: number; min?: number },
  calls: number,
  latency: (inFlight: number, at: number) => number,
  outcome: (i: number, at: number) => CallOutcome = () => 'ok',
  callers = calls,
  /** The call's own latency as it reports it (an exec's durationMs); undefined: its time in the slot. */
  own?: (at: number) => number,
): Promise<Sim> {
  const clock = new FakeClock(0);
  const limiter = createAdaptiveLimiter({
    ...options,
    now: () => clock.now(),
    classify: (v) => (v as Call).outcome,
    latencyOf: (v) => (v as Call).ownMs,
  });
  const seen = { maxLimit: 0, maxInFlight: 0, limits: [] as number[] };
  const signal = new AbortController().signal;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const i = next++;
      await limiter.limit(async () => {
        seen.maxLimit = Math.max(seen.maxLimit, limiter.current());
        seen.maxInFlight = Math.max(seen.maxInFlight, limiter.inFlight());
        const at = clock.now();
        await clock.sleep(latency(limiter.inFlight(), at), signal);
        return { outcome: outcome(i, at), ownMs: own?.(at) } satisfies Call;
      });
      seen.limits.push(limiter.current());
    }
  };
  const state = { finished: false };
  const all = Promise.all(Array.from({ length: Math.min(callers, calls) }, worker)).then(() => {
    state.finished = true;
  });
  for (let step = 0; !state.finished && step < 200_000; step++) await clock.advance(5);
  await all;
  return { limiter, seen };
}

void describe('adaptive concurrency limit', () => {
  void it('[R-43] grows while latency stays flat and calls are queued, up to the hard maximum', async () => {
    const { limiter, seen } = await simulate({ max: 32 }, 3000, () => 20);
    const r = limiter.report();
    assert.equal(r.initial, DEFAULT_ADAPTIVE_INITIAL);
    assert.ok(r.final > DEFAULT_ADAPTIVE_INITIAL, `final ${r.final}`);
    assert.ok(r.adjustments.up > 0);
    assert.equal(r.adjustments.downErrors + r.adjustments.downLatency, 0);
    assert.ok(seen.maxLimit <= 32 && seen.maxInFlight <= 32);
    assert.ok(r.peakInFlight <= r.peak);
  });

  void it('never exceeds the maximum, whatever the maximum', async () => {
    for (const max of [1, 2, 3, 8, 20]) {
      const { limiter, seen } = await simulate({ max }, 600, () => 10);
      assert.ok(seen.maxInFlight <= max, `max ${max}: ${seen.maxInFlight} ran at once`);
      assert.ok(seen.maxLimit <= max, `max ${max}: limit reached ${seen.maxLimit}`);
      assert.ok(limiter.report().peak <= max);
      assert.equal(limiter.report().max, max);
    }
  });

  void it('does not grow when the limit holds nobody back', async () => {
    const { limiter } = await simulate({ max: 64 }, 800, () => 20, () => 'ok', 4);
    assert.equal(limiter.report().final, DEFAULT_ADAPTIVE_INITIAL);
    assert.equal(limiter.report().adjustments.up, 0);
    assert.ok(limiter.report().peakInFlight <= 4);
  });

  void it('[R-43] backs off on stack errors, halving, and never below the floor', async () => {
    // Every call fails from t=200 ms on: the limit falls to the floor and stays there.
    const { limiter, seen } = await simulate({ max: 64, initial: 32 }, 1500, () => 10, (_i, at) => (at >= 200 ? 'error' : 'ok'));
    const r = limiter.report();
    assert.equal(r.final, DEFAULT_ADAPTIVE_MIN);
    assert.ok(r.adjustments.downErrors >= 4, `downErrors ${r.adjustments.downErrors}`); // 32 → 16 → 8 → 4 → 2
    assert.ok(Math.min(...seen.limits) >= DEFAULT_ADAPTIVE_MIN);
  });

  void it('one burst of errors is one step down per round, not one per error', async () => {
    // 8 calls fail at once; the limit halves once (8 → 4), not eight times.
    const { limiter } = await simulate({ max: 8, initial: 8 }, 8, () => 10, () => 'error');
    assert.equal(limiter.report().adjustments.downErrors, 1);
    assert.equal(limiter.report().final, 4);
  });

  void it('[R-43] backs off when latency rises with load, and settles below the maximum', async () => {
    // A fake server that is flat up to 12 execs at once and then slows down steeply.
    const latency = (inFlight: number): number => (inFlight <= 12 ? 20 : 20 * (inFlight - 11) ** 2);
    const { limiter } = await simulate({ max: 64 }, 4000, latency);
    const r = limiter.report();
    assert.ok(r.adjustments.up > 0);
    assert.ok(r.adjustments.downLatency > 0, JSON.stringify(r));
    assert.ok(r.final < 64 && r.final >= DEFAULT_ADAPTIVE_MIN, JSON.stringify(r));
  });

  void it('backs off when the server slows down at a point in time', async () => {
    // Flat 10 ms, then from t=300 ms every call takes 200 ms.
    const { limiter } = await simulate({ max: 64, initial: 16 }, 1500, (_n, at) => (at < 300 ? 10 : 200));
    const r = limiter.report();
    assert.ok(r.adjustments.downLatency >= 1, JSON.stringify(r));
  });

  void it('does not back off on latency while slots are free (the limit does not bind)', async () => {
    // 4 callers under a limit of 8: the server slows down 20× at t=300 ms, but a smaller limit would not
    // lower the load, so the limit stays (it backed off here before the limit had to bind).
    const { limiter } = await simulate({ max: 64 }, 1500, (_n, at) => (at < 300 ? 10 : 200), () => 'ok', 4);
    const r = limiter.report();
    assert.equal(r.adjustments.downLatency, 0, JSON.stringify(r));
    assert.equal(r.final, DEFAULT_ADAPTIVE_INITIAL);
  });

  void it('judges a call by its own latency (latencyOf), not by its time in the slot', async () => {
    // From t=300 ms each call holds its slot for 200 ms (work around the exec), but the exec itself
    // reports a flat 10 ms: no latency back-off, and the limit still grows while callers queue.
    const flat = await simulate({ max: 64, initial: 16 }, 1500, (_n, at) => (at < 300 ? 10 : 200), () => 'ok', 1500, () => 10);
    assert.equal(flat.limiter.report().adjustments.downLatency, 0, JSON.stringify(flat.limiter.report()));
    assert.ok(flat.limiter.report().adjustments.up > 0);
    // The same slot times with the exec's own latency rising with them: it backs off.
    const rising = await simulate({ max: 64, initial: 16 }, 1500, (_n, at) => (at < 300 ? 10 : 200), () => 'ok', 1500, (at) => (at < 300 ? 10 : 200));
    assert.ok(rising.limiter.report().adjustments.downLatency >= 1, JSON.stringify(rising.limiter.report()));
  });

  void it('with latency samples from latencyOf it still never exceeds the maximum', async () => {
    for (const max of [1, 3, 16]) {
      const { limiter, seen } = await simulate({ max }, 600, () => 10, () => 'ok', 600, () => 1);
      assert.ok(seen.maxInFlight <= max && seen.maxLimit <= max && limiter.report().peak <= max, `max ${max}: ${JSON.stringify(seen)}`);
    }
  });

  void it('calls marked ignore are not latency samples and a throw counts as an error', async () => {
    const clock = new FakeClock(0);
    const limiter = createAdaptiveLimiter({ max: 4, initial: 4, min: 1, now: () => clock.now(), classify: () => 'ignore' });
    for (let i = 0; i < 50; i++) await limiter.limit(() => Promise.resolve(undefined));
    assert.deepEqual(limiter.report().adjustments, { up: 0, downLatency: 0, downErrors: 0 });
    await assert.rejects(limiter.limit(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(limiter.report().adjustments.downErrors, 1);
    assert.equal(limiter.current(), 2);
    assert.equal(limiter.inFlight(), 0);
  });

  void it('clamps initial and floor to the maximum', () => {
    const r = createAdaptiveLimiter({ max: 1, now: () => 0 }).report();
    assert.deepEqual([r.initial, r.min, r.max, r.final], [1, 1, 1, 1]);
    const s = createAdaptiveLimiter({ max: 64, initial: 200, min: 0, now: () => 0 }).report();
    assert.deepEqual([s.initial, s.min], [64, 1]);
  });
});
