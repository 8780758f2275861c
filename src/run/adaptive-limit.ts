/**
 * A concurrency limit for execs that adapts (docs/adr/0007-adaptive-concurrency.md). Pure: time comes
 * from the injected `now`, outcomes from the caller; no timers, no I/O.
 *
 * The API server does not bound exec (a long-running request, outside max-requests-inflight and API
 * Priority and Fairness), so the client must. The limit:
 * - grows by one per "round" (as many completions as the limit) while the limit is what holds work
 *   back (callers are queued) and exec latency stays flat;
 * - shrinks by `decreaseFactor` when an exec fails for a reason that is the stack's, not the
 *   command's (unreachable, stream closed, remote error), and by `latencyDecreaseFactor` when the
 *   short-term latency average rises above `latencyTolerance` × the long-term one while the limit
 *   binds (every slot busy: with free slots a smaller limit would not lower the load) — at most once
 *   per round, so one burst of failures is one step down;
 * - never leaves [min, max]; `max` is the hard maximum (`--concurrency`).
 * Latency is compared with itself over time (short against long average), not with a fixed figure,
 * so hooks whose commands take long keep their limit: a uniformly slow workload has a flat ratio.
 */
import type { Limiter } from './exec-hook.ts';

export interface AdaptiveLimitOptions {
  /** Hard maximum (`--concurrency`, or DEFAULT_ADAPTIVE_MAX). */
  readonly max: number;
  /** Starting limit (clamped to [min, max]); default DEFAULT_ADAPTIVE_INITIAL. */
  readonly initial?: number | undefined;
  /** Floor; default DEFAULT_ADAPTIVE_MIN (clamped to max). */
  readonly min?: number | undefined;
  /** Milliseconds, monotonic enough for durations (the runner's Clock.now). */
  readonly now: () => number;
  /**
   * What a finished call's value says: 'ok', 'error' (the stack's fault: backs off) or 'ignore'
   * (no exec happened, e.g. the hook was no longer wanted). Default 'ok'; a throw counts as 'error'.
   */
  readonly classify?: ((value: unknown) => CallOutcome) | undefined;
  /**
   * A finished call's own latency in ms, e.g. an exec's `durationMs` (undefined: the time it held its
   * slot). Default: the time in the slot, which also counts work around the call (a journal write).
   */
  readonly latencyOf?: ((value: unknown) => number | undefined) | undefined;
}

/** What the limiter did: `summary.concurrency` in the run JSON. */
export type CallOutcome = 'ok' | 'error' | 'ignore';

export interface ConcurrencyReport {
  readonly initial: number;
  /** The hard maximum it was allowed. */
  readonly max: number;
  readonly min: number;
  /** The highest limit it reached. */
  readonly peak: number;
  readonly final: number;
  /** Most calls that actually ran at once. */
  readonly peakInFlight: number;
  /** Limit changes: up (grown) and down (backed off, by cause). */
  readonly adjustments: { readonly up: number; readonly downLatency: number; readonly downErrors: number };
}

export interface AdaptiveLimiter {
  readonly limit: Limiter;
  current(): number;
  inFlight(): number;
  report(): ConcurrencyReport;
}

export const DEFAULT_ADAPTIVE_INITIAL = 8;
export const DEFAULT_ADAPTIVE_MIN = 2;
export const DEFAULT_ADAPTIVE_MAX = 64;
/** Samples before latency may shrink the limit (the long average needs history). */
export const LATENCY_WARMUP_SAMPLES = 20;
const SHORT_ALPHA = 0.2;
const LONG_ALPHA = 0.02;
const LATENCY_TOLERANCE = 2;
const ERROR_DECREASE = 0.5;
const LATENCY_DECREASE = 0.8;

export function createAdaptiveLimiter(options: AdaptiveLimitOptions): AdaptiveLimiter {
  const max = Math.max(1, Math.floor(options.max));
  const min = Math.min(max, Math.max(1, Math.floor(options.min ?? DEFAULT_ADAPTIVE_MIN)));
  const initial = Math.min(max, Math.max(min, Math.floor(options.initial ?? DEFAULT_ADAPTIVE_INITIAL)));
  const classify = options.classify ?? ((): CallOutcome => 'ok');
  const latencyOf = options.latencyOf ?? ((): undefined => undefined);
  let limit = initial;
  let peak = initial;
  let active = 0;
  let peakInFlight = 0;
  const queue: (() => void)[] = [];
  let samples = 0;
  let shortMs = 0;
  let longMs = 0;
  /** Completions left in this round; one change per round. */
  let roundLeft = limit;
  let changedThisRound = false;
  /** Whether the limit held anyone back during this round (the only time growing helps). */
  let limitedThisRound = false;
  const adjustments = { up: 0, downLatency: 0, downErrors: 0 };

  const pump = (): void => {
    while (active < limit && queue.length > 0) {
      const next = queue.shift();
      active++;
      peakInFlight = Math.max(peakInFlight, active);
      next?.();
    }
    if (queue.length > 0) limitedThisRound = true;
  };

  const setLimit = (value: number): void => {
    limit = Math.min(max, Math.max(min, value));
    peak = Math.max(peak, limit);
    changedThisRound = true;
    pump();
  };

  /** `binding`: every slot was busy (or callers queued) when the call ended. */
  const observe = (ms: number, error: boolean, binding: boolean): void => {
    samples++;
    if (samples === 1) {
      shortMs = ms;
      longMs = ms;
    } else {
      shortMs += SHORT_ALPHA * (ms - shortMs);
      longMs += LONG_ALPHA * (ms - longMs);
    }
    if (!changedThisRound) {
      if (error && limit > min) {
        setLimit(Math.floor(limit * ERROR_DECREASE));
        adjustments.downErrors++;
      } else if (binding && samples >= LATENCY_WARMUP_SAMPLES && shortMs > LATENCY_TOLERANCE * longMs && limit > min) {
        setLimit(Math.floor(limit * LATENCY_DECREASE));
        adjustments.downLatency++;
      }
    }
    roundLeft--;
    if (roundLeft <= 0) {
      const latencyFlat = samples < LATENCY_WARMUP_SAMPLES || shortMs <= LATENCY_TOLERANCE * longMs;
      if (!changedThisRound && limitedThisRound && latencyFlat && limit < max) {
        setLimit(limit + 1);
        adjustments.up++;
      }
      roundLeft = limit;
      changedThisRound = false;
      limitedThisRound = queue.length > 0;
    }
  };

  /** The call in its slot (granted by pump, which counted it in `active`). */
  const inSlot = async <T>(fn: () => Promise<T>): Promise<T> => {
    const t0 = options.now();
    let outcome: CallOutcome = 'error';
    let own: number | undefined;
    try {
      const value = await fn();
      outcome = classify(value);
      own = latencyOf(value);
      return value;
    } finally {
      const binding = active >= limit || queue.length > 0;
      active--;
      if (outcome !== 'ignore') observe(Math.max(0, own ?? options.now() - t0), outcome === 'error', binding);
      pump();
    }
  };

  // Not an async function: a queued call holds a promise and its resolver, not a suspended frame
  // (thousands of hooks can be queued at once; issue 18 part 4). The call starts in a microtask
  // after its slot is granted, as an `await` would.
  const run: Limiter = <T>(fn: () => Promise<T>): Promise<T> =>
    new Promise<void>((resolve) => {
      queue.push(resolve);
      pump();
    }).then(() => inSlot(fn));

  return {
    limit: run,
    current: () => limit,
    inFlight: () => active,
    report: () => ({ initial, max, min, peak, final: limit, peakInFlight, adjustments: { ...adjustments } }),
  };
}
