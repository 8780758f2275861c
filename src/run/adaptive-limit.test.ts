import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAdaptiveLimiter, DEFAULT_ADAPTIVE_INITIAL, DEFAULT_ADAPTIVE_MIN, HISTORY_MAX } from './adaptive-limit.ts';
import type { AdaptiveLimiter, CallOutcome } from './adaptive-limit.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { prng } from '../testing/prng.ts';

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


/**
 * Phase A of the bench on a fake clock: call i arrives at `arrivals[i]` ms (its own caller, as a
 * container that starts), waits for a slot, and takes `latency(inFlight, at)` ms. Returns each call's
 * wait for its slot and the limit after each completion.
 */
async function arrive(
  options: { max: number; initial?: number; min?: number },
  arrivals: readonly number[],
  latency: (inFlight: number, at: number) => number,
): Promise<{ limiter: AdaptiveLimiter; waits: number[]; maxInFlight: number }> {
  const clock = new FakeClock(0);
  const limiter = createAdaptiveLimiter({ ...options, now: () => clock.now(), classify: () => 'ok' });
  const signal = new AbortController().signal;
  const waits: number[] = [];
  let maxInFlight = 0;
  const one = async (at: number): Promise<void> => {
    await clock.sleep(at, signal);
    await limiter.limit(async () => {
      waits.push(clock.now() - at);
      maxInFlight = Math.max(maxInFlight, limiter.inFlight());
      await clock.sleep(latency(limiter.inFlight(), clock.now()), signal);
    });
  };
  const state = { finished: false };
  const all = Promise.all(arrivals.map(one)).then(() => {
    state.finished = true;
  });
  for (let step = 0; !state.finished && step < 400_000; step++) await clock.advance(5);
  await all;
  return { limiter, waits, maxInFlight };
}

