import type { ContainerSpec } from '../model/hook.ts';
import type { PodManifest } from '../model/pod.ts';
import { podNamespace } from '../velero/rules.ts';
import type { RestoreHooks } from '../velero/spec.ts';
import { selectInitHooks } from './init-hooks.ts';

/** The FS-restore wait container Velero keeps in front of hook init containers. */
export const RESTORE_WAIT_CONTAINER = 'restore-wait';

export interface InjectOptions {
  /** Full name for an annotation init container without container-name (Velero: velero-restore-init-<8 hex>). */
  readonly generateName: () => string;
  /** The pod's namespace in the backup, when the manifest does not say (or says the target one). */
  readonly sourceNamespace?: string;
}

export interface InjectResult {
  readonly pod: PodManifest;
  /** Set when Velero would fail this pod's restore (or the whole restore); `pod` is then an unchanged copy. */
  readonly error?: string;
}

/**
 * Velero's init-restore-hook action (§6), pure: the backed-up pod in, a new pod out with
 * `[restore-wait (if first)] + [hook init containers] + [other original init containers]`.
 * Selectors see the target namespace (`namespaceMapping` applied, #4720). The input is not touched.
 */
export function injectInitHooks(pod: PodManifest, restore: RestoreHooks | undefined, opts: InjectOptions): InjectResult {
  const copy = structuredClone(pod);
  if (restore !== undefined && restore.validationErrors.length > 0) {
    return { pod: copy, error: `restore fails validation: ${restore.validationErrors.join('; ')}` };
  }
  const sourceNamespace = opts.sourceNamespace ?? podNamespace(pod);
  const mapping = restore?.namespaceMapping ?? {};
  const selectorNamespace = Object.hasOwn(mapping, sourceNamespace) ? (mapping[sourceNamespace] ?? sourceNamespace) : sourceNamespace;
  const selection = selectInitHooks(pod, restore, selectorNamespace, opts);
  if (selection.error !== undefined) return { pod: copy, error: selection.error };
  if (selection.items.length === 0) return { pod: copy };

  const original = copy.spec.initContainers ?? [];
  const front: ContainerSpec[] = [];
  let rest = original;
  const first = original[0];
  if (first?.name === RESTORE_WAIT_CONTAINER) {
    front.push(first);
    rest = original.slice(1);
  }
  const added = selection.items.map((item) => structuredClone(item.container));
  return { pod: { ...copy, spec: { ...copy.spec, initContainers: [...front, ...added, ...rest] } } };
}
