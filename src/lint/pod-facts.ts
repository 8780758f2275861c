import type { ContainerSpec, DeclaredExecHook } from '../model/hook.ts';
import type { LoadedPod } from '../load/loaded-object.ts';
import { describeObject } from '../load/loaded-object.ts';
import { sidecarNames as podSidecarNames } from '../velero/rules.ts';

/** `Pod db/pg-0` or `StatefulSet db/pg (pod template)`, for messages about a pod seen from a Backup. */
export function describePod(pod: LoadedPod): string {
  return pod.workload === undefined ? describeObject(pod.ref) : `${describeObject(pod.ref)} (pod template)`;
}

export function containerNames(pod: LoadedPod): string[] {
  return pod.pod.spec.containers.map((c) => c.name);
}

/** Native sidecars (init containers with restartPolicy Always): Velero main lets backup hooks target them. */
export function sidecarNames(pod: LoadedPod): string[] {
  return podSidecarNames(pod.pod);
}

/** The container a hook runs in: as written, else the first container (Velero's default). */
export function targetContainer(pod: LoadedPod, hook: DeclaredExecHook): ContainerSpec | undefined {
  if (hook.container === undefined) return pod.pod.spec.containers[0];
  return pod.pod.spec.containers.find((c) => c.name === hook.container);
}

export function hasAnnotation(pod: LoadedPod, key: string): boolean {
  const a = pod.pod.metadata.annotations;
  return a !== undefined && Object.hasOwn(a, key);
}
