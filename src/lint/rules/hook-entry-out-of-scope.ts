import { globSetMatch, includesExcludes } from '../../select/glob.ts';
import { POD_RESOURCE, resourceIncluded } from '../../select/resources.ts';
import { hasGlob } from '../../plan/scope.ts';
import type { HookResourceSelector } from '../../velero/spec.ts';
import type { ScopeSelectors } from '../../velero/scope.ts';
import { defineRule, type LintRule } from '../rule.ts';

/**
 * Whether an entry's namespaces can meet the namespaces the Backup/Restore takes, as far as plain
 * names decide it: 'never' with the reason, or undefined when they can (or globs leave it open).
 * `targets` are the object's namespaces as hook entries see them (restore: after namespaceMapping).
 */
function neverMeets(entry: HookResourceSelector, scope: ScopeSelectors, targets: readonly string[] | undefined): string | undefined {
  const entryTakes = (ns: string): boolean => includesExcludes(entry.includedNamespaces, entry.excludedNamespaces, ns).included;
  if (targets !== undefined) {
    if (targets.some(entryTakes)) return undefined;
    return `its namespaces (includedNamespaces [${entry.includedNamespaces.join(', ')}]${entry.excludedNamespaces.length > 0 ? `, excludedNamespaces [${entry.excludedNamespaces.join(', ')}]` : ''}) match none of the namespaces the object takes (${targets.join(', ') || 'none'})`;
  }
  const own = entry.includedNamespaces;
  if (own.length === 0 || own.includes('*') || hasGlob(own)) return undefined;
  const scopeTakes = (ns: string): boolean => includesExcludes(scope.includedNamespaces, scope.excludedNamespaces, ns).included;
  if (own.some((ns) => scopeTakes(ns) && entryTakes(ns))) return undefined;
  const excluded = own.filter((ns) => globSetMatch(scope.excludedNamespaces, ns) !== undefined);
  return excluded.length === own.length
    ? `every namespace it includes (${own.join(', ')}) is in ${scope.path}.excludedNamespaces`
    : `none of the namespaces it includes (${own.join(', ')}) is in ${scope.path}.includedNamespaces [${scope.includedNamespaces.join(', ')}]`;
}

/** Plain included names of the scope, mapped to targets; undefined when globs or "all" leave it open. */
function literalTargets(scope: ScopeSelectors, mapping: Readonly<Record<string, string>>): string[] | undefined {
  const inc = scope.includedNamespaces;
  if (inc.length === 0 || inc.includes('*') || hasGlob(inc)) return undefined;
  return inc.filter((ns) => globSetMatch(scope.excludedNamespaces, ns) === undefined).map((ns) => (Object.hasOwn(mapping, ns) ? (mapping[ns] ?? ns) : ns));
}

/** A hook entry that can never match a pod the Backup (or Restore) itself takes (§13). */
export const hookEntryOutOfScope: LintRule = defineRule({
  code: 'hook-entry-out-of-scope',
  severity: 'warning',
  summary: 'A spec.hooks entry can never match a pod the Backup or Restore itself takes.',
  hint: 'Make the entry\'s namespaces match the Backup\'s (or the Restore\'s target) namespaces, or widen the object\'s scope; hooks run only on pods Velero backs up or restores.',
}, {
  *hookObject(object, ctx) {
    const parsed = ctx.parsedSpec(object);
    const hooks = parsed.kind === 'backup' ? parsed.backup : parsed.restore;
    if (hooks === undefined || hooks.validationErrors.length > 0) return;
    const scope = hooks.scope;
    const what = parsed.kind;
    if (!resourceIncluded(POD_RESOURCE, scope.resources.included, scope.resources.excluded)) {
      yield {
        object, key: `${scope.path}.${scope.resources.excludedField}`,
        message: `the ${what} takes no pods (${scope.path}.${scope.resources.includedField} / ${scope.resources.excludedField}), so none of its hooks and no annotation hook ever runs`,
      };
      return;
    }
    const mapping = parsed.kind === 'restore' ? (parsed.restore?.namespaceMapping ?? {}) : {};
    const targets = literalTargets(scope, mapping);
    for (const entry of hooks.resources) {
      const why = neverMeets(entry, scope, targets);
      if (why === undefined) continue;
      yield {
        object, key: `${entry.path}.includedNamespaces`,
        message: `hook entry ${JSON.stringify(entry.name)} (${entry.path}) can never match a pod the ${what} takes: ${why}`,
      };
    }
  },
});
