/**
 * The small interfaces the runners need from the outside world. src/kube implements them against a
 * real API server; tests implement them in memory. Nothing here imports @kubernetes/client-node.
 */
import type { PodManifest } from '../model/pod.ts';
import type { OwnerKind, OwnerObject } from '../plan/from-restore.ts';

// ---------- exec ----------

/** Output captured per stream when a request does not say (design: 1 MiB, then `truncated`). */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

export interface ExecRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  /** argv exactly as planned; never run through a shell. */
  readonly command: readonly string[];
  /** Exec deadline; on expiry the stream is closed and the outcome is `timed-out`. */
  readonly timeoutMs: number;
  /** Per-stream capture cap in bytes; excess is dropped and `truncated` set. 0 or less = the default 1 MiB. */
  readonly maxOutputBytes: number;
  readonly signal: AbortSignal;
}

/** Why an exec could not produce an exit status. Stable codes, one per failure kind. */
export type ExecErrorCode =
  | 'no-such-container'
  | 'container-not-running'
  | 'pod-not-found'
  | 'pod-not-running'
  | 'forbidden'
  | 'unauthorized'
  | 'unreachable'
  | 'stream-closed'
  | 'remote-error'
  | 'aborted';

export interface ExecOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly startedAt: Date;
  readonly durationMs: number;
}

export type ExecOutcome =
  /** The command ran to an exit status (0 = success). */
  | (ExecOutput & { readonly kind: 'exited'; readonly exitCode: number; readonly message: string })
  /** Our exec deadline passed; the stream was closed. */
  | (ExecOutput & { readonly kind: 'timed-out'; readonly message: string })
  /** The exec never produced an exit status. */
  | (ExecOutput & { readonly kind: 'error'; readonly code: ExecErrorCode; readonly message: string });

export interface PodExecutor {
  /** Never rejects for expected failures: they are outcomes. Rejects only on programming errors. */
  exec(request: ExecRequest): Promise<ExecOutcome>;
}

// ---------- pods ----------

export interface PodScope {
  /** Namespaces to watch; empty = all namespaces (one cluster-wide watch). */
  readonly namespaces: readonly string[];
  /** Label selector in Kubernetes string form (`app=db,tier!=cache`), or undefined. */
  readonly labelSelector?: string;
}

export type PodEvent =
  | { readonly type: 'upsert'; readonly pod: PodManifest }
  /**
   * A delete seen on the watch carries the last state; one detected by a relist after 410 Gone
   * carries identity only (name, namespace, uid, resourceVersion, labels, `spec.containers: []`).
   */
  | {
      readonly type: 'deleted';
      readonly pod: PodManifest;
      /**
       * True for a delete inferred from a relist (the pod was missing from the new list): it may have
       * been deleted or have left the label selector meanwhile, which a relist cannot tell apart.
       */
      readonly relisted?: boolean;
    };

/** Watch lifecycle, for progress and diagnostics (not needed for correctness). */
export type WatchLifecycle =
  | { readonly type: 'listed'; readonly namespace: string | undefined; readonly count: number }
  | { readonly type: 'reconnecting'; readonly namespace: string | undefined; readonly reason: string; readonly attempt: number }
  | { readonly type: 'relisting'; readonly namespace: string | undefined; readonly reason: string };

export interface PodWatchHandlers {
  /** Called for every pod of the initial list and every later change, in order per namespace. */
  readonly onEvent: (event: PodEvent) => void;
  readonly onLifecycle?: (event: WatchLifecycle) => void;
}

export interface PodWatcher {
  /**
   * Lists then watches pods in scope (one watch per namespace, or one cluster-wide), resuming after
   * disconnects and relisting on 410 Gone (emitting upserts/deletes for what changed meanwhile).
   * Resolves when `signal` aborts. Rejects when the error is not retryable (forbidden, unauthorized,
   * kubeconfig), when the first list fails its bounded attempts (API unreachable or timing out: a
   * wrong server must not make a run without deadline wait forever), or when a handler throws.
   */
  run(scope: PodScope, handlers: PodWatchHandlers, signal: AbortSignal): Promise<void>;
}

export interface PodLister {
  list(scope: PodScope, signal: AbortSignal): Promise<readonly PodManifest[]>;
}

// ---------- events ----------

export interface PodEventRecord {
  readonly namespace: string;
  readonly pod: string;
  readonly podUid?: string;
  readonly type: 'Normal' | 'Warning';
  /** `HookSucceeded` | `HookFailed` | `HookTimedOut` | `HookNotRun` */
  readonly reason: string;
  readonly message: string;
  /** Labels on the Event (the quiesce window's `kubehooks.dev/run-id`, ADR 0018). */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface EventRecorder {
  /** Best effort: failures are reported through the returned promise's value, never thrown. */
  record(event: PodEventRecord, signal: AbortSignal): Promise<{ readonly ok: boolean; readonly error?: string }>;
}

// ---------- time ----------

/** Injected clock so runner logic is testable with a fake clock. */
export interface Clock {
  now(): number;
  /** Resolves after `ms` or rejects with the signal's reason when aborted; the timer is always cleared. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

// ---------- a Restore and the workloads it created (--from-restore, ADR 0021) ----------

export interface RestoreReader {
  /** A velero.io/v1 Restore as the API server returns it; undefined when it does not exist. */
  getRestore(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined>;
  /** The Restore's Backup (same namespace), to narrow "every namespace" to those it backed up; optional. */
  getBackup?(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined>;
}

export interface OwnerLister {
  /** Every object of one owner kind in one namespace (one paged list, never a GET per pod). */
  listOwners(kind: OwnerKind, namespace: string, signal: AbortSignal): Promise<readonly OwnerObject[]>;
}
