/**
 * Why a pod that Velero's scope lets through still gets no hook, as small predicates
 * `(pod) => {code, reason} | undefined` (the scope's own rules are in scope.ts). A pod may lack hooks
 * for several reasons at once: everySkip gives the first rule's code and every reason.
 */
import type { SkippedPod } from '../model/plan.ts';
import { everySkip, type SkipPredicate, type SkipVerdict } from '../model/skip.ts';
import { countLabel } from './common.ts';

/** What the backup planner found for one pod of one phase, when it planned no hook. */
export interface BackupPodFindings {
  readonly phase: 'pre' | 'post';
  /** --no-annotation-hooks removed some of this phase's hook annotations. */
  readonly ignoredAnnotations: boolean;
  /** The pod (after --no-annotation-hooks) still carries keys of this phase's families. */
  readonly familyKeys: boolean;
  readonly specEntries: number;
  /** Why each spec entry does not apply (or has no hooks of the phase). */
  readonly notApplicable: readonly string[];
}

const backupIgnored: SkipPredicate<BackupPodFindings> = (p) =>
  p.ignoredAnnotations ? { code: 'annotation-hooks-ignored', reason: `the ${p.phase} hook annotations are ignored (--no-annotation-hooks)` } : undefined;
const backupWithoutCommand: SkipPredicate<BackupPodFindings> = (p) =>
  p.familyKeys ? { code: 'annotation-without-command', reason: `the ${p.phase} hook annotations have no command` } : undefined;
const backupAnnotationRules = [backupIgnored, backupWithoutCommand];

/** Why a pod gets no backup hook of its phase, in order; the first rule that matches gives the code. */
export const BACKUP_NO_HOOK_RULES: readonly SkipPredicate<BackupPodFindings>[] = [
  ...backupAnnotationRules,
  (p) => (p.specEntries === 0 ? noSpecEntries(everySkip(backupAnnotationRules, p)) : undefined),
  (p) => (p.specEntries > 0 ? entriesNotApplying(p.notApplicable) : undefined),
];

/** What the restore planner found for one pod, when it planned neither an init nor an exec hook. */
export interface RestorePodFindings {
  readonly ignoredAnnotations: boolean;
  readonly containers: number;
  /** The pod (after --no-annotation-hooks) carries post.hook.restore.velero.io/ keys. */
  readonly execKeys: boolean;
  /** The pod (after --no-annotation-hooks) carries init.hook.restore.velero.io/ keys. */
  readonly initKeys: boolean;
  readonly specEntries: number;
  /** Why each spec entry does not apply, for exec hooks and init containers. */
  readonly notApplicable: readonly string[];
}

const restoreAnnotationRules: readonly SkipPredicate<RestorePodFindings>[] = [
  (p) => (p.ignoredAnnotations ? { code: 'annotation-hooks-ignored', reason: 'the restore hook annotations are ignored (--no-annotation-hooks)' } : undefined),
  (p) => (p.containers === 0 ? { code: 'no-containers', reason: 'the pod has no containers, so Velero runs no exec hooks' } : undefined),
  (p) => (p.execKeys && p.containers > 0 ? { code: 'annotation-without-command', reason: 'the restore exec hook annotations have no command' } : undefined),
  (p) => (p.initKeys ? { code: 'annotation-without-command', reason: 'the init hook annotations have no container-image' } : undefined),
];

/** Why a pod gets no restore hook, in order; the first rule that matches gives the code. */
export const RESTORE_NO_HOOK_RULES: readonly SkipPredicate<RestorePodFindings>[] = [
  ...restoreAnnotationRules,
  (p) => (p.specEntries === 0 ? noSpecEntries(everySkip(restoreAnnotationRules, p)) : undefined),
  // An entry can be named twice (for its exec hooks and its init containers): once is enough.
  (p) => (p.specEntries > 0 ? entriesNotApplying([...new Set(p.notApplicable)]) : undefined),
];

/** No spec.hooks entries: said in full unless an annotation rule already spoke of the annotations. */
function noSpecEntries(annotationSkip: SkipVerdict | undefined): SkipVerdict {
  return { code: 'no-hooks', reason: annotationSkip === undefined ? 'no hook annotations and no spec.hooks entries' : 'there are no spec.hooks entries' };
}

function entriesNotApplying(reasons: readonly string[]): SkipVerdict | undefined {
  return reasons.length === 0 ? undefined : { code: 'no-entry-applies', reason: reasons.join('; ') };
}

/** Why a pod got no hook; a pod no rule explains (a restore entry with only init hooks that apply elsewhere) is `no-entry-applies`. */
export function noHookSkip<P>(rules: readonly SkipPredicate<P>[], findings: P): SkipVerdict {
  return everySkip(rules, findings) ?? { code: 'no-entry-applies', reason: '' };
}

/** kubehooks' namespace policy (--allow-namespace / --deny-namespace) for a pod with `hooks` planned. */
export function namespaceDeniedSkip(
  denied: ((namespace: string) => string | undefined) | undefined,
  namespace: string,
  hooks: number,
  what: string,
): SkipVerdict | undefined {
  const why = denied?.(namespace);
  return why === undefined ? undefined : { code: 'namespace-denied', reason: `${why}: its ${countLabel(hooks, what)} will not run` };
}

/** Velero fails the pod's restore (e.g. an invalid spec init container), so it gets no hook. */
export const restorePodFails: SkipPredicate<string | undefined> = (error) =>
  error === undefined ? undefined : { code: 'restore-pod-fails', reason: `Velero fails this pod's restore: ${error}` };

/** The skipped-pod entry for a verdict (fields in the order plans have always had: reason, then code). */
export function skippedPod(namespace: string, pod: string, verdict: SkipVerdict): SkippedPod {
  return { namespace, pod, reason: verdict.reason, code: verdict.code };
}
