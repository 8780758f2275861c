import type { ContainerSpec, ExecHookSettings, HookPhase, HookSource, OnError } from './hook.ts';
import type { SkipCode } from './skip.ts';
import type { HookInjector } from '../velero/kubevirt.ts';
import type { VeleroVersion } from '../velero/profiles.ts';

/**
 * What Velero of the plan's version profile (`--velero-version`) does with a planned hook, beside what
 * kubehooks does (the hook's own fields). `plan --output json` prints it as `hooks[].velero`.
 */
export interface VeleroView {
  readonly version: VeleroVersion;
  /** The exec timeout Velero applies; null = none at all (1.18.x with a negative value; init hooks). */
  readonly execTimeoutMs: number | null;
  /** The onError value Velero acts on. */
  readonly onError: OnError;
  /** false: Velero fails or discards this hook without running its command. */
  readonly runs: boolean;
  /** Where this Velero behaves differently from kubehooks or from the other version, one sentence each. */
  readonly notes: readonly string[];
}

/** An exec hook's settings with every default resolved (velero/rules.ts resolveExecSettings). */
export interface PlannedHookSettings extends Omit<ExecHookSettings, 'onError'> {
  /** Resolved: unset becomes Continue (what Velero does, whatever its docs say). */
  readonly onError: OnError;
}

/** One hook, bound to one pod and container, with every default resolved. Serialisable as is. */
export interface PlannedHook extends PlannedHookSettings {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly type: 'exec' | 'init';
  readonly source: HookSource;
  readonly name: string;
  readonly phase: HookPhase;
  readonly index: number;
  readonly command: readonly string[];
  /** Init hooks only: the container that will be injected. */
  readonly initContainer?: ContainerSpec;
  /** Set when a platform put the hook there, not the user (KubeVirt's virt-freezer annotations). */
  readonly injectedBy?: HookInjector;
  /** Velero's behaviour under the plan's version profile (set by the planners). */
  readonly velero?: VeleroView;
  /**
   * kubehooks' stage (ADR 0019), backup hooks only: set on every hook of a plan in which any hook
   * declares one (`kubehooks.dev/stage`, a spec entry's `stage`); 0 for the hooks that declare none.
   * Absent in a plan without stages.
   */
  readonly stage?: number;
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
  /** The Velero version profile the plan describes (`--velero-version`); planners always set it. */
  readonly veleroVersion?: VeleroVersion;
}
