/**
 * `--from-restore NS/NAME` and HookRun `restoreRef` (ADR 0021), the I/O half: read the Restore from
 * the cluster, wait (bounded) until it has created its objects, let the workloads it restored create
 * their pods (a settle window: no new pod for `settleMs`), then list the owners the pods' chains need
 * (one list per kind per namespace). The rule itself is pure: src/plan/from-restore.ts.
 */
import type { PodManifest } from '../model/pod.ts';
import { ownerIndex, ownerListKey, restorePhaseVerdict, selectFromRestore, MAX_OWNER_DEPTH, type OwnerIndex, type OwnerObject } from '../plan/from-restore.ts';
import { scopeNamespaces } from '../plan/scope.ts';
import type { VeleroReadOptions } from '../velero/profiles.ts';
import { parseBackupObject, parseRestoreObject, type RestoreHooks } from '../velero/spec.ts';
import { includesExcludes } from '../select/glob.ts';
import { isRecord } from '../util/is-record.ts';
import type { Clock, OwnerLister, PodLister, PodScope, PodWatcher, RestoreReader } from './ports.ts';
import { waitForPods } from './wait-for-pods.ts';

/** How often the Restore's phase is read while waiting for it. */
export const RESTORE_POLL_MS = 1_000;
/** Default settle window: the run plans once no pod has appeared in the target namespaces for this long. */
export const DEFAULT_SETTLE_MS = 30_000;

export interface FromRestoreOptions {
  readonly restores: RestoreReader;
  readonly owners: OwnerLister;
  readonly watcher: PodWatcher;
  readonly lister: PodLister;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly namespace: string;
  readonly name: string;
  readonly readOptions?: VeleroReadOptions | undefined;
  /** Namespaces to act in (-n, spec.namespaces); empty = the Restore's target namespaces when it names them, else all. */
  readonly namespaces?: readonly string[] | undefined;
  readonly labelSelector?: string | undefined;
  /** Bounds the wait for the Restore and the settle window together; undefined = none (the caller should set one). */
  readonly deadlineMs: number | undefined;
  readonly settleMs: number;
  readonly pollMs?: number;
  /** Progress lines for a person (waiting for phase X, settling). */
  readonly onStatus?: ((message: string) => void) | undefined;
}

export type FromRestoreOutcome =
  | {
      readonly kind: 'ready';
      readonly restore: RestoreHooks;
      readonly phase: string;
      /** What was watched and listed. */
      readonly scope: PodScope;
      readonly pods: readonly PodManifest[];
      readonly owners: OwnerIndex;
      /** Time spent waiting for the Restore and settling. */
      readonly waitedMs: number;
    }
  | { readonly kind: 'not-found'; readonly message: string }
  | { readonly kind: 'failed'; readonly phase: string; readonly message: string }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'timeout'; readonly phase: string; readonly message: string }
  | { readonly kind: 'aborted' };

/** Reads the Restore until it has created its objects (or failed, or the deadline passed). */
async function waitForRestore(o: FromRestoreOptions, deadline: number | undefined): Promise<{ raw: Record<string, unknown>; phase: string } | Exclude<FromRestoreOutcome, { kind: 'ready' }>> {
  const what = `velero.io/v1 Restore ${o.namespace}/${o.name}`;
  let announced: string | undefined;
  for (;;) {
    if (o.signal.aborted) return { kind: 'aborted' };
    const raw = await o.restores.getRestore(o.namespace, o.name, o.signal);
    if (raw === undefined) return { kind: 'not-found', message: `no ${what} in the cluster (kubectl get restores.velero.io -n ${o.namespace} lists them)` };
    const verdict = restorePhaseVerdict(raw);
    if (verdict.kind === 'ready') return { raw, phase: verdict.phase };
    if (verdict.kind === 'failed') return { kind: 'failed', phase: verdict.phase, message: `${what}: ${verdict.message}` };
    const phase = verdict.phase === '' ? 'New' : verdict.phase;
    if (announced !== phase) {
      o.onStatus?.(`waiting for ${what} to create its objects (phase ${phase})`);
      announced = phase;
    }
    const now = o.clock.now();
    if (deadline !== undefined && now >= deadline) {
      return { kind: 'timeout', phase, message: `${what} is still ${phase} at the deadline: it has not created its objects yet (raise --deadline, or run again once it is Completed)` };
    }
    const pause = Math.min(o.pollMs ?? RESTORE_POLL_MS, deadline === undefined ? Infinity : deadline - now);
    try {
      await o.clock.sleep(pause, o.signal);
    } catch {
      return { kind: 'aborted' };
    }
  }
}

/**
 * Lists the owners the pods' chains need, level by level: each (namespace, kind) at most once.
 * Only namespaces and kinds that some pod's chain reaches are listed.
 */
