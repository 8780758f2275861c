import { ANNOTATION_KEYS } from '../../velero/annotations.ts';
import type { Finding, LintRule } from '../rule.ts';
import { describePod, targetContainer } from '../pod-facts.ts';

/** waitForReady on a container without a readinessProbe: Ready as soon as Running, so it waits for nothing. */
export const waitForReadyNoProbe: LintRule = {
  code: 'wait-for-ready-no-probe',
  severity: 'warning',
  summary: 'waitForReady is set for a container that has no readinessProbe.',
  hint: 'Add a readinessProbe that checks the application (e.g. pg_isready), or drop waitForReady.',
  check(ctx) {
    const findings: Finding[] = [];
    for (const pod of ctx.pods) {
      const hook = ctx.annotationHooks(pod).restoreExec;
      if (hook?.waitForReady === true) {
        const c = targetContainer(pod, hook);
        if (c !== undefined && c['readinessProbe'] === undefined) {
          findings.push({
            object: pod, key: ANNOTATION_KEYS.restoreExec.waitForReady,
            message: `wait-for-ready is true but container "${c.name}" has no readinessProbe: it is Ready as soon as it runs, so the hook may start before the application accepts work`,
          });
        }
      }
      for (const hookObject of ctx.hookObjects) {
        for (const m of ctx.specExecHooks(pod, hookObject)) {
          if (m.phase !== 'restore' || !m.hook.waitForReady) continue;
          const c = targetContainer(pod, m.hook);
          if (c === undefined || c['readinessProbe'] !== undefined) continue;
          findings.push({
            object: hookObject, key: `${m.path}.exec.waitForReady`,
            message: `hook "${m.hook.name}" (${m.path}) waits for readiness of container "${c.name}" of ${describePod(pod)}, which has no readinessProbe: it is Ready as soon as it runs`,
          });
        }
      }
    }
    return findings;
  },
};
