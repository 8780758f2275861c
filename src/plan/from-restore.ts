/**
 * `--from-restore` and HookRun `restoreRef` (ADR 0021): which live pods kubehooks runs a Restore's
 * post-restore exec hooks in. Velero runs them only in the pods it creates itself (labelled
 * `velero.io/restore-name=<restore>`); the pods that the workloads it restored create afterwards get
 * none. kubehooks takes exactly those: a pod without the label whose owner chain (ownerReferences up
 * through ReplicaSet → Deployment, Job → CronJob, StatefulSet, DaemonSet, ReplicationController)
 * ends at an object this Restore created. Every other pod gets a skip reason with a stable code.
 * Pure: the owners come in as an index the caller built (src/run/from-restore.ts lists them).
 */
import { createHash } from 'node:crypto';
import type { Plan, SkippedPod } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { SkipVerdict } from '../model/skip.ts';
import { includesExcludes } from '../select/glob.ts';
import { RESTORE_NAME_LABEL } from '../velero/scope.ts';
import type { RestoreHooks } from '../velero/spec.ts';
import { isRecord } from '../util/is-record.ts';
import { planRestoreDetailed } from './plan-restore.ts';
import type { PlanPolicy } from './policy.ts';
import { sourceNamespacesOf } from './scope.ts';

/** The owner kinds kubehooks follows, and where the API serves them (one list per kind per namespace). */
export const OWNER_KINDS = {
  ReplicaSet: { apiVersion: 'apps/v1', plural: 'replicasets' },
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments' },
  StatefulSet: { apiVersion: 'apps/v1', plural: 'statefulsets' },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets' },
  Job: { apiVersion: 'batch/v1', plural: 'jobs' },
  CronJob: { apiVersion: 'batch/v1', plural: 'cronjobs' },
  ReplicationController: { apiVersion: 'v1', plural: 'replicationcontrollers' },
} as const;
export type OwnerKind = keyof typeof OWNER_KINDS;

export function isOwnerKind(kind: string): kind is OwnerKind {
  return Object.hasOwn(OWNER_KINDS, kind);
}

/** An ownerReference, as much of it as the rule reads. */
export interface OwnerRef {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly name: string;
  readonly uid?: string;
  readonly controller?: boolean;
}

/** An owner object (a workload), as much of it as the rule reads. */
export interface OwnerObject {
  readonly kind: OwnerKind;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerRef[];
}

/** The owners listed so far, per namespace and kind. A kind not listed yet is `undefined`. */
export interface OwnerIndex {
  list(namespace: string, kind: OwnerKind): readonly OwnerObject[] | undefined;
}

/** An OwnerIndex over a map keyed `namespace/kind`. */
export function ownerIndex(lists: ReadonlyMap<string, readonly OwnerObject[]>): OwnerIndex {
  return { list: (namespace, kind) => lists.get(ownerListKey(namespace, kind)) };
}

export function ownerListKey(namespace: string, kind: OwnerKind): string {
  return `${namespace}/${kind}`;
}

/** How far up an owner chain is followed (Pod → ReplicaSet → Deployment is 2; a cycle stops here). */
export const MAX_OWNER_DEPTH = 8;

/**
 * The value of Velero's `velero.io/restore-name` label for a Restore name: the name itself when it is
 * a valid label value length (63), else its first 57 characters and 6 hex digits of its SHA-256
 * (Velero's label.GetValidName).
 */
export function restoreLabelValue(name: string): string {
  if (name.length <= 63) return name;
  return name.slice(0, 57) + createHash('sha256').update(name).digest('hex').slice(0, 6);
}

/** The owner reference a chain follows: the controller reference, else the only one. */
export function controllerRef(refs: readonly OwnerRef[] | undefined): OwnerRef | undefined {
  if (refs === undefined || refs.length === 0) return undefined;
  return refs.find((r) => r.controller === true) ?? (refs.length === 1 ? refs[0] : undefined);
}

