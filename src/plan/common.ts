import type { DeclaredExecHook, HookPhase } from '../model/hook.ts';
import type { Plan, PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { boundMessage } from '../velero/quote.ts';
import { describeContainers, firstContainerName, hasRegularContainer, isExecTarget, resolveExecSettings } from '../velero/rules.ts';
import { hookInjector } from '../velero/kubevirt.ts';
import { veleroProfile, type VeleroProfile } from '../velero/profiles.ts';
import { veleroExecView } from './velero-view.ts';

/** Something a person should know about a pod that does get hooks (not part of the JSON plan contract). */
export interface PlanNote {
  readonly namespace: string;
  readonly pod: string;
  readonly kind: 'annotation-overrides-spec' | 'annotation-ignored' | 'container-missing' | 'namespace-denied' | 'no-containers' | 'sidecar-target';
  readonly message: string;
}

/**
 * A declared exec hook bound to a pod with every default resolved, and what Velero of `profile`
 * would do with it (`velero`).
 */
export function planExecHook(hook: DeclaredExecHook, pod: PodManifest, namespace: string, phase: HookPhase, profile: VeleroProfile = veleroProfile(undefined)): PlannedHook {
  const container = hook.container ?? firstContainerName(pod);
  const injectedBy = hookInjector(hook);
  const settings = resolveExecSettings(hook, phase);
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
    ...settings,
    ...(injectedBy === undefined ? {} : { injectedBy }),
    velero: veleroExecView(profile, hook, pod, { container, phase, kubehooksExecTimeoutMs: settings.execTimeoutMs }),
  };
}

/**
 * Notes for exec hooks whose container the pod lacks (the runner fails them at once). Hooks may
 * target native sidecars: backup hooks as Velero main does (1.18.x fails them), post-restore hooks
 * as kubehooks' deviation (Velero discards them and its restore waits in Finalizing).
 */
export function containerNotes(hooks: readonly PlannedHook[], pod: PodManifest, namespace: string, kind: 'backup' | 'restore' = 'backup'): PlanNote[] {
  const notes: PlanNote[] = [];
  for (const hook of hooks) {
    if (hook.type !== 'exec') continue;
    if (!hasRegularContainer(pod, hook.container) && isExecTarget(pod, hook.container)) {
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
    } else if (!hasRegularContainer(pod, hook.container)) {
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
