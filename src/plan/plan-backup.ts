import type { Plan, PlannedHook, SkippedPod } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { readBackupAnnotationHook } from '../velero/annotations.ts';
import { BACKUP_LEGACY_PREFIX, BACKUP_POST_PREFIX, BACKUP_PRE_PREFIX } from '../velero/annotation-settings.ts';
import type { BackupHooks } from '../velero/spec.ts';
import { firstSkip } from '../model/skip.ts';
import { BACKUP_NO_HOOK_RULES, namespaceDeniedSkip, noHookSkip, skippedPod } from './skips.ts';
import { backupScopeRules } from './scope.ts';
import { boundReasons, containerNotes, countLabel, planExecHook, type PlanNote } from './common.ts';
import { entryApplies, entrySubject, podNamespace } from '../velero/rules.ts';
import { type PlanPolicy, withoutHookAnnotations } from './policy.ts';
import { veleroProfile } from '../velero/profiles.ts';
import { DEFAULT_STAGE, readPodStage, STAGE_ANNOTATION } from '../velero/stages.ts';

export interface DetailedPlan {
  readonly plan: Plan;
  readonly notes: readonly PlanNote[];
}

function hasKeyWithPrefix(pod: PodManifest, prefixes: readonly string[]): boolean {
  const annotations = pod.metadata.annotations ?? {};
  return Object.keys(annotations).some((k) => prefixes.some((p) => k.startsWith(p)));
}

/**
 * Backup exec hooks for one phase (§5.2, §2.6): only pods the Backup itself takes (§13: its
 * namespaces, resources, labels, exclude label; a Backup Velero fails takes none); per pod, the
 * annotation hook alone if there is one, else every hook of every applicable spec entry in order.
 * Pods in input order. `policy` may
 * ignore annotation hooks (the spec hooks then apply to every pod) and deny namespaces (their pods
 * are skipped with the reason).
 */
export function planBackupDetailed(
  pods: readonly PodManifest[],
  backup: BackupHooks | undefined,
  phase: 'pre' | 'post',
  policy: PlanPolicy = {},
): DetailedPlan {
  const hooks: PlannedHook[] = [];
  const skipped: SkippedPod[] = [];
  const notes: PlanNote[] = [];
  const resources = backup?.resources ?? [];
  const scopeRules = backupScopeRules(backup);
  const profile = veleroProfile(policy.veleroVersion);

  const familyPrefixes = phase === 'pre' ? [BACKUP_PRE_PREFIX, BACKUP_LEGACY_PREFIX] : [BACKUP_POST_PREFIX];
  for (const original of pods) {
    const namespace = podNamespace(original);
    const podName = original.metadata.name;
    // --no-annotation-hooks: plan as if the pod carried no hook annotations at all.
    const stripped = policy.annotationHooks === false ? withoutHookAnnotations(original) : undefined;
    const pod = stripped?.pod ?? original;
    const ignoredAnnotations = (stripped?.removed ?? []).some((k) => familyPrefixes.some((p) => k.startsWith(p)));
    const outOfScope = firstSkip(scopeRules, { pod: original, namespace });
    if (outOfScope !== undefined) {
      skipped.push({ namespace, pod: podName, ...outOfScope });
      continue;
    }
    const fromAnnotation = readBackupAnnotationHook(pod.metadata.annotations, phase, { veleroVersion: profile.version });
    // ADR 0019: the pod's own stage wins over its spec entries' stages.
    const podStage = readPodStage(original.metadata.annotations);
    const staged = (hook: PlannedHook, stage: number | undefined): PlannedHook => (stage === undefined ? hook : { ...hook, stage });
    const specHooks: PlannedHook[] = [];
    const notApplicable: string[] = [];
    const applicableEntries: string[] = [];
    for (const entry of resources) {
      const verdict = entryApplies(entry, pod, namespace, 'backup');
      if (!verdict.ok) {
        notApplicable.push(verdict.reason);
        continue;
      }
      const list = phase === 'pre' ? entry.pre : entry.post;
      if (list.length === 0) {
        notApplicable.push(`${entrySubject(entry)} applies but has no ${phase} hooks`);
        continue;
      }
      applicableEntries.push(entrySubject(entry));
      for (const hook of list) specHooks.push(staged(planExecHook(hook, pod, namespace, phase, profile), podStage.stage ?? entry.stage));
    }

    let podHooks: PlannedHook[];
    if (fromAnnotation.hook !== undefined) {
      podHooks = [staged(planExecHook(fromAnnotation.hook, pod, namespace, phase, profile), podStage.stage)];
      if (specHooks.length > 0) {
        const prefix = fromAnnotation.family === 'legacy' ? BACKUP_LEGACY_PREFIX : phase === 'pre' ? BACKUP_PRE_PREFIX : BACKUP_POST_PREFIX;
        notes.push({
          namespace,
          pod: podName,
          kind: 'annotation-overrides-spec',
          message: `the ${prefix}command annotation hook replaces ${countLabel(specHooks.length, `${phase} spec hook`)} (${applicableEntries.join(', ')})`,
        });
      }
    } else {
      podHooks = specHooks;
    }

    if (ignoredAnnotations) {
      notes.push({
        namespace,
        pod: podName,
        kind: 'annotation-ignored',
        message: `the pod's ${phase} hook annotations are ignored (--no-annotation-hooks); ${podHooks.length > 0 ? `the spec hooks apply (${applicableEntries.join(', ')})` : 'no spec hook applies to it'}`,
      });
    }

    if (podHooks.length === 0) {
      const findings = { phase, ignoredAnnotations, familyKeys: hasKeyWithPrefix(pod, familyPrefixes), specEntries: resources.length, notApplicable };
      skipped.push(skippedPod(namespace, podName, noHookSkip(BACKUP_NO_HOOK_RULES, findings)));
      continue;
    }
    const denied = namespaceDeniedSkip(policy.namespaceDenied, namespace, podHooks.length, `${phase} hook`);
    if (denied !== undefined) {
      skipped.push(skippedPod(namespace, podName, denied));
      notes.push({ namespace, pod: podName, kind: 'namespace-denied', message: denied.reason });
      continue;
    }
    if (podStage.invalid) {
      const issue = podStage.issues[0];
      const reason = `${issue?.message ?? `${STAGE_ANNOTATION} is not a stage`}: its ${countLabel(podHooks.length, `${phase} hook`)} cannot be placed in the stage order`;
      skipped.push({ namespace, pod: podName, reason, code: 'stage-invalid' });
      continue;
    }
    hooks.push(...podHooks);
    notes.push(...containerNotes(podHooks, pod, namespace, 'backup'));
  }
  // A plan with stages gives every hook one (0 for those that declare none); a plan without, none.
  const withStages = hooks.some((h) => h.stage !== undefined) ? hooks.map((h) => (h.stage === undefined ? { ...h, stage: DEFAULT_STAGE } : h)) : hooks;
  return boundReasons({ plan: { hooks: withStages, skipped, veleroVersion: profile.version }, notes });
}

/** The plan for one backup phase; see planBackupDetailed for the notes. */
export function planBackup(pods: readonly PodManifest[], backup: BackupHooks | undefined, phase: 'pre' | 'post', policy: PlanPolicy = {}): Plan {
  return planBackupDetailed(pods, backup, phase, policy).plan;
}
