import { DEFAULT_EXEC_TIMEOUT_MS, MAX_EXEC_TIMEOUT_MS, type DeclaredExecHook, type HookPhase } from '../model/hook.ts';
import type { Plan, PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { matchLabelSelector } from '../select/label-selector.ts';
import { matchNamespace } from '../select/namespaces.ts';
import { matchBackupResources } from '../select/resources.ts';
import type { Verdict } from '../select/verdict.ts';
import type { HookResourceSelector } from '../velero/spec.ts';
import { boundMessage } from '../velero/quote.ts';
import { hookInjector } from '../velero/kubevirt.ts';
import { effectiveOnError, veleroProfile, type VeleroProfile } from '../velero/profiles.ts';
import { veleroExecView } from './velero-view.ts';

/** Namespace assumed for a pod manifest that names none (what kubectl does with the default context). */
export const DEFAULT_NAMESPACE = 'default';

/** Something a person should know about a pod that does get hooks (not part of the JSON plan contract). */
export interface PlanNote {
  readonly namespace: string;
  readonly pod: string;
  readonly kind: 'annotation-overrides-spec' | 'annotation-ignored' | 'container-missing' | 'namespace-denied' | 'no-containers' | 'sidecar-target';
  readonly message: string;
}

export function podNamespace(pod: PodManifest): string {
  // Typed as a string, but a manifest read from a file may carry anything here (`namespace: 0`);
  // the plan's JSON contract promises strings, and the API server would reject such a pod anyway.
  const ns: unknown = pod.metadata.namespace;
  return typeof ns !== 'string' || ns === '' ? DEFAULT_NAMESPACE : ns;
}

/**
 * Exec timeout as kubehooks applies it, following Velero main: unset, zero or negative → 30s,
 * above 4h → 4h. (1.18.x: only 0 → 30s; negative = no timeout at all; no cap.)
 */
export function resolveExecTimeoutMs(ms: number): number {
  if (!(ms > 0)) return DEFAULT_EXEC_TIMEOUT_MS;
  return Math.min(ms, MAX_EXEC_TIMEOUT_MS);
}

/** The pod's containers by kind, for messages: `containers: app; sidecars: proxy; init containers: setup`. */
export function describeContainers(pod: PodManifest): string {
  const init = pod.spec.initContainers ?? [];
  const sidecars = init.filter((c) => c['restartPolicy'] === 'Always').map((c) => c.name);
  const plain = init.filter((c) => c['restartPolicy'] !== 'Always').map((c) => c.name);
  const parts = [`containers: ${pod.spec.containers.map((c) => c.name).join(', ') || 'none'}`];
  if (sidecars.length > 0) parts.push(`sidecars: ${sidecars.join(', ')}`);
  if (plain.length > 0) parts.push(`init containers (never hook targets): ${plain.join(', ')}`);
  return parts.join('; ');
}

export function firstContainerName(pod: PodManifest): string {
  return pod.spec.containers[0]?.name ?? '';
}

export function entrySubject(entry: HookResourceSelector): string {
  return `${entry.path} ${JSON.stringify(entry.name)}`;
}

/**
 * Velero's applicableTo (§3.4) for one entry, with the first reason it does not apply.
 * Restore entries ignore the resource lists.
 */
export function entryApplies(entry: HookResourceSelector, pod: PodManifest, namespace: string, kind: 'backup' | 'restore'): Verdict {
  const subject = entrySubject(entry);
  const ns = matchNamespace(namespace, entry.includedNamespaces, entry.excludedNamespaces, subject);
  if (!ns.ok) return ns;
  if (kind === 'backup') {
    const resources = matchBackupResources(entry.includedResources, entry.excludedResources, subject);
    if (!resources.ok) return resources;
  }
  return matchLabelSelector(entry.labelSelector, pod.metadata.labels, subject);
}

/**
 * A declared exec hook bound to a pod with every default resolved, and what Velero of `profile`
 * would do with it (`velero`).
 */
export function planExecHook(hook: DeclaredExecHook, pod: PodManifest, namespace: string, phase: HookPhase, profile: VeleroProfile = veleroProfile(undefined)): PlannedHook {
  const container = hook.container ?? firstContainerName(pod);
  const injectedBy = hookInjector(hook);
  const execTimeoutMs = resolveExecTimeoutMs(hook.execTimeoutMs);
  return {
    namespace,
    pod: pod.metadata.name,
    container,
    type: 'exec',
    source: hook.source,
    name: hook.name,
    phase,
    index: hook.index,
    command: hook.command,
    onError: effectiveOnError(hook.onError, phase),
    execTimeoutMs,
    waitTimeoutMs: hook.waitTimeoutMs,
    waitForReady: hook.waitForReady,
    ...(injectedBy === undefined ? {} : { injectedBy }),
    velero: veleroExecView(profile, hook, pod, { container, phase, kubehooksExecTimeoutMs: execTimeoutMs }),
  };
}

/** Native sidecars: init containers with restartPolicy Always (backup hooks may target them on Velero main). */
function sidecarNames(pod: PodManifest): Set<string> {
  return new Set((pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
}

/**
 * Notes for exec hooks whose container the pod lacks (the runner fails them at once). Hooks may
 * target native sidecars: backup hooks as Velero main does (1.18.x fails them), post-restore hooks
 * as kubehooks' deviation (Velero discards them and its restore waits in Finalizing).
 */
export function containerNotes(hooks: readonly PlannedHook[], pod: PodManifest, namespace: string, kind: 'backup' | 'restore' = 'backup'): PlanNote[] {
  const notes: PlanNote[] = [];
  const names = new Set(pod.spec.containers.map((c) => c.name));
  const sidecars = sidecarNames(pod);
  for (const hook of hooks) {
    if (hook.type !== 'exec') continue;
    if (sidecars.has(hook.container) && !names.has(hook.container)) {
      notes.push({
        namespace,
        pod: pod.metadata.name,
        kind: 'sidecar-target',
        message: kind === 'backup'
          ? `hook ${JSON.stringify(hook.name)} #${hook.index} targets native sidecar ${JSON.stringify(hook.container)}; Velero main accepts that, Velero 1.18.x fails it with no such container`
          : `hook ${JSON.stringify(hook.name)} #${hook.index} targets native sidecar ${JSON.stringify(hook.container)}; kubehooks runs it once the sidecar is started, Velero discards it (and its restore then waits in Finalizing)`,
      });
      continue;
    }
    if (hook.container === '') {
      notes.push({
        namespace,
        pod: pod.metadata.name,
        kind: 'no-containers',
        message: `hook ${JSON.stringify(hook.name)} #${hook.index} has no container to run in: the pod has no containers (Velero: "need at least 1 container")`,
      });
    } else if (!names.has(hook.container)) {
      notes.push({
        namespace,
        pod: pod.metadata.name,
        kind: 'container-missing',
        message: `hook ${JSON.stringify(hook.name)} #${hook.index} targets container ${JSON.stringify(hook.container)}, which the pod does not have (${describeContainers(pod)}); it will fail (no such container: ${JSON.stringify(hook.container)})`,
      });
    }
  }
  return notes;
}

export function countLabel(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/**
 * Skip reasons and notes quote pod names, labels and patterns from untrusted manifests: bound them
 * (velero/quote.ts) so a 1 MiB label value cannot become a 1 MiB reason. The data fields stay whole.
 */
export function boundReasons<T extends { readonly plan: Plan; readonly notes: readonly PlanNote[] }>(detailed: T): T {
  return {
    ...detailed,
    plan: {
      ...detailed.plan,
      hooks: detailed.plan.hooks.map((h) => (h.velero === undefined || h.velero.notes.length === 0 ? h : { ...h, velero: { ...h.velero, notes: h.velero.notes.map((n) => boundMessage(n)) } })),
      skipped: detailed.plan.skipped.map((s) => ({ ...s, reason: boundMessage(s.reason) })),
    },
    notes: detailed.notes.map((n) => ({ ...n, message: boundMessage(n.message) })),
  };
}
