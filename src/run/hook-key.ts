import type { PlannedHook } from '../model/plan.ts';

/** Velero's tracker key: (namespace, pod, container, source, name, phase, index). */
export function hookKey(hook: Pick<PlannedHook, 'namespace' | 'pod' | 'container' | 'source' | 'name' | 'phase' | 'index'>): string {
  return JSON.stringify([hook.namespace, hook.pod, hook.container, hook.source, hook.name, hook.phase, hook.index]);
}

export function podKey(namespace: string, pod: string): string {
  return `${namespace}/${pod}`;
}
