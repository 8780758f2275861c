import { formatMs } from '../../duration/go-duration.ts';
import { ANNOTATION_KEYS } from '../../velero/annotations.ts';
import type { DeclaredExecHook } from '../../model/hook.ts';
import { defineRule, type LintRule } from '../rule.ts';
import { hasAnnotation } from '../pod-facts.ts';

function shorter(hook: DeclaredExecHook): boolean {
  return hook.waitTimeoutMs > 0 && hook.execTimeoutMs > 0 && hook.waitTimeoutMs < hook.execTimeoutMs;
}

function message(hook: DeclaredExecHook, waitName: string, execName: string): string {
  return `${waitName} ${formatMs(hook.waitTimeoutMs)} is shorter than ${execName} ${formatMs(hook.execTimeoutMs)}: in Velero the wait deadline is counted from the pod's creation and also bounds the pod's hook run, so the exec can be cut off before its own timeout`;
}

/** Restore exec hook whose waitTimeout is shorter than its (explicit) execTimeout. */
export const waitTimeoutShorterThanExec: LintRule = defineRule({
  code: 'wait-timeout-shorter-than-exec',
  severity: 'warning',
  summary: 'A restore hook\'s wait timeout is shorter than its exec timeout.',
  hint: 'Make the wait timeout at least the expected start-up time plus the exec timeout.',
}, {
  *pod(pod, ctx) {
    const k = ANNOTATION_KEYS.restoreExec;
    const hook = ctx.annotationHooks(pod).restoreExec;
    // Only when both are written: the 30s default alone is not a choice the user made.
    if (hook !== undefined && hasAnnotation(pod, k.execTimeout) && shorter(hook)) {
      yield { object: pod, key: k.waitTimeout, message: message(hook, k.waitTimeout, k.execTimeout) };
    }
  },
  *hookObject(hookObject, ctx) {
    for (const m of ctx.allSpecExecHooks(hookObject)) {
      if (m.phase === 'restore' && shorter(m.hook)) {
        yield { object: hookObject, key: `${m.path}.exec.waitTimeout`, message: message(m.hook, `hook "${m.hook.name}" waitTimeout`, 'its execTimeout') };
      }
    }
  },
});
