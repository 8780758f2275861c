import type { PodManifest } from './pod.ts';

/**
 * The PersistentVolumeClaims a pod mounts, in spec.volumes order: `persistentVolumeClaim.claimName`,
 * and for a generic ephemeral volume the claim Kubernetes creates for it, `<pod name>-<volume name>`.
 * Pure; reads pods from files and from the cluster (src/kube/pod.ts keeps these volumes) alike.
 */
export function podClaimNames(pod: PodManifest): string[] {
  const volumes = pod.spec['volumes'];
  if (!Array.isArray(volumes)) return [];
  const claims: string[] = [];
  for (const v of volumes as unknown[]) {
    if (typeof v !== 'object' || v === null) continue;
    const volume = v as { name?: unknown; persistentVolumeClaim?: { claimName?: unknown } | null; ephemeral?: unknown };
    const claim = volume.persistentVolumeClaim?.claimName;
    if (typeof claim === 'string' && claim !== '') claims.push(claim);
    else if (typeof volume.ephemeral === 'object' && volume.ephemeral !== null && typeof volume.name === 'string' && volume.name !== '') {
      claims.push(`${pod.metadata.name}-${volume.name}`);
    }
  }
  return claims;
}
