import pLimit from 'p-limit';
import type { HookResult } from '../model/result.ts';
import type { Limiter } from './exec-hook.ts';
import type { Clock, EventRecorder, PodExecutor } from './ports.ts';
import type { RunProgress } from './progress.ts';

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
  /** Global limit on concurrent execs (default 8); ignored when `limit` is given. */
  readonly concurrency?: number | undefined;
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
}

export function limiterFor(options: RunOptions): Limiter {
  if (options.limit !== undefined) return options.limit;
  const n = options.concurrency ?? DEFAULT_CONCURRENCY;
  const limit = pLimit(Number.isInteger(n) && n >= 1 ? n : DEFAULT_CONCURRENCY);
  return (fn) => limit(fn);
}

/**
 * The per-stream capture cap for a run whose output is left out of the report (`--no-output`): a
 * small excerpt instead of up to 1 MiB per stream and hook held in memory. `truncated` still says
 * whether the command wrote more.
 */
export const OMITTED_OUTPUT_MAX_BYTES = 4 * 1024;