const p99 = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? 0;
/** `n` arrivals evenly over `spreadMs` (the bench spreads them uniformly, seeded). */
const spread = (n: number, spreadMs: number): number[] => Array.from({ length: n }, (_, i) => Math.round((i * spreadMs) / n));

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

  void it('slow start: while callers queue and latency is flat, each round doubles the limit up to the maximum', async () => {
    // Completions until the limit first reaches the maximum: a round at 8 for the baseline, then a
    // doubling per round; +1 per round (the old growth) needed the sum of 8..max-1 (1988 for 64).
    const cases = [
      { max: 16, within: 8 + 8 + 4 },
      { max: 64, within: 8 + 8 + 16 + 32 + 8 },
      { max: 200, within: 8 + 8 + 16 + 32 + 64 + 128 + 16 },
    ];
    for (const c of cases) {
      const { limiter, seen } = await simulate({ max: c.max }, 3000, () => 20);
      const reached = seen.limits.indexOf(c.max) + 1;
      assert.ok(reached > 0 && reached <= c.within, `max ${c.max}: reached after ${reached} completions (allowed ${c.within})`);
      assert.ok(seen.maxInFlight <= c.max && seen.maxLimit <= c.max, `max ${c.max}: ${JSON.stringify(seen.maxInFlight)}`);
      const r = limiter.report();
      assert.equal(r.slowStartEnd, null);
      assert.equal(r.adjustments.up, c.max - DEFAULT_ADAPTIVE_INITIAL);
      assert.ok(r.history.every((h) => h.cause === 'slow-start'), JSON.stringify(r.history));
      assert.equal(r.history.at(-1)?.limit, c.max);
    }
  });

  void it('noisy but flat latency (single execs vary 4x, some 8x) neither stalls slow start nor backs it off', async () => {
    // This machine's execs vary 3-4x one to the next (bench phase F); the baseline is the mean of the
    // first 20 samples, not the first one, so a lucky fast first exec does not make the rest look slow.
    const shapes = [
      { name: 'uniform 50-200 ms', latency: (r: () => number): number => 50 + 150 * r() },
      { name: '100 ms, one in ten 800 ms', latency: (r: () => number): number => (r() < 0.1 ? 800 : 100) },
    ];
    for (const shape of shapes) {
      for (const seed of [1, 2, 3]) {
        const rnd = prng(seed);
        const { limiter, seen } = await simulate({ max: 64 }, 3000, () => shape.latency(rnd));
        const r = limiter.report();
        const reached = seen.limits.indexOf(64) + 1;
        assert.ok(reached > 0 && reached <= 120, `${shape.name}, seed ${seed}: 64 after ${reached} completions; ${JSON.stringify({ ...r, history: r.history.slice(0, 6) })}`);
        // Noise may still cross the ratio later, at the maximum; never on the way up.
        assert.ok(r.slowStartEnd === null || r.slowStartEnd === 64, `${shape.name}, seed ${seed}: slow start ended at ${r.slowStartEnd}`);
      }
    }
  });

  void it('an outlier exec is not a latency rise; execs already running at a back-off do not back it off again', async () => {
    // Bench phase A at N=1000 (2026-12-03, load 5-10): exec p50 32 ms, p99 207 ms, max 408 ms; one
    // such exec used to lift the short average over 2x the long one (a back-off at limit 8 with 3
    // hooks queued), and the execs in flight then stepped it down again within 2 ms: 8 -> 4 -> 3 -> 2.
    const cases = [
      { name: 'flat 30 ms, every 25th exec 400 ms', latency: (i: number): number => (i % 25 === 24 ? 400 : 30), maxDown: 0 },
      { name: 'flat 30 ms, every 40th exec 250 ms', latency: (i: number): number => (i % 40 === 39 ? 250 : 30), maxDown: 0 },
    ];
    for (const c of cases) {
      let i = 0;
      const { limiter } = await simulate({ max: 16 }, 3000, () => c.latency(i++));
      const r = limiter.report();
      assert.ok(r.adjustments.downLatency <= c.maxDown, `${c.name}: ${JSON.stringify(r.adjustments)}`);
    }
    // 16 execs in flight when the server turns 10x slower at once: one step down per round trip
    // (16 -> 12, then one more only after an exec started after it ends), not one per exec.
    const { limiter } = await simulate({ max: 16, initial: 16 }, 200, (_n, at) => (at < 100 ? 10 : 100));
    const downs = limiter.report().history.filter((h) => h.cause === 'latency');
    assert.ok(downs.length >= 1, JSON.stringify(limiter.report()));
    for (let k = 1; k < downs.length; k++) {
      const gap = (downs[k]?.atMs ?? 0) - (downs[k - 1]?.atMs ?? 0);
      assert.ok(gap >= 100, `back-offs ${gap} ms apart (an exec takes 100 ms): ${JSON.stringify(downs)}`);
    }
  });

  void it('containers arriving over a spread: hooks wait for a slot far less than with +1 per round', async () => {
    // 2000 hooks arriving evenly over 60 s (33/s; the bench's N=1000) that take 600 ms each need ~20
    // slots. From 8, +1 per round (the old growth) reached 33 after 25 rounds and queued hooks for up to
    // 2.3 s on the way — the same report (peak 32, 24 up, 0 down) as the bench's phase A of 2026-12-03.
    const cases = [
      // p99 wait on this code / with +1 per round: 540 / 2310 ms, 3420 / 27060 ms, 190 / 2100 ms.
      { name: 'flat 600 ms', latency: (): number => 600, p99Max: 800 },
      { name: 'flat 1500 ms (a loaded machine)', latency: (): number => 1500, p99Max: 5000 },
      { name: '300 ms + 20 ms per exec in flight', latency: (n: number): number => 300 + 20 * n, p99Max: 400 },
    ];
    for (const c of cases) {
      const { limiter, waits, maxInFlight } = await arrive({ max: 64 }, spread(2000, 60_000), c.latency);
      const r = limiter.report();
      assert.ok(p99(waits) <= c.p99Max, `${c.name}: p99 wait ${p99(waits)} ms > ${c.p99Max}; ${JSON.stringify(r)}`);
      assert.ok(maxInFlight <= 64 && r.peak <= 64, c.name);
    }
  });

  void it('slow start ends at the first back-off; after it the limit grows by one per round only', async () => {
    // Flat up to 12 execs at once, then steeply slower: slow start overshoots, backs off on latency
    // while the limit binds, and from then on grows only by `increase` steps.
    const latency = (inFlight: number): number => (inFlight <= 12 ? 20 : 20 * (inFlight - 11) ** 2);
    const { limiter, seen } = await simulate({ max: 64 }, 4000, latency);
    const r = limiter.report();
    assert.ok(r.slowStartEnd !== null && r.slowStartEnd > 12, JSON.stringify(r));
    assert.ok(r.adjustments.downLatency > 0);
    const firstDown = r.history.findIndex((h) => h.cause === 'latency' || h.cause === 'errors');
    assert.ok(firstDown > 0, JSON.stringify(r.history));
    assert.ok(r.history.slice(0, firstDown).every((h) => h.cause === 'slow-start'));
    assert.ok(r.history.slice(firstDown).every((h) => h.cause !== 'slow-start'), JSON.stringify(r.history));
    assert.ok(r.final < 64 && Math.min(...seen.limits) >= DEFAULT_ADAPTIVE_MIN, JSON.stringify(r));
  });

  void it('latency rising while the limit binds backs it off, in slow start and after; errors too', async () => {
    const cases = [
      { name: 'server 10x slower from t=300 ms (slow start)', latency: (_n: number, at: number): number => (at < 300 ? 10 : 100), outcome: (): CallOutcome => 'ok', cause: 'latency' as const },
      { name: 'latency grows with the execs in flight', latency: (n: number): number => 10 * n * n, outcome: (): CallOutcome => 'ok', cause: 'latency' as const },
      { name: 'stack errors from t=200 ms', latency: (): number => 10, outcome: (_i: number, at: number): CallOutcome => (at >= 200 ? 'error' : 'ok'), cause: 'errors' as const },
    ];
    for (const c of cases) {
      const { limiter } = await simulate({ max: 64 }, 2000, c.latency, c.outcome);
      const r = limiter.report();
      const downs = c.cause === 'latency' ? r.adjustments.downLatency : r.adjustments.downErrors;
      assert.ok(downs >= 1, `${c.name}: ${JSON.stringify(r)}`);
      assert.ok(r.slowStartEnd !== null, c.name);
      assert.ok(r.history.some((h) => h.cause === c.cause), c.name);
    }
  });

  void it('latency alone never takes the limit below its start; stack errors take it to the floor', async () => {
    // From t=100 ms every exec takes 20x longer (latency) or fails (errors): latency backs the limit off,
    // but never below 8 (the start; with a start under 8, that start); errors halve it to the floor, 2.
    const slow = (_n: number, at: number): number => (at < 100 ? 10 : 200);
    const cases = [
      { name: 'latency, start 8', options: { max: 64 }, outcome: (): CallOutcome => 'ok', lowest: 8, downs: 'latency' as const },
      { name: 'latency, start 16', options: { max: 64, initial: 16 }, outcome: (): CallOutcome => 'ok', lowest: 8, downs: 'latency' as const },
      { name: 'latency, start 4 (--concurrency 4)', options: { max: 4 }, outcome: (): CallOutcome => 'ok', lowest: 4, downs: undefined },
      { name: 'errors, start 8', options: { max: 64 }, outcome: (_i: number, at: number): CallOutcome => (at >= 100 ? 'error' : 'ok'), lowest: 2, downs: 'errors' as const },
    ];
    for (const c of cases) {
      const { limiter, seen } = await simulate(c.options, 2500, slow, c.outcome);
      const r = limiter.report();
      const label = `${c.name}: ${JSON.stringify(r.adjustments)} ${JSON.stringify(r.history.slice(0, 6))}`;
      assert.ok(Math.min(...seen.limits) >= c.lowest, label);
      if (c.downs === 'latency') assert.ok(r.adjustments.downLatency >= 1, label);
      if (c.downs === 'errors') assert.equal(r.final, 2, label);
    }
  });

  void it('floor and ceiling hold whatever the server does', async () => {
    const cases = [
      { max: 1, min: 1, latency: (): number => 10, outcome: (): CallOutcome => 'ok' },
      { max: 5, min: 2, latency: (): number => 10, outcome: (): CallOutcome => 'ok' },
      { max: 64, min: 2, latency: (): number => 10, outcome: (): CallOutcome => 'error' },
      { max: 64, min: 4, latency: (n: number): number => 2 * n ** 2, outcome: (): CallOutcome => 'ok' },
      { max: 40, min: 3, latency: (_n: number, at: number): number => (Math.floor(at / 500) % 2 === 0 ? 10 : 300), outcome: (i: number): CallOutcome => (i % 97 === 0 ? 'error' : 'ok') },
    ];
    for (const c of cases) {
      const { limiter, seen } = await simulate({ max: c.max, min: c.min }, 1500, c.latency, c.outcome);
      const r = limiter.report();
      const label = `max ${c.max} min ${c.min}: ${JSON.stringify({ ...r, history: r.history.length })}`;
      assert.ok(seen.maxInFlight <= c.max && seen.maxLimit <= c.max && r.peak <= c.max, label);
      assert.ok(Math.min(...seen.limits) >= c.min && r.final >= c.min, label);
      assert.ok(r.history.every((h) => h.limit >= c.min && h.limit <= c.max), label);
    }
  });

  void it('history: in time order, bounded, ending at the final limit while it has room', async () => {
    // A server that alternates fast and slow every 400 ms makes the limit move up and down many times.
    const latency = (n: number, at: number): number => (Math.floor(at / 400) % 2 === 0 ? 10 : 10 * n);
    const { limiter } = await simulate({ max: 64 }, 8000, latency);
    const r = limiter.report();
    assert.ok(r.history.length > 0 && r.history.length <= HISTORY_MAX, `${r.history.length}`);
    for (let i = 1; i < r.history.length; i++) assert.ok((r.history[i]?.atMs ?? 0) >= (r.history[i - 1]?.atMs ?? 0));
    const changes = r.adjustments.up + r.adjustments.downLatency + r.adjustments.downErrors;
    if (r.history.length < HISTORY_MAX) assert.equal(r.history.at(-1)?.limit, r.final);
    assert.ok(r.history.length <= changes);
    assert.ok(r.history.every((h) => h.queued >= 0));
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
    // Flat 10 ms, then from t=100 ms every call takes 200 ms (slow start is at 64 by t=30 ms, ~600 calls
    // done, the rest still to come).
    const { limiter } = await simulate({ max: 64, initial: 16 }, 1500, (_n, at) => (at < 100 ? 10 : 200));
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
    // From t=100 ms each call holds its slot for 200 ms (work around the exec), but the exec itself
    // reports a flat 10 ms: no latency back-off, and the limit still grows while callers queue.
    const flat = await simulate({ max: 64, initial: 16 }, 1500, (_n, at) => (at < 100 ? 10 : 200), () => 'ok', 1500, () => 10);
    assert.equal(flat.limiter.report().adjustments.downLatency, 0, JSON.stringify(flat.limiter.report()));
    assert.ok(flat.limiter.report().adjustments.up > 0);
    // The same slot times with the exec's own latency rising with them: it backs off.
    const rising = await simulate({ max: 64, initial: 16 }, 1500, (_n, at) => (at < 100 ? 10 : 200), () => 'ok', 1500, (at) => (at < 100 ? 10 : 200));
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