/** ownerReferences read from raw metadata (a pod's or a workload's), dropping malformed entries. */
export function readOwnerRefs(metadata: unknown): OwnerRef[] | undefined {
  if (!isRecord(metadata) || !Array.isArray(metadata['ownerReferences'])) return undefined;
  const refs: OwnerRef[] = [];
  for (const raw of metadata['ownerReferences'] as unknown[]) {
    if (!isRecord(raw) || typeof raw['kind'] !== 'string' || typeof raw['name'] !== 'string') continue;
    refs.push({
      kind: raw['kind'],
      name: raw['name'],
      ...(typeof raw['apiVersion'] === 'string' ? { apiVersion: raw['apiVersion'] } : {}),
      ...(typeof raw['uid'] === 'string' ? { uid: raw['uid'] } : {}),
      ...(raw['controller'] === true ? { controller: true } : {}),
    });
  }
  return refs;
}

/** The pod's ownerReferences (the live-pod boundary keeps them: src/kube/pod.ts). */
export function podOwnerRefs(pod: PodManifest): readonly OwnerRef[] {
  return readOwnerRefs(pod.metadata) ?? [];
}

/**
 * The namespaces a pod in `namespace` can have been restored from, if this Restore restores into it
 * at all (its includedNamespaces/excludedNamespaces of the source namespaces, after namespaceMapping);
 * undefined = it does.
 */
export function outsideRestoreNamespaces(restore: RestoreHooks, namespace: string): SkipVerdict | undefined {
  const mapping = restore.namespaceMapping;
  const sources = sourceNamespacesOf(namespace, mapping);
  if (sources.length === 0) {
    return { code: 'outside-restore-namespaces', reason: `restore ${restore.name} restores nothing into namespace ${JSON.stringify(namespace)}: spec.namespaceMapping moves it to ${JSON.stringify(mapping[namespace] ?? '')}` };
  }
  const { includedNamespaces, excludedNamespaces } = restore.scope;
  if (sources.some((s) => includesExcludes(includedNamespaces, excludedNamespaces, s).included)) return undefined;
  const from = sources.length === 1 && sources[0] === namespace ? '' : ` (restored from ${sources.map((s) => JSON.stringify(s)).join(', ')})`;
  return {
    code: 'outside-restore-namespaces',
    reason: `namespace ${JSON.stringify(namespace)}${from} is not one restore ${restore.name} restores into (spec.includedNamespaces [${includedNamespaces.join(', ')}], spec.excludedNamespaces [${excludedNamespaces.join(', ')}], after spec.namespaceMapping)`,
  };
}

/** Where a pod stands: handled (its chain's root is this Restore's), or skipped with a verdict. */
export type PodVerdict =
  | { readonly handled: true; readonly root: OwnerObject; readonly chain: readonly OwnerObject[] }
  | ({ readonly handled: false } & SkipVerdict)
  /** An owner of a kind not listed yet in the index: list `kind` in `namespace` and ask again. */
  | { readonly handled: false; readonly needs: { readonly namespace: string; readonly kind: OwnerKind } };

const describe = (o: { kind: string; name: string }): string => `${o.kind} ${o.name}`;

