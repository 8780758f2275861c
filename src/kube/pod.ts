/** Narrowing API server pod JSON to the model's PodManifest at the boundary. */
import type { PodManifest } from '../model/pod.ts';
import { isRecord } from './client.ts';

function isStringMap(value: unknown): boolean {
  return value === undefined || (isRecord(value) && Object.values(value).every((v) => typeof v === 'string'));
}

function isContainerList(value: unknown): boolean {
  return Array.isArray(value) && value.every((c) => isRecord(c) && typeof c['name'] === 'string');
}

/**
 * Returns the object as a PodManifest when it has the fields hooks rely on (metadata.name, labels and
 * annotations as string maps, spec.containers with names), or undefined. Unknown fields are kept.
 */
export function toPodManifest(value: unknown): PodManifest | undefined {
  if (!isRecord(value)) return undefined;
  const { metadata, spec, status } = value;
  if (!isRecord(metadata) || typeof metadata['name'] !== 'string' || metadata['name'] === '') return undefined;
  for (const key of ['namespace', 'uid', 'resourceVersion'] as const) {
    if (metadata[key] !== undefined && typeof metadata[key] !== 'string') return undefined;
  }
  if (!isStringMap(metadata['labels']) || !isStringMap(metadata['annotations'])) return undefined;
  if (!isRecord(spec) || !isContainerList(spec['containers'])) return undefined;
  if (spec['initContainers'] !== undefined && !isContainerList(spec['initContainers'])) return undefined;
  if (status !== undefined) {
    if (!isRecord(status)) return undefined;
    if (status['phase'] !== undefined && typeof status['phase'] !== 'string') return undefined;
    const cs = status['containerStatuses'];
    if (cs !== undefined && !isContainerList(cs)) return undefined;
  }
  return value as unknown as PodManifest;
}

export function podKey(pod: PodManifest): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;
}

export function resourceVersionOf(pod: PodManifest): string | undefined {
  const rv = pod.metadata['resourceVersion'];
  return typeof rv === 'string' ? rv : undefined;
}
