/**
 * The HookRun API (`hookruns.kubehooks.dev/v1alpha1`) as TypeScript types. The CRD schema that the
 * API server enforces is built in hookrun-crd.ts; these types describe the same objects. Pure.
 */
import type { HookResult } from '../model/result.ts';
import type { SkipCode } from '../model/skip.ts';

export const HOOKRUN_GROUP = 'kubehooks.dev';
export const HOOKRUN_VERSION = 'v1alpha1';
export const HOOKRUN_API_VERSION = `${HOOKRUN_GROUP}/${HOOKRUN_VERSION}`;
export const HOOKRUN_KIND = 'HookRun';
export const HOOKRUN_PLURAL = 'hookruns';
export const HOOKRUN_CRD_NAME = `${HOOKRUN_PLURAL}.${HOOKRUN_GROUP}`;

/** Which hooks a HookRun runs: the same three kinds as `kubehooks run`. */
export const HOOKRUN_PHASES = ['pre-backup', 'post-backup', 'post-restore'] as const;
export type HookRunPhase = (typeof HOOKRUN_PHASES)[number];

/**
 * status.phase (Kubernetes conventions: a small, closed state set; the conditions carry the detail).
 * Pending: accepted or not yet looked at, no hook started. Running: the plan is recorded, hooks run.
 * Succeeded: every planned hook has a result and none failed. Failed: a hook failed, or the run could
 * not be done at all (invalid hook source, a reference that does not resolve); see the conditions.
 */
export const HOOKRUN_STATUS_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type HookRunStatusPhase = (typeof HOOKRUN_STATUS_PHASES)[number];

/**
 * status.results[].status: the statuses of `run -o json`, plus `pending` (planned, not started) and
 * `running` (started, no result yet).
 */
export const HOOKRUN_RESULT_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'timed-out', 'not-run'] as const;
export type HookRunResultStatus = (typeof HOOKRUN_RESULT_STATUSES)[number];

export interface ObjectRef {
  /** Defaults to the HookRun's own namespace. */
  readonly namespace?: string;
  readonly name: string;
}

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[];
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface HookRunSpec {
  readonly phase: HookRunPhase;
  /** An inline velero.io/v1 Backup (or Schedule), read by the CLI's parser. */
  readonly backup?: Record<string, unknown>;
  /** An inline velero.io/v1 Restore. */
  readonly restore?: Record<string, unknown>;
  readonly backupRef?: ObjectRef;
  readonly restoreRef?: ObjectRef;
  /** Namespaces to act in (the CLI's -n); empty = the namespaces the Backup/Restore names. */
  readonly namespaces?: readonly string[];
  /** Only pods matching it (the CLI's -l). */
  readonly selector?: LabelSelector;
  /** Most hook commands at once (the CLI's --concurrency); unset = adaptive, up to 64. */
  readonly concurrency?: number;
  /** Go duration from status.startTime (the CLI's --deadline); unset = 10m for post-restore, none for backups. */
  readonly deadline?: string;
  readonly noAnnotationHooks?: boolean;
  /** Leave command output out of status.results (the CLI's --no-output). */
  readonly noOutput?: boolean;
  readonly allowNamespaces?: readonly string[];
  readonly denyNamespaces?: readonly string[];
}

/** metav1.Condition. */
export interface HookRunCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly observedGeneration?: number;
  readonly lastTransitionTime: string;
  readonly reason: string;
  readonly message: string;
}

/**
 * One entry of status.results: the fields of `run -o json`'s results[] (HookResult), output as capped
 * tails, so `truncated` also means "more than the status tail shows". Status adds pending and running.
 */
export interface HookRunResult extends Omit<HookResult, 'status'> {
  readonly status: HookRunResultStatus;
}

export interface HookRunSkipped {
  readonly namespace: string;
  readonly pod: string;
  readonly code: SkipCode;
  readonly reason: string;
}

export interface HookRunSummary {
  /** Velero's hooksAttempted: planned hooks. */
  readonly attempted: number;
  /** Velero's hooksFailed. */
  readonly failed: number;
  readonly succeeded: number;
  /** Started, no result yet. */
  readonly running: number;
  /** Planned, not started yet. */
  readonly pending: number;
  /** Pods that get no hook (all of them, also those left out of skipped[] by its cap). */
  readonly skipped: number;
}

export interface PlannedPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

export interface HookRunStatus {
  readonly phase?: HookRunStatusPhase;
  readonly observedGeneration?: number;
  readonly conditions?: readonly HookRunCondition[];
  readonly startTime?: string;
  readonly completionTime?: string;
  readonly summary?: HookRunSummary;
  /** The pods planned at the start: after a restart only these are considered. */
  readonly plannedPods?: readonly PlannedPod[];
  /** Bytes kept of each stream's tail in results[] for this run (see OUTPUT_TAIL_*). */
  readonly outputTailBytes?: number;
  readonly results?: readonly HookRunResult[];
  readonly skipped?: readonly HookRunSkipped[];
  /** Which controller process wrote the status last (its journal identity). */
  readonly holder?: string;
  /** metadata.uid of the run's HookRunJournal (ADR 0024), recorded with the plan; the journal is created first. */
  readonly journalUID?: string;
}

