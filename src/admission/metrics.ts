/**
 * The webhook's Prometheus metrics, in the text exposition format. Small on purpose: counters by
 * kind and result, and one latency histogram of the time spent answering a review.
 */

/** Histogram buckets, seconds: the webhook aims at p99 ≤ 5 ms. */
export const REVIEW_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] as const;

function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class AdmissionMetrics {
  private readonly reviews = new Map<string, number>();
  private readonly buckets = REVIEW_BUCKETS.map(() => 0);
  private count = 0;
  private sum = 0;
  private warnings = 0;
  private badRequests = 0;

  /** One answered review: the object's kind, the outcome and how long answering took. */
  observe(kind: string, result: string, seconds: number, warnings: number): void {
    // Kinds are the few the webhook is registered for; anything else is folded into "other".
    const k = /^[A-Za-z]{1,40}$/.test(kind) ? kind : 'other';
    const key = `${k}\u0000${result}`;
    this.reviews.set(key, (this.reviews.get(key) ?? 0) + 1);
    this.count += 1;
    this.sum += seconds;
    REVIEW_BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.buckets[i] = (this.buckets[i] ?? 0) + 1;
    });
    this.warnings += warnings;
  }

  badRequest(): void {
    this.badRequests += 1;
  }

  render(version: string): string {
    const lines = [
      '# HELP kubehooks_build_info kubehooks version.',
      '# TYPE kubehooks_build_info gauge',
      `kubehooks_build_info{version="${labelValue(version)}"} 1`,
      '# HELP kubehooks_admission_reviews_total AdmissionReviews answered, by object kind and result (allowed, warned, denied).',
      '# TYPE kubehooks_admission_reviews_total counter',
    ];
    for (const [key, n] of [...this.reviews].sort()) {
      const [kind = '', result = ''] = key.split('\u0000');
      lines.push(`kubehooks_admission_reviews_total{kind="${labelValue(kind)}",result="${labelValue(result)}"} ${n}`);
    }
    lines.push(
      '# HELP kubehooks_admission_warnings_total Warnings returned to the API server.',
      '# TYPE kubehooks_admission_warnings_total counter',
      `kubehooks_admission_warnings_total ${this.warnings}`,
      '# HELP kubehooks_admission_bad_requests_total Requests to /validate that were not an AdmissionReview.',
      '# TYPE kubehooks_admission_bad_requests_total counter',
      `kubehooks_admission_bad_requests_total ${this.badRequests}`,
      '# HELP kubehooks_admission_review_duration_seconds Time from the request body received to the response written.',
      '# TYPE kubehooks_admission_review_duration_seconds histogram',
    );
    REVIEW_BUCKETS.forEach((le, i) => {
      lines.push(`kubehooks_admission_review_duration_seconds_bucket{le="${le}"} ${this.buckets[i] ?? 0}`);
    });
    lines.push(
      `kubehooks_admission_review_duration_seconds_bucket{le="+Inf"} ${this.count}`,
      `kubehooks_admission_review_duration_seconds_sum ${this.sum}`,
      `kubehooks_admission_review_duration_seconds_count ${this.count}`,
    );
    return lines.join('\n') + '\n';
  }
}
