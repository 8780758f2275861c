/**
 * A concurrency limit for execs that adapts (docs/adr/0007-adaptive-concurrency.md). Pure: time comes
 * from the injected `now`, outcomes from the caller; no timers, no I/O.
 *
 * The API server does not bound exec (a long-running request, outside max-requests-inflight and API
 * Priority and Fairness), so the client must. The limit:
 * - starts in slow start: until its first back-off, every call that ends while callers are queued
 *   and exec latency is flat raises the limit by one (so a round of such calls doubles it), once
 *   SLOW_START_BASELINE_SAMPLES calls at the starting limit gave it a baseline;
 * - after that grows by one per "round" (as many completions as the limit) while the limit is what
 *   holds work back (callers are queued) and exec latency stays flat;
 * - shrinks by `decreaseFactor` when an exec fails for a reason that is the stack's, not the
 *   command's (unreachable, stream closed, remote error), and by `latencyDecreaseFactor` when the
 *   short-term latency average rises above `latencyTolerance` × the long-term one while the limit
 *   binds (every slot busy: with free slots a smaller limit would not lower the load) — at most once
 *   per round trip (only a call started after the last back-off causes the next), so one burst of
 *   failures is one step down;
 * - never leaves [min, max]; `max` is the hard maximum (`--concurrency`); latency alone never takes it
 *   below its start (min(initial, 8)), only stack errors do.
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
  /** Limit changes: up (grown by one, in slow start or per round) and down (backed off, by cause). */
  readonly adjustments: { readonly up: number; readonly downLatency: number; readonly downErrors: number };
  /** The limit when slow start ended (just before its first back-off); null: it never backed off. */
  readonly slowStartEnd: number | null;
  /** The limit over time: its first HISTORY_MAX changes (increases within one second merged). */
  readonly history: readonly LimitChange[];
}

/** Why the limit changed: grown in slow start, grown by one per round, or backed off (latency, errors). */
export type LimitChangeCause = 'slow-start' | 'increase' | 'latency' | 'errors';

