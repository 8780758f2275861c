import type { ContainerStatusView, PodManifest } from '../model/pod.ts';

// Which containers a hook may target is Velero's rule, in src/velero/rules.ts (isExecTarget,
// hasRegularContainer, describeContainers); this file reads the pod's status.

export function containerStatus(pod: PodManifest, container: string): ContainerStatusView | undefined {
  const regular = pod.status?.containerStatuses?.find((s) => s.name === container);
  if (regular !== undefined) return regular;
  const init = pod.status?.['initContainerStatuses'];
  if (!Array.isArray(init)) return undefined;
  return (init as ContainerStatusView[]).find((s) => typeof s === 'object' && s.name === container);
}

/**
 * Velero's UP (§7.2): the container's status entry must exist; when any of the container's hooks wants
 * readiness, the `ready` flag decides; otherwise `state.running` being set does.
 */
export function isContainerUp(pod: PodManifest, container: string, waitForReady: boolean): boolean {
  // A native sidecar's status is in initContainerStatuses (Running once started, Ready per its probe).
  const status = containerStatus(pod, container);
  if (status === undefined) return false;
  if (waitForReady) return status.ready === true;
  return status.state?.running !== undefined;
}

export function isPodTerminated(pod: PodManifest): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