/** The rule for one pod. */
export function classifyPod(restore: RestoreHooks, pod: PodManifest, owners: OwnerIndex): PodVerdict {
  const namespace = pod.metadata.namespace ?? '';
  const outside = outsideRestoreNamespaces(restore, namespace);
  if (outside !== undefined) return { handled: false, ...outside };
  const label = restoreLabelValue(restore.name);
  const own = pod.metadata.labels?.[RESTORE_NAME_LABEL];
  if (own !== undefined) {
    if (own === label) {
      return { handled: false, code: 'created-by-velero', reason: `Velero created this pod (label ${RESTORE_NAME_LABEL}=${own}) and runs its post-restore hooks itself` };
    }
    return { handled: false, code: 'restore-other-restore', reason: `the pod's ${RESTORE_NAME_LABEL} label names restore ${JSON.stringify(own)}, not ${JSON.stringify(restore.name)}: Velero created it in that restore and ran its hooks there` };
  }
  const chain: OwnerObject[] = [];
  let refs = podOwnerRefs(pod);
  let at: { kind: string; name: string } = { kind: 'pod', name: pod.metadata.name };
  if (refs.length === 0) {
    return { handled: false, code: 'no-owner', reason: `no workload owns this pod and Velero did not create it (no ${RESTORE_NAME_LABEL} label), so it is not part of restore ${restore.name}` };
  }
  for (let depth = 0; depth < MAX_OWNER_DEPTH; depth++) {
    const ref = controllerRef(refs);
    if (ref === undefined) {
      return { handled: false, code: 'owner-chain-broken', reason: `${at.kind} ${at.name} has ${refs.length} ownerReferences and none is the controller, so its owner chain is ambiguous` };
    }
    if (!isOwnerKind(ref.kind)) {
      return { handled: false, code: 'owner-kind-unsupported', reason: `${at.kind} ${at.name} is owned by ${describe(ref)} (${ref.apiVersion ?? '?'}), a kind kubehooks does not follow (it follows ${Object.keys(OWNER_KINDS).join(', ')})` };
    }
    const listed = owners.list(namespace, ref.kind);
    if (listed === undefined) return { handled: false, needs: { namespace, kind: ref.kind } };
    const owner = listed.find((o) => o.name === ref.name && (ref.uid === undefined || o.uid === undefined || o.uid === ref.uid));
    if (owner === undefined) {
      return { handled: false, code: 'owner-chain-broken', reason: `${at.kind} ${at.name} names owner ${describe(ref)}${ref.uid === undefined ? '' : ` (uid ${ref.uid})`}, which does not exist in namespace ${JSON.stringify(namespace)}` };
    }
    chain.push(owner);
    const next = owner.ownerReferences ?? [];
    if (next.length === 0) {
      const rootLabel = owner.labels?.[RESTORE_NAME_LABEL];
      if (rootLabel === label) return { handled: true, root: owner, chain };
      const path = chain.map(describe).join(' → ');
      return {
        handled: false,
        code: 'owner-not-restored',
        reason: rootLabel === undefined
          ? `its owner chain (${path}) ends at an object restore ${restore.name} did not create (no ${RESTORE_NAME_LABEL} label)`
          : `its owner chain (${path}) ends at an object restore ${JSON.stringify(rootLabel)} created, not ${JSON.stringify(restore.name)}`,
      };
    }
    refs = next;
    at = owner;
  }
  return { handled: false, code: 'owner-chain-broken', reason: `its owner chain is longer than ${MAX_OWNER_DEPTH} (a cycle?): ${chain.map(describe).join(' → ')}` };
}

export interface FromRestoreSelection {
  /** Pods kubehooks runs the Restore's post-restore hooks in. */
  readonly handled: readonly PodManifest[];
  readonly skipped: readonly SkippedPod[];
  /** Owner lists still needed before every pod can be decided (empty = decided). */
  readonly needs: readonly { readonly namespace: string; readonly kind: OwnerKind }[];
}

/** The rule for every pod. Pods whose chain needs a list not in `owners` are reported in `needs`. */
export function selectFromRestore(restore: RestoreHooks, pods: readonly PodManifest[], owners: OwnerIndex): FromRestoreSelection {
  const handled: PodManifest[] = [];
  const skipped: SkippedPod[] = [];
  const needs = new Map<string, { namespace: string; kind: OwnerKind }>();
  for (const pod of pods) {
    const v = classifyPod(restore, pod, owners);
    if (v.handled) handled.push(pod);
    else if ('needs' in v) needs.set(ownerListKey(v.needs.namespace, v.needs.kind), v.needs);
    else skipped.push({ namespace: pod.metadata.namespace ?? '', pod: pod.metadata.name, code: v.code, reason: v.reason });
  }
  return { handled, skipped, needs: [...needs.values()] };
}

/**
 * The plan for `--from-restore`: the Restore's post-restore exec hooks (its spec.hooks and the pods'
 * annotations, by the same planner as `--restore`) in the handled pods; every other pod skipped with
 * the rule's reason. The Restore's object filters (includedResources, labelSelector) are not applied
 * to the handled pods: they chose which objects Velero restored, and the pods came from those. Init
 * hooks are left out: these pods exist already, nothing can be injected into them.
 */
