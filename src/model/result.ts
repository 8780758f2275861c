import type { HookPhase, HookSource } from './hook.ts';

/** The three `run` kinds: backup pre and post hooks, post-restore exec hooks. */
export type RunKind = 'pre-backup' | 'post-backup' | 'post-restore';

export type HookStatus = 'succeeded' | 'failed' | 'timed-out' | 'not-run';

/** The outcome of one planned hook. Every planned hook gets exactly one. */
export interface HookResult {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly source: HookSource;
  readonly name: string;
  readonly phase: HookPhase;
  readonly index: number;
  readonly status: HookStatus;
  /** null when the command did not run to an exit status (not-run, timed-out, transport failure). */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** true when stdout or stderr hit the capture cap. */
  readonly truncated: boolean;
  /** ISO-8601 time the exec started; null when it never started. */
  readonly startedAt: string | null;
  readonly durationMs: number | null;
  /** Why it failed, timed out or did not run; null on success. */
  readonly reason: string | null;
  /** Stable machine code for the reason, e.g. `wait-timeout`, `exec-timeout`, `non-zero-exit`. */
  readonly reasonCode?: string;
}

/** Velero-compatible counts: attempted = hooks selected for execution, failed = hooks whose outcome is a failure. */
import type { ConcurrencyReport } from '../run/adaptive-limit.ts';

export interface RunSummary {
  readonly attempted: number;
  readonly failed: number;
  /** What the adaptive concurrency limit did (absent with a fixed limit); ADR 0007. */
  readonly concurrency?: ConcurrencyReport | undefined;
}

export interface RunReport {
  readonly summary: RunSummary;
  readonly results: readonly HookResult[];
}
