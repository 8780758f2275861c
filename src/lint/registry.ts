import type { LintRule } from './rule.ts';
import { annotationOnNonPod } from './rules/annotation-on-non-pod.ts';
import { annotationOverridesSpec } from './rules/annotation-overrides-spec.ts';
import { containerNotFound } from './rules/container-not-found.ts';
import { hookEntryOutOfScope } from './rules/hook-entry-out-of-scope.ts';
import { hookEntrySourceNamespace } from './rules/hook-entry-source-namespace.ts';
import { initContainerNameCollision } from './rules/init-container-name-collision.ts';
import { kubevirtFreezeHook } from './rules/kubevirt-freeze-hook.ts';
import { waitForReadyNoProbe } from './rules/wait-for-ready-no-probe.ts';
import { waitTimeoutShorterThanExec } from './rules/wait-timeout-shorter-than-exec.ts';

/** Context rules, run after the parsers' own issues. To add one: a file in rules/ and an entry here. */
export const LINT_RULES: readonly LintRule[] = [
  containerNotFound,
  waitForReadyNoProbe,
  waitTimeoutShorterThanExec,
  annotationOverridesSpec,
  initContainerNameCollision,
  annotationOnNonPod,
  hookEntryOutOfScope,
  hookEntrySourceNamespace,
  kubevirtFreezeHook,
];
