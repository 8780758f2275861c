import type { ContainerSpec } from '../model/hook.ts';
import type { PodManifest } from '../model/pod.ts';

/** What the API server would refuse in a pod spec that inject wrote, with the key it would name. */
export interface PodSpecProblem {
  /** Path relative to the pod, e.g. `spec.initContainers[0].volumeMounts[1].name`. */
  readonly key: string;
  readonly container: string;
  readonly message: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes' IsDNS1123Label in its words, or undefined when valid (container names, namespaces). */
export function dns1123LabelError(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(value)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  return undefined;
}

/**
 * The checks of pod validation that injected init containers can break: container names valid and
 * unique across containers, initContainers (and ephemeral containers), and every volumeMount naming
 * one of spec.volumes (or of a StatefulSet's `claimTemplates`). `injected` limits the name-syntax
 * check to the injected containers' indices.
 */
export function podSpecProblems(pod: PodManifest, injected: ReadonlySet<number>, claimTemplates: readonly string[] = []): PodSpecProblem[] {
  const problems: PodSpecProblem[] = [];
  // A StatefulSet's volumeClaimTemplates become volumes of its pods.
  const volumes = new Set(claimTemplates);
  for (const v of
    (Array.isArray(pod.spec['volumes']) ? (pod.spec['volumes'] as unknown[]) : []).flatMap((v) =>
      typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' ? [(v as { name: string }).name] : [],
    )
  ) volumes.add(v);
  const seen = new Map<string, string>();
  const lists: [string, readonly ContainerSpec[]][] = [
    ['spec.initContainers', pod.spec.initContainers ?? []],
    ['spec.containers', pod.spec.containers],
  ];
  for (const [path, containers] of lists) {
    for (const [i, c] of containers.entries()) {
      const key = `${path}[${i}]`;
      const name = typeof c.name === 'string' ? c.name : '';
      const mine = path === 'spec.initContainers' && injected.has(i);
      if (mine) {
        const bad = dns1123LabelError(name);
        if (bad !== undefined) problems.push({ key: `${key}.name`, container: name, message: `${key}.name: Invalid value: ${JSON.stringify(name)}: ${bad}` });
      }
      const first = seen.get(name);
      if (first !== undefined && name !== '') {
        problems.push({ key: `${key}.name`, container: name, message: `${key}.name: Duplicate value: ${JSON.stringify(name)} (also ${first})` });
      } else seen.set(name, key);
      const mounts = Array.isArray(c['volumeMounts']) ? (c['volumeMounts'] as unknown[]) : [];
      for (const [j, m] of mounts.entries()) {
        const mount = typeof m === 'object' && m !== null ? (m as { name?: unknown }).name : undefined;
        if (typeof mount === 'string' && !volumes.has(mount)) {
          problems.push({
            key: `${key}.volumeMounts[${j}].name`, container: name,
            message: `${key}.volumeMounts[${j}].name: Not found: ${JSON.stringify(mount)} (the pod's volumes: ${[...volumes].join(', ') || 'none'})`,
          });
        }
      }
    }
  }
  return problems;
}
