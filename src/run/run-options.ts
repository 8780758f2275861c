import pLimit from 'p-limit';
import type { HookResult } from '../model/result.ts';
import { createAdaptiveLimiter, DEFAULT_ADAPTIVE_MAX, type CallOutcome, type ConcurrencyReport } from './adaptive-limit.ts';
import type { Limiter, RecordedResult } from './exec-hook.ts';
import type { Clock, EventRecorder, PodExecutor } from './ports.ts';
import type { EventSubject } from './events.ts';
import type { EventGrouping } from './event-summary.ts';
import type { RunProgress } from './progress.ts';
import type { RunJournal } from './recorder.ts';

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_EVENT_GRACE_MS = 5_000;

/** What every runner needs: the world (ports, clock, limiter) and the knobs. */
export interface RunOptions {
  readonly executor: PodExecutor;
  readonly clock: Clock;
  /** Aborting ends the run: in-flight execs are closed, pending hooks become not-run (`aborted`). */
  readonly signal: AbortSignal;
  /** Kubernetes Events on pods; undefined = none (`--no-events`). */
  readonly events?: EventRecorder | undefined;
  /** The Backup/Restore the Events name (issue 12); undefined = annotation hooks only. */
  readonly eventSubject?: EventSubject | undefined;
  /**
   * `per-pod` (default): one Normal Event per pod and phase for its hooks that succeeded, written when
   * its last hook ends, and a Warning Event per hook that did not succeed, as it ends (ADR 0023).
   * `per-hook`: one Event per hook result (ADR 0022's behaviour).
   */
  readonly eventGrouping?: EventGrouping | undefined;
  /**
   * Global limit on concurrent execs (default 8); ignored when `limit` is given. With
   * `adaptiveConcurrency` it is the hard maximum (default DEFAULT_ADAPTIVE_MAX).
   */
  readonly concurrency?: number | undefined;
  /** Let the limit adapt to exec latency and errors within [2, concurrency] (ADR 0007). */
  readonly adaptiveConcurrency?: boolean | undefined;
  /** A shared limiter, e.g. one p-limit for several runs. */
  readonly limit?: Limiter | undefined;
  /** Overall deadline from the start of the run; undefined or 0 = none. */
  readonly deadlineMs?: number | undefined;
  /** Per-stream output cap (default 1 MiB; `OMITTED_OUTPUT_MAX_BYTES` when the output is not shown). */
  readonly maxOutputBytes?: number | undefined;
  /** How long to wait for outstanding Events at the end (default 5s). */
  readonly eventGraceMs?: number | undefined;
  readonly onProgress?: ((progress: RunProgress) => void) | undefined;
  readonly onResult?: ((result: HookResult) => void) | undefined;
  /** Called for each Event that could not be recorded (the hooks' outcomes are unaffected). */
  readonly onEventFailure?: ((error: string) => void) | undefined;
  /** Told of each hook's start before its exec, which waits for it (a durable record; ADR 0009). */
  readonly journal?: RunJournal | undefined;
}

export interface RunLimiter {
  readonly limit: Limiter;
  /** The adaptive limit's report, or undefined for a fixed or shared limiter. */
  readonly report: () => ConcurrencyReport | undefined;
}

export function limiterFor(options: RunOptions): RunLimiter {
  if (options.limit !== undefined) return { limit: options.limit, report: () => undefined };
  const valid = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n >= 1;
  if (options.adaptiveConcurrency === true) {
    const max = valid(options.concurrency) ? options.concurrency : DEFAULT_ADAPTIVE_MAX;
    const adaptive = createAdaptiveLimiter({ max, now: () => options.clock.now(), classify: classifyExec, latencyOf: execLatency });
    return { limit: adaptive.limit, report: () => adaptive.report() };
  }
  const limit = pLimit(valid(options.concurrency) ? options.concurrency : DEFAULT_CONCURRENCY);
  return { limit: (fn) => limit(fn), report: () => undefined };
}

/** Failures of the stack (not of the command) that make the adaptive limit back off. */
const STACK_ERRORS: ReadonlySet<string> = new Set(['unreachable', 'stream-closed', 'remote-error']);
/** Outcomes whose duration is not the exec's latency: the command's own timeout, a stop of the run. */
const NOT_A_SAMPLE: ReadonlySet<string> = new Set(['exec-timeout', 'deadline', 'aborted']);

/** How an exec's RecordedResult (undefined: not started) feeds the adaptive limit. */
export function classifyExec(value: unknown): CallOutcome {
  const code = (value as RecordedResult | undefined)?.result.reasonCode;
  if (value === undefined || (code !== undefined && NOT_A_SAMPLE.has(code))) return 'ignore';
  return code !== undefined && STACK_ERRORS.has(code) ? 'error' : 'ok';
}

/** An exec's own duration (`durationMs`, open to Status), not its time in the slot around it. */
export function execLatency(value: unknown): number | undefined {
  const ms = (value as RecordedResult | undefined)?.result.durationMs;
  return typeof ms === 'number' && Number.isFinite(ms) ? ms : undefined;
}

/** The runner's report with the limiter's figures added to its summary (only when it adapted). */
export function withConcurrency<R extends { readonly summary: object }>(report: R, concurrency: ConcurrencyReport | undefined): R {
  return concurrency === undefined ? report : { ...report, summary: { ...report.summary, concurrency } };
}

/**
 * The per-stream capture cap for a run whose output is left out of the report (`--no-output`): a
 * small excerpt instead of up to 1 MiB per stream and hook held in memory. `truncated` still says
 * whether the command wrote more.
 */
export const OMITTED_OUTPUT_MAX_BYTES = 4 * 1024;
