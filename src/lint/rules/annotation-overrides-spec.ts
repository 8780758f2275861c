import { ANNOTATION_KEYS } from '../../velero/annotations.ts';
import { describeObject } from '../../load/loaded-object.ts';
import { defineRule, type LintRule } from '../rule.ts';

function names(paths: readonly string[]): string {
  return paths.length <= 3 ? paths.join(', ') : `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more`;
}

/** A pod's annotation hook silently replaces every matching spec hook of the same kind (§2.6). */
export const annotationOverridesSpec: LintRule = defineRule({
  code: 'annotation-overrides-spec',
  severity: 'info',
  summary: 'An annotation hook replaces the spec hooks that match the same pod.',
  hint: 'Intended? Velero runs only the annotation hook for this pod and phase; remove the annotations to get the spec hooks.',
}, {
  *pod(pod, ctx) {
    const a = ctx.annotationHooks(pod);
    for (const hookObject of ctx.hookObjects) {
      const exec = ctx.matchingSpecExecHooks(pod, hookObject);
      const groups: [boolean, string, string, readonly string[]][] = [
        [a.backupPre !== undefined,
          a.backupPreFamily === 'legacy' ? ANNOTATION_KEYS.backupLegacy.command : ANNOTATION_KEYS.backupPre.command,
          'pre-backup', exec.filter((m) => m.phase === 'pre').map((m) => m.path)],
        [a.backupPost !== undefined, ANNOTATION_KEYS.backupPost.command, 'post-backup',
          exec.filter((m) => m.phase === 'post').map((m) => m.path)],
        [a.restoreExec !== undefined, ANNOTATION_KEYS.restoreExec.command, 'restore exec',
          exec.filter((m) => m.phase === 'restore').map((m) => m.path)],
        [a.restoreInit !== undefined, ANNOTATION_KEYS.restoreInit.containerImage, 'restore init',
          ctx.matchingSpecInitHooks(pod, hookObject).map((m) => m.path)],
      ];
      for (const [annotated, key, what, overridden] of groups) {
        if (!annotated || overridden.length === 0) continue;
        yield {
          object: pod, key,
          message: `the ${what} hook from ${key} replaces ${overridden.length} matching spec hook${overridden.length === 1 ? '' : 's'} of ${describeObject(hookObject.ref)} (${names(overridden)}) for this pod`,
        };
      }
    }
  },
});
