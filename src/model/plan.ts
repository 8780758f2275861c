import type { ContainerSpec, HookPhase, HookSource, OnError } from './hook.ts';
import type { SkipCode } from './skip.ts';

/** One hook, bound to one pod and container, with every default resolved. Serialisable as is. */
export interface PlannedHook {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly type: 'exec' | 'init';
  readonly source: HookSource;
  readonly name: string;
  readonly phase: HookPhase;
  readonly index: number;
  readonly command: readonly string[];
  /** Resolved: unset becomes Continue (what Velero does, whatever its docs say). */
  readonly onError: OnError;
  readonly execTimeoutMs: number;
  /** 0 = no per-hook wait deadline (the run's overall deadline still applies). */
  readonly waitTimeoutMs: number;
  readonly waitForReady: boolean;
  /** Init hooks only: the container that will be injected. */
  readonly initContainer?: ContainerSpec;
}

/** A pod that gets no hook, and why: a stable code for programs and one sentence a person can act on. */
export interface SkippedPod {
  readonly namespace: string;
  readonly pod: string;
  readonly reason: string;
  readonly code: SkipCode;
}

/** Hooks in execution order: by pod, then container, then Velero's order within the container. */
export interface Plan {
  readonly hooks: readonly PlannedHook[];
  readonly skipped: readonly SkippedPod[];
}