export async function loadOwners(restore: RestoreHooks, pods: readonly PodManifest[], lister: OwnerLister, signal: AbortSignal): Promise<OwnerIndex> {
  const lists = new Map<string, readonly OwnerObject[]>();
  const index = ownerIndex(lists);
  for (let level = 0; level <= MAX_OWNER_DEPTH; level++) {
    const { needs } = selectFromRestore(restore, pods, index);
    const missing = needs.filter((n) => !lists.has(ownerListKey(n.namespace, n.kind)));
    if (missing.length === 0) break;
    const listed = await Promise.all(missing.map(async (n) => [ownerListKey(n.namespace, n.kind), await lister.listOwners(n.kind, n.namespace, signal)] as const));
    for (const [key, items] of listed) lists.set(key, items);
  }
  return index;
}

/**
 * A Restore that names no namespaces restores every namespace of its Backup: when the Backup names
 * its namespaces by plain name, those (less the Restore's excludes, after namespaceMapping) are the
 * target namespaces; undefined = every namespace (no Backup to read, a Schedule, or patterns). A
 * Backup that cannot be read only widens the watch, so its errors are not fatal.
 */
async function backupTargets(o: FromRestoreOptions, raw: Record<string, unknown>, restore: RestoreHooks): Promise<string[] | undefined> {
  const spec = isRecord(raw['spec']) ? raw['spec'] : {};
  const backupName = spec['backupName'];
  if (o.restores.getBackup === undefined || typeof backupName !== 'string' || backupName === '') return undefined;
  let backupRaw: Record<string, unknown> | undefined;
  try {
    backupRaw = await o.restores.getBackup(o.namespace, backupName, o.signal);
  } catch {
    return undefined;
  }
  if (backupRaw === undefined) return undefined;
  const { backup } = parseBackupObject(backupRaw);
  if (backup === undefined) return undefined;
  const sources = scopeNamespaces(backup.scope);
  if (sources === undefined) return undefined;
  const mapping = restore.namespaceMapping;
  const kept = sources.filter((ns) => includesExcludes(restore.scope.includedNamespaces, restore.scope.excludedNamespaces, ns).included);
  return [...new Set(kept.map((ns) => (Object.hasOwn(mapping, ns) ? (mapping[ns] ?? ns) : ns)))].sort();
}

/** Waits for the Restore, settles, lists: everything `planFromRestore` needs. */
export async function prepareFromRestore(o: FromRestoreOptions): Promise<FromRestoreOutcome> {
  const started = o.clock.now();
  const deadline = o.deadlineMs === undefined ? undefined : started + o.deadlineMs;
  const waited = await waitForRestore(o, deadline);
  if (!('raw' in waited)) return waited;
  const { restore, issues } = parseRestoreObject(waited.raw, o.readOptions ?? {});
  const errors = issues.filter((i) => i.severity === 'error');
  if (restore === undefined || errors.length > 0) {
    const list = errors.slice(0, 5).map((i) => `${i.key === '' ? '' : `${i.key}: `}${i.message}`).join('; ');
    return { kind: 'invalid', message: `velero.io/v1 Restore ${o.namespace}/${o.name}: ${errors.length} error${errors.length === 1 ? '' : 's'} in its spec.hooks: ${list}${errors.length > 5 ? '; …' : ''}` };
  }
  const asked = o.namespaces ?? [];
  const namespaces = asked.length > 0 ? [...asked] : (scopeNamespaces(restore.scope, restore.namespaceMapping) ?? (await backupTargets(o, waited.raw, restore)) ?? []);
  const scope: PodScope = o.labelSelector === undefined ? { namespaces } : { namespaces, labelSelector: o.labelSelector };
  let pods: readonly PodManifest[];
  const left = deadline === undefined ? o.settleMs : Math.max(0, Math.min(o.settleMs * 4, deadline - o.clock.now()));
  if (o.settleMs > 0) {
    o.onStatus?.(`restore ${o.name} is ${waited.phase}; waiting until no new pod has appeared in ${namespaces.length === 0 ? 'any namespace' : namespaces.join(', ')} for ${Math.round(o.settleMs / 1000)}s`);
    // Bounded by the deadline and by 4 × the settle window: a namespace that never stops creating pods still gets its hooks.
    const settled = await waitForPods({ watcher: o.watcher, scope, clock: o.clock, signal: o.signal, timeoutMs: left, settleMs: o.settleMs, ready: () => true });
    if (o.signal.aborted) return { kind: 'aborted' };
    pods = settled.pods;
  } else pods = await o.lister.list(scope, o.signal);
  const owners = await loadOwners(restore, pods, o.owners, o.signal);
  return { kind: 'ready', restore, phase: waited.phase, scope, pods, owners, waitedMs: o.clock.now() - started };
}