export interface LimitChange {
  /** Milliseconds since the limiter was created (the start of the run), when it reached `limit`. */
  readonly atMs: number;
  readonly limit: number;
  /** Callers waiting for a slot at that moment. */
  readonly queued: number;
  readonly cause: LimitChangeCause;
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
/** Changes kept in `history`; later ones are counted in `adjustments` only. */
export const HISTORY_MAX = 100;
/** Consecutive increases of one cause within this many ms are one history entry. */
const HISTORY_MERGE_MS = 1_000;
/** Samples (at the starting limit) before slow start may grow: its baseline. */
export const SLOW_START_BASELINE_SAMPLES = 8;
/** Samples before latency may shrink the limit (the long average needs history). */
export const LATENCY_WARMUP_SAMPLES = 20;
const SHORT_ALPHA = 0.2;
const LONG_ALPHA = 0.02;
const LATENCY_TOLERANCE = 2;
const ERROR_DECREASE = 0.5;
const LATENCY_DECREASE = 0.8;
const SLOW_START_EXIT_DECREASE = 0.5;
/** A single sample counts in the short average at most at this multiple of the baseline. */
const OUTLIER_CAP = 4;

export function createAdaptiveLimiter(options: AdaptiveLimitOptions): AdaptiveLimiter {
  const max = Math.max(1, Math.floor(options.max));
  const min = Math.min(max, Math.max(1, Math.floor(options.min ?? DEFAULT_ADAPTIVE_MIN)));
  const initial = Math.min(max, Math.max(min, Math.floor(options.initial ?? DEFAULT_ADAPTIVE_INITIAL)));
  /**
   * Latency alone never takes the limit below its start (8 by default, the old fixed limit): on a shared
   * machine exec latency wanders 2x for a few hundred ms without any help from us, and below the start a
   * smaller limit only queues hooks (bench phase A, 2026-12-03: 15 of 22 latency back-offs went 6 -> 2
   * with up to 10 hooks queued). Stack errors still halve it down to `min`.
   */
  const latencyMin = Math.max(min, Math.min(initial, DEFAULT_ADAPTIVE_INITIAL));
  const classify = options.classify ?? ((): CallOutcome => 'ok');
  const latencyOf = options.latencyOf ?? ((): undefined => undefined);
  const t0 = options.now();
  let limit = initial;
  let peak = initial;
  let active = 0;
  let peakInFlight = 0;
  const queue: (() => void)[] = [];
  let samples = 0;
  let shortMs = 0;
  let longMs = 0;
  /** Completions left in this round (the per-round increase; a back-off blocks its round's increase). */
  let roundLeft = limit;
  let decreasedThisRound = false;
  /** Whether the limit held anyone back during this round (the only time growing helps). */
  let limitedThisRound = false;
  /** Until the first back-off: +1 per completion that finds callers queued (doubling per round). */
  let slowStart = true;
  let slowStartEnd: number | null = null;
  /** Calls started so far, and how many had started at the last back-off (-1: none yet). */
  let startedCalls = 0;
  let backoffAt = -1;
  const adjustments = { up: 0, downLatency: 0, downErrors: 0 };
  const history: LimitChange[] = [];

  const pump = (): void => {
    while (active < limit && queue.length > 0) {
      const next = queue.shift();
      active++;
      peakInFlight = Math.max(peakInFlight, active);
      next?.();
    }
    if (queue.length > 0) limitedThisRound = true;
  };

  const record = (cause: LimitChangeCause): void => {
    const change: LimitChange = { atMs: Math.max(0, Math.round(options.now() - t0)), limit, queued: queue.length, cause };
    const last = history.at(-1);
    const growing = cause === 'slow-start' || cause === 'increase';
    if (last !== undefined && growing && last.cause === cause && change.atMs - last.atMs <= HISTORY_MERGE_MS) {
      history[history.length - 1] = change;
    } else if (history.length < HISTORY_MAX) {
      history.push(change);
    }
  };

  const setLimit = (value: number, cause: LimitChangeCause): void => {
    limit = Math.min(max, Math.max(min, value));
    peak = Math.max(peak, limit);
    record(cause);
    pump();
  };

  const decrease = (factor: number, cause: 'latency' | 'errors', floor = min): void => {
    if (slowStart) {
      slowStart = false;
      slowStartEnd = limit;
    }
    decreasedThisRound = true;
    backoffAt = startedCalls;
    if (cause === 'errors') adjustments.downErrors++;
    else adjustments.downLatency++;
    setLimit(Math.max(floor, Math.floor(limit * factor)), cause);
  };

  /**
   * `binding`: every slot was busy (or callers queued) when the call ended; `waiting`: callers were
   * queued for a slot then (demand beyond the limit).
   */
  const observe = (ms: number, error: boolean, binding: boolean, waiting: boolean, seq: number): void => {
    samples++;
    // One sample counts in the short average at most at OUTLIER_CAP × the baseline: on this machine
    // single execs vary 6x (p99/p50 in the bench's phase A), and one such exec alone must not read as
    // "latency doubled"; three in a row, or a real rise, still do.
    const capped = samples === 1 ? ms : Math.min(ms, OUTLIER_CAP * longMs);
    if (samples === 1) {
      shortMs = ms;
      longMs = ms;
    } else if (samples <= LATENCY_WARMUP_SAMPLES) {
      // The baseline starts as the plain mean of the first samples (taken at the starting limit), not
      // the first sample alone, which on a noisy machine may be 3-4x off.
      shortMs += SHORT_ALPHA * (capped - shortMs);
      longMs += (ms - longMs) / samples;
    } else {
      shortMs += SHORT_ALPHA * (capped - shortMs);
      // Then a sample counts in the baseline at most at the tolerance, so a burst of overload (a slow
      // start that overshot, execs started before a back-off) cannot raise it by more than 2 % per
      // sample. A workload that really got slower is still learnt (doubling in ~35 samples).
      longMs += LONG_ALPHA * (Math.min(ms, LATENCY_TOLERANCE * longMs) - longMs);
    }
    const flat = shortMs <= LATENCY_TOLERANCE * longMs;
    // Until the baseline has its samples, latency counts as flat for the back-off and the increase.
    const latencyFlat = samples < LATENCY_WARMUP_SAMPLES || flat;
    // Slow start does not grow blind: it waits for a round's worth of samples at the starting limit
    // (the baseline it is judged against), then doubles only while latency stays within 2x of it.
    const slowStartMayGrow = samples >= SLOW_START_BASELINE_SAMPLES && flat;
    // One back-off per round trip: only a call started after the last back-off may cause the next
    // (calls already running when it backed off report the load it backed off from).
    const mayBackOff = seq > backoffAt;
    if (error && limit > min && mayBackOff) decrease(ERROR_DECREASE, 'errors');
    // Leaving slow start on latency after it doubled at least once halves: the samples that rose were
    // started at up to twice the limit whose samples were flat (a round of lag), so the limit steps
    // back to where it was good. Otherwise (and after slow start) a fifth.
    else if (binding && !latencyFlat && limit > latencyMin && mayBackOff) {
      decrease(slowStart && limit >= 2 * initial ? SLOW_START_EXIT_DECREASE : LATENCY_DECREASE, 'latency', latencyMin);
    } else if (slowStart && !decreasedThisRound && waiting && !error && slowStartMayGrow && limit < max) {
      adjustments.up++;
      setLimit(limit + 1, 'slow-start');
    }
    roundLeft--;
    if (roundLeft <= 0) {
      if (!slowStart && !decreasedThisRound && limitedThisRound && latencyFlat && limit < max) {
        adjustments.up++;
        setLimit(limit + 1, 'increase');
      }
      roundLeft = limit;
      decreasedThisRound = false;
      limitedThisRound = queue.length > 0;
    }
  };

  /** The call in its slot (granted by pump, which counted it in `active`). */
  const inSlot = async <T>(fn: () => Promise<T>): Promise<T> => {
    const started = options.now();
    const seq = ++startedCalls;
    let outcome: CallOutcome = 'error';
    let own: number | undefined;
    try {
      const value = await fn();
      outcome = classify(value);
      own = latencyOf(value);
      return value;
    } finally {
      const waiting = queue.length > 0;
      const binding = active >= limit || waiting;
      active--;
      if (outcome !== 'ignore') observe(Math.max(0, own ?? options.now() - started), outcome === 'error', binding, waiting, seq);
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
    report: () => ({ initial, max, min, peak, final: limit, peakInFlight, adjustments: { ...adjustments }, slowStartEnd, history: [...history] }),
  };
}
