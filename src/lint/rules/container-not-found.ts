import { ANNOTATION_KEYS } from '../../velero/annotations.ts';
import type { DeclaredExecHook } from '../../model/hook.ts';
import type { Finding, LintRule } from '../rule.ts';
import { containerNames, describePod, listNames, sidecarNames } from '../pod-facts.ts';

/** A hook names a container the pod does not have. */
export const containerNotFound: LintRule = {
  code: 'container-not-found',
  severity: 'error',
  summary: 'A hook targets a container the pod does not have.',
  hint: 'Use one of the pod\'s container names, or leave the container unset to use the first container.',
  check(ctx) {
    const findings: Finding[] = [];
    for (const pod of ctx.pods) {
      const names = containerNames(pod);
      const backupNames = [...names, ...sidecarNames(pod)];
      const a = ctx.annotationHooks(pod);
      const fromAnnotation: [DeclaredExecHook | undefined, string, string[], string][] = [
        [a.backupPre, a.backupPreFamily === 'legacy' ? ANNOTATION_KEYS.backupLegacy.container : ANNOTATION_KEYS.backupPre.container, backupNames,
          'the pre-backup hook fails with `no such container`'],
        [a.backupPost, ANNOTATION_KEYS.backupPost.container, backupNames, 'the post-backup hook fails with `no such container`'],
        [a.restoreExec, ANNOTATION_KEYS.restoreExec.container, names,
          'Velero discards the restore hook with only a log line (and 1.18 leaves the restore stuck in Finalizing)'],
      ];
      for (const [hook, key, valid, outcome] of fromAnnotation) {
        if (hook?.container === undefined || valid.includes(hook.container)) continue;
        findings.push({
          object: pod, key,
          message: `${key} names container "${hook.container}", which the pod does not have (containers: ${listNames(names)}); ${outcome}`,
        });
      }
      for (const hookObject of ctx.hookObjects) {
        for (const m of ctx.specExecHooks(pod, hookObject)) {
          const valid = m.phase === 'restore' ? names : backupNames;
          if (m.hook.container === undefined || valid.includes(m.hook.container)) continue;
          findings.push({
            object: hookObject, key: `${m.path}.exec.container`,
            message: `hook "${m.hook.name}" (${m.path}) applies to ${describePod(pod)} but names container "${m.hook.container}", which that pod does not have (containers: ${listNames(names)})`,
          });
        }
      }
    }
    return findings;
  },
};
