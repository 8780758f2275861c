import type { ObjectRef } from '../model/diagnostic.ts';
import { elideMiddle } from '../velero/quote.ts';
import type { PodManifest } from '../model/pod.ts';
import type { PathSegment } from './key-path.ts';
import type { Position } from './positions.ts';

/** Where a loaded object came from. */
export interface ObjectOrigin {
  readonly file: string;
  /** 0-based document index in the file. */
  readonly document: number;
  /** Path from the document root to the object (`[]`, or `['items', 3]` inside a List). */
  readonly path: readonly PathSegment[];
}

export interface Workload {
  readonly kind: string;
  readonly name: string;
  /** Path from the object to its pod template (`['spec','template']`, CronJob: `['spec','jobTemplate','spec','template']`). */
  readonly templatePath: readonly PathSegment[];
}

export interface LoadedBase {
  readonly ref: ObjectRef;
  readonly origin: ObjectOrigin;
  /** The object as decoded from the file. */
  readonly raw: Readonly<Record<string, unknown>>;
  /**
   * Position of an annotation key (`pre.hook.backup.velero.io/command`) or of a path relative to the
   * object (`spec.hooks.resources[0].name`; for pods and pod templates relative to the pod, so
   * `spec.containers[1]` works for a Deployment too), falling back to the nearest parent that exists.
   * "" is the object itself.
   */
  locate(key: string): Position;
}

/** A Pod, or the pod template of a workload (a "pseudo-pod" named after the workload). */
export interface LoadedPod extends LoadedBase {
  readonly type: 'pod';
  readonly pod: PodManifest;
  /** Set when the pod is a workload's template. */
  readonly workload: Workload | undefined;
}

export interface LoadedHookObject extends LoadedBase {
  readonly type: 'backup' | 'restore';
  /** `Backup`, `Schedule` (type backup) or `Restore`. */
  readonly kind: 'Backup' | 'Schedule' | 'Restore';
}

/** Anything else: kept so `inject` can pass it through. */
export interface LoadedOther extends LoadedBase {
  readonly type: 'other';
}

export type LoadedObject = LoadedPod | LoadedHookObject | LoadedOther;

/** How an object is named in messages: `Deployment prod/web`, `Pod web-0`; over-long parts are elided. */
export function describeObject(ref: ObjectRef): string {
  if (ref.kind === '' && ref.name === '') return 'document';
  const ns = ref.namespace === '' ? '' : `${elideMiddle(ref.namespace)}/`;
  return `${elideMiddle(ref.kind)} ${ns}${ref.name === '' ? '<unnamed>' : elideMiddle(ref.name)}`;
}
