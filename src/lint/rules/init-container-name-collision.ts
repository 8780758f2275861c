import { ANNOTATION_KEYS } from '../../velero/annotations.ts';
import { defineRule, type LintRule } from '../rule.ts';
import { describePod, hasAnnotation } from '../pod-facts.ts';

/**
 * An injected restore init container has the name of a container the pod already has (or of another
 * injected one). Velero does not de-duplicate: the API server rejects the pod (`Duplicate value`,
 * Velero #5193), typically when a pod restored once is backed up and restored again.
 */
export const initContainerNameCollision: LintRule = defineRule({
  code: 'init-container-name-collision',
  severity: 'error',
  summary: 'A restore init container would get a name the pod already uses.',
  hint: 'Give the init container a name no other container of the pod uses (init containers of an earlier restore are backed up with the pod).',
}, {
  *pod(pod, ctx) {
    const existing = new Set([
      ...pod.pod.spec.containers.map((c) => c.name),
      ...(pod.pod.spec.initContainers ?? []).map((c) => c.name),
    ]);
    const initHook = ctx.annotationHooks(pod).restoreInit;
    if (initHook !== undefined) {
      // A generated name is random: only a written name can collide.
      const key = ANNOTATION_KEYS.restoreInit.containerName;
      const name = initHook.initContainers[0]?.name;
      if (hasAnnotation(pod, key) && name !== undefined && existing.has(name)) {
        yield {
          object: pod, key,
          message: `${key} is "${name}", which the pod already has as a container; the restored pod will be rejected with "Duplicate value"`,
        };
      }
      return; // the annotation init hook replaces every spec init hook
    }
    for (const hookObject of ctx.hookObjects) {
      const seen = new Set(existing);
      for (const m of ctx.specInitHooks(pod, hookObject)) {
        for (const [j, c] of m.hook.initContainers.entries()) {
          if (seen.has(c.name)) {
            yield {
              object: hookObject, key: `${m.path}.init.initContainers[${j}].name`,
              message: `init container "${c.name}" of hook "${m.hook.name}" (${m.path}) would be injected into ${describePod(pod)}, which already has a container of that name; the restored pod will be rejected with "Duplicate value"`,
            };
          }
          seen.add(c.name);
        }
      }
    }
  },
});