export interface HookRun {
  readonly apiVersion: typeof HOOKRUN_API_VERSION;
  readonly kind: typeof HOOKRUN_KIND;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly uid?: string;
    readonly generation?: number;
    readonly resourceVersion?: string;
    readonly creationTimestamp?: string;
    readonly [key: string]: unknown;
  };
  readonly spec: HookRunSpec;
  readonly status?: HookRunStatus;
}

/**
 * What the controller's HookRun watch delivers (a metadata-only watch: PartialObjectMetadata): enough
 * to tell a new object or a change from one already read, without the status (up to ~1 MiB) that
 * every status write would otherwise send back.
 */
export type HookRunMeta = Pick<HookRun['metadata'], 'name' | 'namespace' | 'uid' | 'generation' | 'resourceVersion'>;

// ---------- the size caps that keep a HookRun far below etcd's object size limit (1.5 MiB) ----------

/** Each stream's tail in status.results is at most this many bytes (as stored: JSON-encoded UTF-8)... */
export const OUTPUT_TAIL_MAX_BYTES = 1024;
/** ...all tails of one HookRun together aim at this many: per stream min(1 KiB, max(64, 128 KiB / (2 × hooks)))... */
export const OUTPUT_TAIL_BUDGET_BYTES = 128 * 1024;
/** ...and never fewer than this many per stream (a run whose status could not hold that is refused). */
export const OUTPUT_TAIL_MIN_BYTES = 64;
/** A reason in status.results is cut to at most this many bytes (as stored)... */
export const REASON_MAX_BYTES = 512;
/** ...and for large runs to min(512, max(64, 128 KiB / hooks)). */
export const REASON_BUDGET_BYTES = 128 * 1024;
export const REASON_MIN_BYTES = 64;
/** status.skipped keeps the first this-many pods; summary.skipped counts them all. */
export const SKIPPED_MAX_ENTRIES = 100;
/** A HookRun plans at most this many hooks (status.results holds one entry per hook). */
export const MAX_HOOKS_PER_RUN = 2500;
/**
 * What the whole HookRun (metadata, spec, status with every result at its caps) may take by the
 * controller's estimate before it starts; beyond, the run is refused (TooManyHooks). etcd refuses
 * objects over 1.5 MiB: the rest is margin.
 */
export const STATUS_BUDGET_BYTES = 1.25 * 1024 * 1024;

/** The per-stream tail cap for a run of `hooks` hooks. */
export function outputTailBytes(hooks: number): number {
  if (hooks <= 0) return OUTPUT_TAIL_MAX_BYTES;
  return Math.min(OUTPUT_TAIL_MAX_BYTES, Math.max(OUTPUT_TAIL_MIN_BYTES, Math.floor(OUTPUT_TAIL_BUDGET_BYTES / (2 * hooks))));
}

/** The reason cap for a run of `hooks` hooks. */
export function reasonBytes(hooks: number): number {
  if (hooks <= 0) return REASON_MAX_BYTES;
  return Math.min(REASON_MAX_BYTES, Math.max(REASON_MIN_BYTES, Math.floor(REASON_BUDGET_BYTES / hooks)));
}

/** ADR 0024: the small object that carries a HookRun's durable starts and outcomes (one per HookRun, same name). */
export const HOOKRUNJOURNAL_KIND = 'HookRunJournal';
export const HOOKRUNJOURNAL_PLURAL = 'hookrunjournals';
export const HOOKRUNJOURNAL_CRD_NAME = `${HOOKRUNJOURNAL_PLURAL}.${HOOKRUN_GROUP}`;
export const JOURNAL_OUTCOME_STATUSES = ['succeeded', 'failed', 'timed-out', 'not-run'] as const;

/** A hook's outcome as the journal keeps it: no output (that goes to the HookRun status). */
export interface HookRunJournalOutcome {
  readonly status: (typeof JOURNAL_OUTCOME_STATUSES)[number];
  readonly exitCode: number | null;
  readonly durationMs: number | null;
  readonly reasonCode?: string;
}

/** A hook whose start is durable (and whose final result the HookRun status may lack). */
export interface HookRunJournalEntry {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly source: HookResult['source'];
  readonly name: string;
  readonly phase: HookResult['phase'];
  readonly index: number;
  readonly startedAt: string;
  readonly outcome?: HookRunJournalOutcome;
}

export interface HookRunJournal {
  readonly apiVersion: typeof HOOKRUN_API_VERSION;
  readonly kind: typeof HOOKRUNJOURNAL_KIND;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly ownerReferences?: readonly { readonly apiVersion: string; readonly kind: string; readonly name: string; readonly uid: string; readonly controller?: boolean }[];
    readonly [key: string]: unknown;
  };
  readonly spec: {
    /** The HookRun this journal belongs to (a journal left by a deleted HookRun of the same name is not ours). */
    readonly hookRunUID: string;
    /** The controller process that wrote it last (status.holder's identity). */
    readonly holder: string;
    readonly entries: readonly HookRunJournalEntry[];
  };
}
