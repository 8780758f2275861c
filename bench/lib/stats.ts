/** Small summary statistics for the bench's samples (pure). */

export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of sorted values (q in [0,1]). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

const round = (x: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? Number.NaN : sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    count: sorted.length,
    min: round(sorted[0] ?? Number.NaN),
    p50: round(percentile(sorted, 0.5)),
    p90: round(percentile(sorted, 0.9)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? Number.NaN),
    mean: round(mean),
  };
}

export { round };

/** One container's first hook in phase A: when it was seen Running, its delay to the exec, the exec's duration. */
export interface FirstHook {
  readonly runningAt: number;
  readonly delayMs: number;
  readonly durationMs: number;
}

export interface TimelineBucket {
  /** Start of the bucket, ms after the first container was seen Running. */
  readonly fromMs: number;
  readonly containers: number;
  /** Running → first hook's exec: p50 / p99 / max in the bucket. */
  readonly delayP50: number;
  readonly delayP99: number;
  readonly delayMax: number;
  /** That exec's own duration: p50 / p99. */
  readonly execP50: number;
  readonly execP99: number;
}

/**
 * Phase A over time (pure): first hooks grouped by when their container was seen Running, in buckets of
 * `bucketMs`, so queueing early in the spread (a limit growing too slowly) tells itself apart from
 * queueing throughout (latency back-offs, a saturated machine). Empty buckets are left out.
 */
export function delayTimeline(firsts: readonly FirstHook[], bucketMs: number): TimelineBucket[] {
  if (firsts.length === 0 || !(bucketMs > 0)) return [];
  const t0 = Math.min(...firsts.map((f) => f.runningAt));
  const buckets = new Map<number, FirstHook[]>();
  for (const f of firsts) {
    const k = Math.floor((f.runningAt - t0) / bucketMs);
    const list = buckets.get(k) ?? [];
    list.push(f);
    buckets.set(k, list);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([k, list]) => {
      const d = summarize(list.map((f) => f.delayMs));
      const e = summarize(list.map((f) => f.durationMs));
      return { fromMs: k * bucketMs, containers: list.length, delayP50: d.p50, delayP99: d.p99, delayMax: d.max, execP50: e.p50, execP99: e.p99 };
    });
}
