import { ANNOTATION_KEYS } from '../../velero/annotations.ts';
import { defineRule, specExecHooksOn, type LintRule } from '../rule.ts';
import { describePod, targetContainer } from '../pod-facts.ts';

/** waitForReady on a container without a readinessProbe: Ready as soon as Running, so it waits for nothing. */
export const waitForReadyNoProbe: LintRule = defineRule({
  code: 'wait-for-ready-no-probe',
  severity: 'warning',
  summary: 'waitForReady is set for a container that has no readinessProbe.',
  hint: 'Add a readinessProbe that checks the application (e.g. pg_isready), or drop waitForReady.',
}, {
  *pod(pod, ctx) {
    const hook = ctx.annotationHooks(pod).restoreExec;
    if (hook?.waitForReady === true) {
      const c = targetContainer(pod, hook);
      if (c !== undefined && c['readinessProbe'] === undefined) {
        yield {
          object: pod, key: ANNOTATION_KEYS.restoreExec.waitForReady,
          message: `wait-for-ready is true but container "${c.name}" has no readinessProbe: it is Ready as soon as it runs, so the hook may start before the application accepts work`,
        };
      }
    }
    for (const m of specExecHooksOn(ctx, pod)) {
      if (m.phase !== 'restore' || !m.hook.waitForReady) continue;
      const c = targetContainer(pod, m.hook);
      if (c === undefined || c['readinessProbe'] !== undefined) continue;
      yield {
        object: m.hookObject, key: `${m.path}.exec.waitForReady`,
        message: `hook "${m.hook.name}" (${m.path}) waits for readiness of container "${c.name}" of ${describePod(pod)}, which has no readinessProbe: it is Ready as soon as it runs`,
      };
    }
  },
});
