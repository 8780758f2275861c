/**
 * The Backup's and the Restore's own scope as skip predicates (reference §13): a pod Velero does not
 * back up (or restore) gets no hook at all, annotation hooks included. One small predicate per rule,
 * each naming the field that rules the pod out and a stable code; the first that applies wins.
 */
import { type SkipCode, type SkipPredicate, type SkipVerdict } from '../model/skip.ts';
import type { PodManifest } from '../model/pod.ts';
import { globSetMatch, includesExcludes } from '../select/glob.ts';
import { formatLabelSelector, matchLabelSelector } from '../select/label-selector.ts';
import { POD_RESOURCE, resourceIncluded } from '../select/resources.ts';
import { EXCLUDE_FROM_BACKUP_LABEL, RESTORE_NAME_LABEL, type ScopeSelectors } from '../velero/scope.ts';
import type { BackupHooks, RestoreHooks } from '../velero/spec.ts';

/** A pod as a backup sees it: where it is now. */
export interface BackupCandidate {
  readonly pod: PodManifest;
  readonly namespace: string;
}

/**
 * A pod as a restore sees it: `namespace` is where it is (or will be) restored, `sourceNamespaces`
 * the backed-up namespaces it can have come from (several sources may map to one target; empty =
 * nothing this Restore restores lands there). `live` pods are already in the cluster.
 */
export interface RestoreCandidate {
  readonly pod: PodManifest;
  readonly namespace: string;
  readonly sourceNamespaces: readonly string[];
  readonly live: boolean;
}

const list = (items: readonly string[]): string => `[${items.join(', ')}]`;

function out(code: SkipCode, what: 'backup' | 'restore', reason: string): SkipVerdict {
  return { code, reason: `not in the ${what}: ${reason}` };
}

/** includedNamespaces / excludedNamespaces against one namespace: undefined = taken. */
function namespaceVerdict(scope: ScopeSelectors, namespace: string, what: 'backup' | 'restore', label: string): SkipVerdict | undefined {
  const verdict = includesExcludes(scope.includedNamespaces, scope.excludedNamespaces, namespace);
  if (verdict.included) return undefined;
  if (verdict.why?.kind === 'excluded') {
    return out(`${what}-namespace-excluded`, what, `${label} matches ${scope.path}.excludedNamespaces ${list(scope.excludedNamespaces)} (pattern ${JSON.stringify(verdict.why.pattern)})`);
  }
  return out(`${what}-namespace-not-included`, what, `${label} is not in ${scope.path}.includedNamespaces ${list(scope.includedNamespaces)}`);
}

function resourcesRule<P>(scope: ScopeSelectors, what: 'backup' | 'restore'): SkipPredicate<P> {
  const { included, excluded, includedField, excludedField } = scope.resources;
  const taken = resourceIncluded(POD_RESOURCE, included, excluded);
  const byExclude = excluded.some((item) => item !== '*' && resourceIncluded(POD_RESOURCE, [item], []));
  const why = byExclude
    ? `${scope.path}.${excludedField} ${list(excluded)} leaves out pods`
    : `${scope.path}.${includedField} ${list(included)} does not take pods`;
  return () => (taken ? undefined : out(`${what}-resources-exclude-pods`, what, why));
}

function labelRules<P extends { readonly pod: PodManifest }>(scope: ScopeSelectors, what: 'backup' | 'restore'): SkipPredicate<P>[] {
  const rules: SkipPredicate<P>[] = [];
  const selector = scope.labelSelector;
  if (selector !== undefined) {
    rules.push(({ pod }) => {
      const v = matchLabelSelector(selector, pod.metadata.labels, `${scope.path}.labelSelector`);
      return v.ok ? undefined : out(`${what}-label-selector`, what, v.reason);
    });
  }
  const any = scope.orLabelSelectors;
  if (any.length > 0) {
    rules.push(({ pod }) => {
      if (any.some((s) => matchLabelSelector(s, pod.metadata.labels, '').ok)) return undefined;
      return out(`${what}-or-label-selectors`, what, `labels match none of ${scope.path}.orLabelSelectors (${any.map(formatLabelSelector).join(' | ')})`);
    });
  }
  return rules;
}

