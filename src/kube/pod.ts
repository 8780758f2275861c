/** Narrowing API server pod JSON to the model's PodManifest at the boundary. */
import type { ContainerSpec } from '../model/hook.ts';
import type { ContainerStatusView, PodManifest, PodStatusView } from '../model/pod.ts';
import { isRecord } from './status.ts';

function isStringMap(value: unknown): boolean {
  return value === undefined || (isRecord(value) && Object.values(value).every((v) => typeof v === 'string'));
}

function isContainerList(value: unknown): boolean {
  return Array.isArray(value) && value.every((c) => isRecord(c) && typeof c['name'] === 'string');
}

/**
 * Returns the fields hooks read of a pod from the API server (metadata.name, labels and annotations as
 * string maps, spec.containers with names), or undefined when they are missing or mistyped.
 *
 * The result is a slim copy: a runner keeps every planned pod's latest object for the whole run, and a
 * full pod is ~7.7 KiB of heap, 41 % of it `managedFields` (bench/README.md, RSS). Kept: metadata
 * name/namespace/uid/resourceVersion/generation/labels/annotations/deletionTimestamp; containers',
 * init and ephemeral containers' name, restartPolicy and readinessProbe; nodeName; status phase and
 * the container statuses' name/ready/started/restartCount/state; of spec.volumes only the ones backed by
 * a PersistentVolumeClaim (name, persistentVolumeClaim.claimName, or `ephemeral: {}`), which the
 * quiesce window lists for COMMAND (src/model/pod-claims.ts). Manifests from files keep every field
 * (src/load); this is only the live-cluster boundary.
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
  return {
    ...pick(value, ['apiVersion', 'kind']),
    metadata: {
      ...pick(metadata, ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'deletionTimestamp']),
      ...pick(metadata, ['labels', 'annotations']),
      ...optional('ownerReferences', slimOwnerRefs(metadata['ownerReferences'])),
    } as PodManifest['metadata'],
    spec: {
      containers: slimContainers(spec['containers']) ?? [],
      ...optional('initContainers', slimContainers(spec['initContainers'])),
      ...optional('ephemeralContainers', slimContainers(spec['ephemeralContainers'])),
      ...pick(spec, ['nodeName']),
      ...optional('volumes', slimVolumes(spec['volumes'])),
    },
    ...optional('status', status === undefined ? undefined : slimStatus(status)),
  };
}

function pick(from: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function slimContainers(value: unknown): ContainerSpec[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: ContainerSpec[] = [];
  for (const c of value as unknown[]) {
    if (isRecord(c) && typeof c['name'] === 'string') out.push(pick(c, ['name', 'restartPolicy', 'readinessProbe']) as ContainerSpec);
  }
  return out;
}

/** The PVC-backed volumes, slim: `{ name, persistentVolumeClaim: { claimName } }` or `{ name, ephemeral: {} }`. */
function slimVolumes(value: unknown): Record<string, unknown>[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: Record<string, unknown>[] = [];
  for (const v of value as unknown[]) {
    if (!isRecord(v) || typeof v['name'] !== 'string') continue;
    const pvc = v['persistentVolumeClaim'];
    if (isRecord(pvc) && typeof pvc['claimName'] === 'string') out.push({ name: v['name'], persistentVolumeClaim: { claimName: pvc['claimName'] } });
    else if (isRecord(v['ephemeral'])) out.push({ name: v['name'], ephemeral: {} });
  }
  return out.length === 0 ? undefined : out;
}

/** Who owns the pod (--from-restore follows the chain): kind, name, uid and the controller flag. */
function slimOwnerRefs(value: unknown): Record<string, unknown>[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return (value as unknown[]).filter(isRecord).map((r) => pick(r, ['apiVersion', 'kind', 'name', 'uid', 'controller']));
}

function slimStatuses(value: unknown): ContainerStatusView[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: ContainerStatusView[] = [];
  for (const s of value as unknown[]) {
    if (isRecord(s) && typeof s['name'] === 'string') {
      out.push(pick(s, ['name', 'ready', 'started', 'restartCount', 'state']) as unknown as ContainerStatusView);
    }
  }
  return out;
}

function slimStatus(status: Record<string, unknown>): PodStatusView {
  return {
    ...pick(status, ['phase']),
    ...optional('containerStatuses', slimStatuses(status['containerStatuses'])),
    ...optional('initContainerStatuses', slimStatuses(status['initContainerStatuses'])),
  };
}

export function resourceVersionOf(pod: PodManifest): string | undefined {
  const rv = pod.metadata['resourceVersion'];
  return typeof rv === 'string' ? rv : undefined;
}
