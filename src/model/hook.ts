/** Where a hook was declared: pod annotations or the Backup/Restore `spec.hooks`. Velero's exact strings. */
export type HookSource = 'annotation' | 'spec';

/**
 * Velero's error modes. Anything else in an annotation is treated as unset. `FailBlock` exists only
 * on Velero 1.19 (PR #10177; see src/velero/profiles.ts): a failed pre hook skips its whole ItemBlock.
 */
export type OnError = 'Continue' | 'Fail' | 'FailBlock';

/**
 * When a hook runs. Backup hooks are `pre` or `post`; restore hooks (exec and init) are `restore`.
 * (Velero's tracker uses "" for restore hooks and logs them as "post"; we name them for what they are.)
 */
export type HookPhase = 'pre' | 'post' | 'restore';

/** The name Velero gives every annotation hook in messages and in the restore tracker. */
export const ANNOTATION_HOOK_NAME = '<from-annotation>';

/** Velero's executor default exec timeout (30s), in milliseconds. */
export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

/** Velero main caps exec timeouts at 4h. */
export const MAX_EXEC_TIMEOUT_MS = 4 * 60 * 60 * 1000;

/**
 * The settings of an exec hook as declared (after Velero's parsing rules), before defaults are
 * resolved: one value object from the annotation or spec reader to the planned hook (where
 * velero/rules.ts resolveExecSettings fills in the defaults). Durations are milliseconds (may be
 * fractional: Go durations have nanosecond precision); 0 means "not set" exactly like Velero's zero
 * value.
 */
export interface ExecHookSettings {
  /** undefined = not set (Velero then behaves as Continue). */
  readonly onError: OnError | undefined;
  readonly execTimeoutMs: number;
  /** Restore exec hooks only; 0 = no own deadline. Negative values are kept (Velero: expired at once). */
  readonly waitTimeoutMs: number;
  /** Restore exec hooks only. */
  readonly waitForReady: boolean;
}

/** Every setting unset: what a reader starts from. Its keys are the list of settings. */
export const UNSET_EXEC_SETTINGS: ExecHookSettings = { onError: undefined, execTimeoutMs: 0, waitTimeoutMs: 0, waitForReady: false };

const SETTING_KEYS = Object.keys(UNSET_EXEC_SETTINGS) as readonly (keyof ExecHookSettings)[];

/** Just the settings of a hook (a DeclaredExecHook or PlannedHook carries more). */
export function execSettingsOf(hook: ExecHookSettings): ExecHookSettings {
  return Object.fromEntries(SETTING_KEYS.map((key) => [key, hook[key]])) as unknown as ExecHookSettings;
}

/** An exec hook as declared: where it comes from, where and what it runs, and its settings. */
export interface DeclaredExecHook extends ExecHookSettings {
  readonly source: HookSource;
  /** Spec entry name, or ANNOTATION_HOOK_NAME for annotation hooks. */
  readonly name: string;
  /** 0-based index in the spec list (`pre`, `post`, `postHooks` — init entries count); 0 for annotations. */
  readonly index: number;
  /** Container as written; undefined = first container of the pod. */
  readonly container: string | undefined;
  readonly command: readonly string[];
}

/** A container spec as Kubernetes accepts it; only the fields we read are typed. */
export interface ContainerSpec {
  readonly name: string;
  readonly image?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly [field: string]: unknown;
}

/** A restore init hook as declared: one or more init containers to inject. */
export interface DeclaredInitHook {
  readonly source: HookSource;
  readonly name: string;
  readonly index: number;
  readonly initContainers: readonly ContainerSpec[];
}
