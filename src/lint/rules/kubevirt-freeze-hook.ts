import { ANNOTATION_KEYS } from '../../velero/annotations.ts';
import {
  KUBEVIRT_COMPUTE_CONTAINER,
  KUBEVIRT_SKIP_HOOKS_ANNOTATION,
  isVirtLauncherPod,
  readKubevirtFreezeHook,
} from '../../velero/kubevirt.ts';
import { podNamespace } from '../../velero/rules.ts';
import { defineRule, type LintRule } from '../rule.ts';

/**
 * KubeVirt injects virt-freezer hooks into every virt-launcher pod. Their exit 0 is weak evidence:
 * virt-freezer exits 0 without freezing when the VM has no guest agent or is paused.
 */
export const kubevirtFreezeHook: LintRule = defineRule({
  code: 'kubevirt-freeze-hook',
  severity: 'info',
  summary: 'A backup hook is KubeVirt\'s own virt-freezer freeze/unfreeze, injected into virt-launcher pods; its exit 0 does not prove a freeze.',
  hint: `Before trusting the snapshot, check that the VMI has a connected guest agent (condition AgentConnected) and is not paused. To stop KubeVirt adding these hooks, annotate the VMI (or the KubeVirt CR, for every VM) with ${KUBEVIRT_SKIP_HOOKS_ANNOTATION}: "true".`,
}, {
  *pod(pod, ctx) {
    const a = ctx.annotationHooks(pod);
    const pre = a.backupPreFamily === 'legacy' ? ANNOTATION_KEYS.backupLegacy : ANNOTATION_KEYS.backupPre;
    for (const [hook, keys] of [[a.backupPre, pre], [a.backupPost, ANNOTATION_KEYS.backupPost]] as const) {
      if (hook === undefined) continue;
      const freeze = readKubevirtFreezeHook(hook);
      if (freeze === undefined) continue;
      const launcher = isVirtLauncherPod(pod.pod.metadata.labels) ? 'this virt-launcher pod' : 'this pod (not labelled kubevirt.io=virt-launcher)';
      const what = freeze.action === 'freeze'
        ? 'freezes the guest filesystems through the guest agent'
        : 'thaws the guest filesystems';
      const exitZero = freeze.action === 'freeze'
        ? 'virt-freezer also exits 0 without freezing anything when the VM has no guest agent or is paused, so a succeeded hook does not prove a consistent snapshot'
        : 'it exits 0 as well when there was nothing to thaw (no guest agent, VM paused)';
      yield { object: pod, key: keys.command, message: `${keys.command} is KubeVirt's own hook on ${launcher}: virt-freezer --${freeze.action} ${what}; ${exitZero}` };
      if (hook.container !== undefined && hook.container !== KUBEVIRT_COMPUTE_CONTAINER) {
        yield {
          object: pod, key: keys.container, severity: 'warning',
          message: `${keys.container} is ${JSON.stringify(hook.container)}: virt-freezer lives in KubeVirt's "${KUBEVIRT_COMPUTE_CONTAINER}" container`,
          hint: `Set ${keys.container} to "${KUBEVIRT_COMPUTE_CONTAINER}" (what KubeVirt writes).`,
        };
      }
      const ns = podNamespace(pod.pod);
      if (freeze.vmiNamespace !== undefined && freeze.vmiNamespace !== ns) {
        yield {
          object: pod, key: keys.command, severity: 'warning',
          message: `virt-freezer --namespace ${JSON.stringify(freeze.vmiNamespace)} is not the pod's namespace ${JSON.stringify(ns)}: it would freeze (or fail to find) another namespace's VM; the annotations were probably copied from another pod`,
          hint: 'Let KubeVirt write these annotations (it names the VMI and namespace of the pod), or fix --name and --namespace.',
        };
      }
    }
  },
});
