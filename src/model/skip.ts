/**
 * Why a pod gets no hook, as a stable code. `plan --output json` prints it as `skipped[].code`
 * beside the prose `reason`; scripts and the controller key on the code, people read the reason.
 * Codes are only ever added, never renamed (docs/plan-output.md lists them).
 */
export const SKIP_CODES = {
  // The Backup's own scope (Velero backs the pod up only if all of these let it through).
  'backup-invalid': 'Velero fails the Backup before it backs anything up (validation error), so no hook runs.',
  'backup-resources-exclude-pods': 'The Backup\'s resource filters leave out pods (includedResources, excludedResources or the *NamespaceScopedResources lists).',
  'backup-namespace-excluded': 'The pod\'s namespace matches spec.excludedNamespaces of the Backup.',
  'backup-namespace-not-included': 'The pod\'s namespace is not in spec.includedNamespaces of the Backup.',
  'backup-exclude-label': 'The pod is labelled velero.io/exclude-from-backup=true, so Velero does not back it up.',
  'backup-label-selector': 'The pod\'s labels do not match spec.labelSelector of the Backup.',
  'backup-or-label-selectors': 'The pod\'s labels match none of spec.orLabelSelectors of the Backup.',
  // The Restore's own scope.
  'restore-invalid': 'Velero puts the Restore in FailedValidation, so no hook runs.',
  'restore-resources-exclude-pods': 'The Restore\'s includedResources/excludedResources leave out pods.',
  'restore-namespace-excluded': 'The pod\'s source namespace matches spec.excludedNamespaces of the Restore.',
  'restore-namespace-not-included': 'The pod\'s source namespace is not in spec.includedNamespaces of the Restore.',
  'restore-namespace-not-restored': 'The pod is in a namespace this Restore does not restore into (spec.namespaceMapping moves that namespace elsewhere).',
  'restore-label-selector': 'The pod\'s labels do not match spec.labelSelector of the Restore.',
  'restore-or-label-selectors': 'The pod\'s labels match none of spec.orLabelSelectors of the Restore.',
  'restore-other-restore': 'The pod carries velero.io/restore-name naming another Restore: this Restore did not create it.',
  'restore-pod-fails': 'Velero would fail this pod\'s restore (e.g. an invalid spec init container), so it gets no hook.',
  // Hooks.
  'no-hooks': 'The pod has no hook annotations and the Backup/Restore has no spec.hooks entries.',
  'no-entry-applies': 'No spec.hooks entry applies to the pod (namespace, resources or labelSelector of each entry), or those that apply have no hooks of this phase.',
  'annotation-without-command': 'The pod has hook annotations but no command annotation, so Velero declares no hook.',
  'annotation-hooks-ignored': 'The pod\'s hook annotations are ignored (--no-annotation-hooks) and no spec hook applies.',
  'no-containers': 'The pod has no containers, so Velero runs no exec hooks in it.',
  // kubehooks' own policy.
  'namespace-denied': 'Hooks may not run in the pod\'s namespace (--allow-namespace / --deny-namespace).',
  'stage-invalid': 'The pod\'s kubehooks.dev/stage annotation is not a stage (a whole number from 0 to 999): kubehooks cannot place its hooks in the order, so `run` refuses the plan.',
  // --from-restore / restoreRef (ADR 0021): which live pods kubehooks runs the Restore's hooks in.
  'created-by-velero': 'Velero created the pod (it carries this Restore\'s velero.io/restore-name label) and runs its post-restore hooks itself.',
  'no-owner': 'No workload owns the pod and Velero did not create it, so it is not part of the Restore.',
  'owner-not-restored': 'The pod\'s owner chain ends at an object this Restore did not create (no velero.io/restore-name label naming it).',
  'owner-chain-broken': 'An owner in the pod\'s chain does not exist (or cannot be listed), or the chain has no controller reference or is too long.',
  'owner-kind-unsupported': 'The pod\'s owner chain goes through a kind kubehooks does not follow (it follows the built-in workload kinds).',
  'outside-restore-namespaces': 'The pod is in a namespace the Restore does not restore into (its namespaces after spec.namespaceMapping).',
} as const satisfies Readonly<Record<string, string>>;

export type SkipCode = keyof typeof SKIP_CODES;

/** What a skip predicate returns for a pod it rules out. */
export interface SkipVerdict {
  readonly code: SkipCode;
  readonly reason: string;
}

/** One rule of a scope: undefined = the pod passes, else why it is out. */
export type SkipPredicate<P> = (pod: P) => SkipVerdict | undefined;

/**
 * Every rule that rules the pod out, in order: the first one's code and all their reasons joined with
 * "; " (a pod may get no hook for several reasons at once). undefined when every rule lets it through.
 */
export function everySkip<P>(predicates: readonly SkipPredicate<P>[], pod: P): SkipVerdict | undefined {
  const verdicts = predicates.map((predicate) => predicate(pod)).filter((v) => v !== undefined);
  const first = verdicts[0];
  return first === undefined ? undefined : { code: first.code, reason: verdicts.map((v) => v.reason).join('; ') };
}

/** The first rule that rules the pod out, or undefined when every rule lets it through. */
export function firstSkip<P>(predicates: readonly SkipPredicate<P>[], pod: P): SkipVerdict | undefined {
  for (const predicate of predicates) {
    const verdict = predicate(pod);
    if (verdict !== undefined) return verdict;
  }
  return undefined;
}
