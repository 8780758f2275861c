import type { RunReport } from '../model/result.ts';

export interface RunJsonOptions {
  /** Drop captured stdout/stderr (`--no-output`): they become "" and `truncated` false. */
  readonly omitOutput?: boolean;
}

/**
 * The `--output json` contract: `{"summary":{"attempted","failed"},"results":[...]}` with the fields in
 * a fixed order (reasonCode is an addition after `reason`, present when the hook did not succeed;
 * `summary.concurrency` is an addition, present when the limit adapted: ADR 0007).
 */
export function renderRunJson(report: RunReport, options: RunJsonOptions = {}): string {
  const omit = options.omitOutput === true;
  const results = report.results.map((r) => ({
    namespace: r.namespace,
    pod: r.pod,
    container: r.container,
    source: r.source,
    name: r.name,
    phase: r.phase,
    index: r.index,
    status: r.status,
    exitCode: r.exitCode,
    stdout: omit ? '' : r.stdout,
    stderr: omit ? '' : r.stderr,
    truncated: omit ? false : r.truncated,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    reason: r.reason,
    ...(r.reasonCode === undefined ? {} : { reasonCode: r.reasonCode }),
  }));
  const { concurrency } = report.summary;
  const summary = { attempted: report.summary.attempted, failed: report.summary.failed, ...(concurrency === undefined ? {} : { concurrency }) };
  return JSON.stringify({ summary, results }, null, 2) + '\n';
}
