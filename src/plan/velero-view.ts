import type { DeclaredExecHook, HookPhase, OnError } from '../model/hook.ts';
import type { VeleroView } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { formatMs } from '../duration/go-duration.ts';
import {
  effectiveOnError,
  execTimeoutDifference,
  otherProfile,
  veleroExecTimeoutMs,
  type VeleroProfile,
} from '../velero/profiles.ts';

type Target = 'container' | 'sidecar' | 'missing';

function targetKind(pod: PodManifest, container: string): Target {
  if (pod.spec.containers.some((c) => c.name === container)) return 'container';
  if ((pod.spec.initContainers ?? []).some((c) => c.name === container && c['restartPolicy'] === 'Always')) return 'sidecar';
  return 'missing';
}

/**
 * What Velero of `profile` does with one exec hook bound to `pod`/`container` (kubehooks' own
 * behaviour is the planned hook itself). Reads the profile table only: no version checks here.
 */
export function veleroExecView(
  profile: VeleroProfile,
  hook: DeclaredExecHook,
  pod: PodManifest,
  target: { readonly container: string; readonly phase: HookPhase; readonly kubehooksExecTimeoutMs: number },
): VeleroView {
  const { container, phase } = target;
  const notes: string[] = [];
  const execTimeoutMs = veleroExecTimeoutMs(profile, hook.execTimeoutMs);
  const timeoutDiff = execTimeoutDifference(profile, hook.execTimeoutMs);
  if (timeoutDiff !== undefined) notes.push(`${timeoutDiff}; kubehooks applies ${formatMs(target.kubehooksExecTimeoutMs)}`);
  const onError: OnError = effectiveOnError(hook.onError, phase);
  if (onError === 'FailBlock') {
    notes.push(`onError FailBlock: if this hook fails, ${profile.label} leaves the pod's whole ItemBlock (the pod, its PVCs and PVs) out of the backup; kubehooks stops the pod's later pre hooks as with Fail`);
  }
  let runs = true;
  const kind = targetKind(pod, container);
  if (phase === 'pre' || phase === 'post') {
    if (kind === 'missing') runs = false;
    else if (kind === 'sidecar') {
      const other = otherProfile(profile);
      if (profile.backupHooksOnSidecars) {
        notes.push(`targets native sidecar ${JSON.stringify(container)}: ${profile.label} execs in it; ${other.label} fails it with no such container`);
      } else {
        runs = false;
        notes.push(
          `targets native sidecar ${JSON.stringify(container)}: ${profile.label} fails it with no such container: ${JSON.stringify(container)} (sidecars are backup hook targets from Velero 1.19, PR #9403); kubehooks runs it`,
        );
      }
    }
  } else if (kind !== 'container' && container !== '') {
    runs = false;
    const what = kind === 'sidecar' ? `native sidecar ${JSON.stringify(container)} (Velero looks only at spec.containers)` : `container ${JSON.stringify(container)}, which the pod lacks`;
    notes.push(`targets ${what}: ${profile.missingRestoreContainer}; kubehooks ${kind === 'sidecar' ? 'runs it once the sidecar is started' : 'fails it at once with no-such-container'}`);
  }
  return { version: profile.version, execTimeoutMs, onError, runs, notes };
}

/** Init hooks: Velero injects the container whatever the version; no exec, no timeout. */
export function veleroInitView(profile: VeleroProfile): VeleroView {
  return { version: profile.version, execTimeoutMs: null, onError: 'Continue', runs: true, notes: [] };
}