/** The rules of a Backup (or Schedule template), in Velero's order: valid at all, resources, namespaces, exclude label, labels. */
export function backupScopeRules(backup: BackupHooks | undefined): SkipPredicate<BackupCandidate>[] {
  if (backup === undefined) return [];
  const fatal = backup.validationErrors;
  if (fatal.length > 0) {
    return [() => ({ code: 'backup-invalid', reason: `Velero fails this backup before any hook runs: ${fatal.join('; ')}` })];
  }
  const scope = backup.scope;
  return [
    resourcesRule(scope, 'backup'),
    ({ namespace }) => namespaceVerdict(scope, namespace, 'backup', `namespace ${JSON.stringify(namespace)}`),
    ({ pod }) =>
      pod.metadata.labels?.[EXCLUDE_FROM_BACKUP_LABEL] === 'true'
        ? out('backup-exclude-label', 'backup', `the pod is labelled ${EXCLUDE_FROM_BACKUP_LABEL}=true`)
        : undefined,
    ...labelRules<BackupCandidate>(scope, 'backup'),
  ];
}

/** The backed-up namespaces that end up in `target` under `mapping` (the target itself unless it is mapped away). */
export function sourceNamespacesOf(target: string, mapping: Readonly<Record<string, string>>): string[] {
  const sources = Object.keys(mapping).filter((s) => mapping[s] === target).sort();
  if (!Object.hasOwn(mapping, target) && !sources.includes(target)) sources.push(target);
  return sources;
}

function restoreNamespaceRule(restore: RestoreHooks): SkipPredicate<RestoreCandidate> {
  const scope = restore.scope;
  return ({ namespace, sourceNamespaces }) => {
    if (sourceNamespaces.length === 0) {
      const moved = restore.namespaceMapping[namespace] ?? '';
      return out(
        'restore-namespace-not-restored',
        'restore',
        `spec.namespaceMapping moves namespace ${JSON.stringify(namespace)} to ${JSON.stringify(moved)}, so this Restore creates no pods in ${JSON.stringify(namespace)}`,
      );
    }
    let first: SkipVerdict | undefined;
    for (const source of sourceNamespaces) {
      const label = source === namespace ? `namespace ${JSON.stringify(source)}` : `source namespace ${JSON.stringify(source)} (restored into ${JSON.stringify(namespace)})`;
      const verdict = namespaceVerdict(scope, source, 'restore', label);
      if (verdict === undefined) return undefined;
      first ??= verdict;
    }
    return first;
  };
}

/** The rules of a Restore: valid at all, resources, source namespaces, labels, and for live pods the restore-name label. */
export function restoreScopeRules(restore: RestoreHooks | undefined): SkipPredicate<RestoreCandidate>[] {
  if (restore === undefined) return [];
  const fatal = restore.validationErrors;
  if (fatal.length > 0) {
    return [() => ({ code: 'restore-invalid', reason: `Velero rejects this restore (FailedValidation): ${fatal.join('; ')}` })];
  }
  const scope = restore.scope;
  const name = scope.restoreName;
  return [
    resourcesRule(scope, 'restore'),
    restoreNamespaceRule(restore),
    ...labelRules<RestoreCandidate>(scope, 'restore'),
    ({ pod, live }) => {
      const label = pod.metadata.labels?.[RESTORE_NAME_LABEL];
      if (!live || name === '' || label === undefined || label === name) return undefined;
      return out('restore-other-restore', 'restore', `the pod's ${RESTORE_NAME_LABEL} label names restore ${JSON.stringify(label)}, not ${JSON.stringify(name)}, so this Restore did not create it`);
    },
  ];
}

/** Whether any namespace pattern is a glob (not a plain name). */
export function hasGlob(patterns: readonly string[]): boolean {
  return patterns.some((p) => /[*?[\]{}\\]/.test(p));
}

/**
 * The namespaces to list pods from when no -n is given: the Backup's (or the Restore's mapped
 * target) namespaces when it names them by plain name, else undefined (all namespaces; the
 * predicates then filter). Excluded names are left out.
 */
export function scopeNamespaces(scope: ScopeSelectors, mapping: Readonly<Record<string, string>> = {}): string[] | undefined {
  const included = scope.includedNamespaces;
  if (included.length === 0 || included.includes('*') || hasGlob(included)) return undefined;
  const kept = [...new Set(included)].filter((ns) => globSetMatch(scope.excludedNamespaces, ns) === undefined);
  return [...new Set(kept.map((ns) => (Object.hasOwn(mapping, ns) ? (mapping[ns] ?? ns) : ns)))].sort();
}
