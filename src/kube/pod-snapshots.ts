/**
 * What a pod watcher remembers between events, and how a relist is turned into events: only
 * uid → {resourceVersion, name, namespace, labels} is kept (a full pod is ~7.7 KiB), enough to tell
 * changed pods from unchanged ones and to announce a pod that vanished while the watch was away.
 * Pure; pod-watcher.ts does the I/O.
 */
import type { PodManifest } from '../model/pod.ts';
import type { PodEvent } from '../run/ports.ts';
import { resourceVersionOf } from './pod.ts';

export interface Snapshot {
  readonly rv: string | undefined;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly labels: Readonly<Record<string, string>> | undefined;
}

export function keyOf(pod: PodManifest): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;
}

export function snapshotOf(pod: PodManifest): Snapshot {
  return {
    rv: resourceVersionOf(pod),
    name: pod.metadata.name,
    namespace: pod.metadata.namespace,
    labels: pod.metadata.labels,
  };
}

/** What a relist-detected deletion carries: identity only (the object itself is gone). */
export function tombstone(key: string, s: Snapshot): PodManifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: s.name,
      ...(s.namespace === undefined ? {} : { namespace: s.namespace }),
      ...(key.includes('/') ? {} : { uid: key }),
      ...(s.rv === undefined ? {} : { resourceVersion: s.rv }),
      ...(s.labels === undefined ? {} : { labels: s.labels }),
    },
    spec: { containers: [] },
  };
}

/** Emits upserts for new/changed pods and deletes for vanished ones; updates `known`. */
export function applyList(items: readonly PodManifest[], known: Map<string, Snapshot>, initial: boolean, emit: (e: PodEvent) => void): void {
  const seen = new Set<string>();
  for (const pod of items) {
    const key = keyOf(pod);
    seen.add(key);
    const before = known.get(key);
    const snapshot = snapshotOf(pod);
    known.set(key, snapshot);
    if (initial || before === undefined || before.rv !== snapshot.rv) emit({ type: 'upsert', pod });
  }
  for (const [key, snapshot] of known) {
    if (seen.has(key)) continue;
    known.delete(key);
    emit({ type: 'deleted', pod: tombstone(key, snapshot), relisted: true });
  }
}