export function planFromRestore(restore: RestoreHooks, pods: readonly PodManifest[], owners: OwnerIndex, policy: PlanPolicy = {}): Plan {
  const selection = selectFromRestore(restore, pods, owners);
  const undecided = new Set(selection.needs.map((n) => n.namespace));
  const stillOpen: SkippedPod[] = [];
  if (selection.needs.length > 0) {
    for (const pod of pods) {
      const ns = pod.metadata.namespace ?? '';
      if (!undecided.has(ns)) continue;
      const v = classifyPod(restore, pod, owners);
      if (!v.handled && 'needs' in v) stillOpen.push({ namespace: ns, pod: pod.metadata.name, code: 'owner-chain-broken', reason: `its owner ${v.needs.kind} in ${ns} could not be listed` });
    }
  }
  const { plan } = planRestoreDetailed(selection.handled, restore, { generateName: () => 'velero-restore-init-00000000', policy, ownedPods: true });
  return {
    ...plan,
    hooks: plan.hooks.filter((h) => h.type === 'exec'),
    skipped: [...selection.skipped, ...stillOpen, ...plan.skipped],
  };
}

// ---------- the Restore object ----------

/**
 * Velero's Restore phases, and what `--from-restore` does in each. The Restore has created its
 * objects once it has left InProgress (Velero also waits for its own post-restore hooks there).
 */
export const RESTORE_PHASES_WAIT = ['', 'New', 'InProgress'] as const;
export const RESTORE_PHASES_READY = [
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
  'Completed',
  'PartiallyFailed',
] as const;
export const RESTORE_PHASES_FAILED = ['Failed', 'FailedValidation'] as const;

export type RestorePhaseVerdict =
  | { readonly kind: 'wait'; readonly phase: string }
  | { readonly kind: 'ready'; readonly phase: string }
  | { readonly kind: 'failed'; readonly phase: string; readonly message: string };

/** What the Restore's status.phase means for `--from-restore`. An unknown phase is waited on (bounded). */
export function restorePhaseVerdict(raw: Record<string, unknown>): RestorePhaseVerdict {
  const status = isRecord(raw['status']) ? raw['status'] : {};
  const phase = typeof status['phase'] === 'string' ? status['phase'] : '';
  if ((RESTORE_PHASES_READY as readonly string[]).includes(phase)) return { kind: 'ready', phase };
  if ((RESTORE_PHASES_FAILED as readonly string[]).includes(phase)) {
    const errors = Array.isArray(status['validationErrors']) ? (status['validationErrors'] as unknown[]).filter((e) => typeof e === 'string') : [];
    const why = typeof status['failureReason'] === 'string' && status['failureReason'] !== '' ? `: ${status['failureReason']}` : errors.length > 0 ? `: ${errors.join('; ')}` : '';
    return { kind: 'failed', phase, message: `the Restore is ${phase}${why}; it restored nothing to run hooks for` };
  }
  return { kind: 'wait', phase };
}

/** `NS/NAME` → the parts, or an error sentence naming what is valid. */
export function parseRestoreRef(text: string): { namespace: string; name: string } | { error: string } {
  const parts = text.split('/');
  const dns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const name = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
  if (parts.length !== 2 || parts[0] === undefined || parts[1] === undefined) {
    return { error: `expected NAMESPACE/NAME of a velero.io/v1 Restore, e.g. velero/nightly-restore (got ${JSON.stringify(text)})` };
  }
  if (!dns.test(parts[0]) || parts[0].length > 63) return { error: `"${parts[0]}" is not a valid namespace name (in ${JSON.stringify(text)}; expected NAMESPACE/NAME)` };
  if (!name.test(parts[1]) || parts[1].length > 253) return { error: `"${parts[1]}" is not a valid Restore name (in ${JSON.stringify(text)}; expected NAMESPACE/NAME)` };
  return { namespace: parts[0], name: parts[1] };
}
