import type { ContainerSpec, DeclaredInitHook, HookSource } from '../model/hook.ts';
import type { PodManifest } from '../model/pod.ts';
import { readRestoreInitAnnotationHook } from '../velero/annotations.ts';
import { entryApplies, entrySubject, validateInitContainer } from '../velero/rules.ts';
import type { RestoreHooks } from '../velero/spec.ts';

export interface InitContainerChoice {
  readonly hook: DeclaredInitHook;
  readonly container: ContainerSpec;
}

export interface InitHookSelection {
  /** Containers to inject, in Velero's order. */
  readonly items: readonly InitContainerChoice[];
  readonly from: HookSource | undefined;
  /** Velero's validation error for a bad spec init container; nothing may be injected then. */
  readonly error?: string;
  /** Spec init containers ignored because the annotation init hook wins. */
  readonly overriddenSpecContainers: number;
  /** Why each spec entry contributes nothing (for "why not" messages). */
  readonly notApplicable: readonly string[];
}

/**
 * Which init containers Velero's init-restore-hook action adds to a pod (§6 steps 3–4).
 * `selectorNamespace` is the namespace spec selectors are matched against (the target namespace).
 */
export function selectInitHooks(
  pod: PodManifest,
  restore: RestoreHooks | undefined,
  selectorNamespace: string,
  opts: { readonly generateName: () => string },
): InitHookSelection {
  const specItems: InitContainerChoice[] = [];
  const notApplicable: string[] = [];
  let error: string | undefined;
  for (const entry of restore?.resources ?? []) {
    const verdict = entryApplies(entry, pod, selectorNamespace, 'restore');
    if (!verdict.ok) {
      notApplicable.push(verdict.reason);
      continue;
    }
    const inits = entry.postHooks.filter((h) => h.kind === 'init');
    if (inits.length === 0 && !entry.postHooks.some((h) => h.kind === 'exec')) {
      notApplicable.push(`${entrySubject(entry)} applies but has no postHooks`);
    }
    for (const item of inits) {
      for (const container of item.hook.initContainers) {
        error ??= validateInitContainer(container);
        specItems.push({ hook: item.hook, container });
      }
    }
  }
  const annotation = readRestoreInitAnnotationHook(pod.metadata.annotations, opts).hook;
  if (annotation !== undefined) {
    return {
      items: annotation.initContainers.map((container) => ({ hook: annotation, container })),
      from: 'annotation',
      overriddenSpecContainers: specItems.length,
      notApplicable,
    };
  }
  if (error !== undefined) return { items: [], from: 'spec', error, overriddenSpecContainers: 0, notApplicable };
  return { items: specItems, from: specItems.length > 0 ? 'spec' : undefined, overriddenSpecContainers: 0, notApplicable };
}
