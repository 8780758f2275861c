import { ANNOTATION_KEYS } from '../../velero/annotations.ts';
import type { DeclaredExecHook } from '../../model/hook.ts';
import { defineRule, specExecHooksOn, type Finding, type LintRule } from '../rule.ts';
import { describeContainers } from '../../velero/rules.ts';
import { containerNames, describePod, sidecarNames } from '../pod-facts.ts';
import { otherProfile } from '../../velero/profiles.ts';

/** A hook names a container the pod does not have. */
export const containerNotFound: LintRule = defineRule({
  code: 'container-not-found',
  severity: 'error',
  summary: 'A hook targets a container the pod does not have.',
  hint: 'Use one of the pod\'s container names, or leave the container unset to use the first container.',
}, {
  *pod(pod, ctx) {
    const names = containerNames(pod);
    const backupNames = [...names, ...sidecarNames(pod)];
    const a = ctx.annotationHooks(pod);
    const fromAnnotation: [DeclaredExecHook | undefined, string, string[], string][] = [
      [a.backupPre, a.backupPreFamily === 'legacy' ? ANNOTATION_KEYS.backupLegacy.container : ANNOTATION_KEYS.backupPre.container, backupNames,
        'the pre-backup hook fails with `no such container`'],
      [a.backupPost, ANNOTATION_KEYS.backupPost.container, backupNames, 'the post-backup hook fails with `no such container`'],
      [a.restoreExec, ANNOTATION_KEYS.restoreExec.container, backupNames,
        `${ctx.profile.missingRestoreContainer}; kubehooks fails it at once`],
    ];
    const sidecarNote = (container: string): Pick<Finding, 'message' | 'severity' | 'hint'> => {
      const other = otherProfile(ctx.profile);
      return ctx.profile.backupHooksOnSidecars
        ? {
          severity: 'info',
          message: `names native sidecar "${container}": ${ctx.profile.label} and kubehooks exec in it; ${other.label} fails the hook with no such container (sidecars are backup hook targets from Velero 1.19, PR #9403)`,
          hint: 'If your Velero is 1.18.x, target a regular container (or lint with --velero-version 1.18).',
        }
        : {
          severity: 'warning',
          message: `names native sidecar "${container}": ${ctx.profile.label} fails the hook with no such container (sidecars are backup hook targets from Velero 1.19, PR #9403); kubehooks runs it`,
          hint: 'Target a regular container for Velero 1.18.x, or lint with --velero-version 1.19 if that is what runs your backups.',
        };
    };
    for (const [hook, key] of fromAnnotation.slice(0, 2)) {
      if (hook?.container !== undefined && !names.includes(hook.container) && sidecarNames(pod).includes(hook.container)) {
        const note = sidecarNote(hook.container);
        yield { object: pod, key, ...note, message: `${key} ${note.message}` };
      }
    }
    const have = describeContainers(pod.pod);
    for (const [hook, key, valid, outcome] of fromAnnotation) {
      if (hook?.container === undefined || valid.includes(hook.container)) continue;
      yield {
        object: pod, key,
        message: `${key} names container "${hook.container}", which the pod does not have (${have}); ${outcome}`,
      };
    }
    const restoreSidecar = a.restoreExec?.container;
    if (restoreSidecar !== undefined && sidecarNames(pod).includes(restoreSidecar)) {
      yield {
        object: pod, key: ANNOTATION_KEYS.restoreExec.container, severity: 'warning',
        message: `${ANNOTATION_KEYS.restoreExec.container} names native sidecar "${restoreSidecar}": Velero looks only at spec.containers and discards the hook (its restore then waits in Finalizing); kubehooks runs it once the sidecar is started`,
        hint: 'Target a regular container for Velero, or run this hook with kubehooks.',
      };
    }
    for (const m of specExecHooksOn(ctx, pod)) {
      if (m.hook.container === undefined) continue;
      if (m.phase === 'restore' && sidecarNames(pod).includes(m.hook.container)) {
        yield {
          object: m.hookObject, key: `${m.path}.exec.container`, severity: 'warning',
          message: `hook "${m.hook.name}" (${m.path}) targets native sidecar "${m.hook.container}" of ${describePod(pod)}: Velero looks only at spec.containers and discards the hook (its restore then waits in Finalizing); kubehooks runs it once the sidecar is started`,
          hint: 'Target a regular container for Velero, or run this hook with kubehooks.',
        };
        continue;
      }
      if (m.phase !== 'restore' && !names.includes(m.hook.container) && sidecarNames(pod).includes(m.hook.container)) {
        const note = sidecarNote(m.hook.container);
        yield { object: m.hookObject, key: `${m.path}.exec.container`, ...note, message: `hook "${m.hook.name}" (${m.path}) for ${describePod(pod)} ${note.message}` };
        continue;
      }
      if (backupNames.includes(m.hook.container)) continue;
      yield {
        object: m.hookObject, key: `${m.path}.exec.container`,
        message: `hook "${m.hook.name}" (${m.path}) applies to ${describePod(pod)} but names container "${m.hook.container}", which that pod does not have (${have})`,
      };
    }
  },
});
