import { defineRule, type LintRule } from '../rule.ts';

/**
 * A Restore hook entry lists a source namespace that namespaceMapping moves away: since Velero 1.9
 * entries match the target namespace, so the entry never matches pods restored from it.
 */
export const hookEntrySourceNamespace: LintRule = defineRule({
  code: 'hook-entry-source-namespace',
  severity: 'warning',
  summary: 'A Restore hook entry names a source namespace that spec.namespaceMapping moves; entries match the target namespace.',
  hint: 'Name the target namespace (after namespaceMapping) in the hook entry.',
}, {
  *hookObject(object, ctx) {
    const parsed = ctx.parsedSpec(object);
    if (parsed.kind !== 'restore' || parsed.restore === undefined) return;
    const mapping = parsed.restore.namespaceMapping;
    const targets = new Set(Object.values(mapping));
    for (const entry of parsed.restore.resources) {
      for (const [i, ns] of entry.includedNamespaces.entries()) {
        const moved = Object.hasOwn(mapping, ns) ? mapping[ns] : undefined;
        // Still a target of another mapping: pods can land there, so the name is not a mistake.
        if (moved === undefined || moved === ns || targets.has(ns)) continue;
        yield {
          object, key: `${entry.path}.includedNamespaces[${i}]`,
          message: `hook entry ${JSON.stringify(entry.name)} includes namespace ${JSON.stringify(ns)}, but spec.namespaceMapping restores ${JSON.stringify(ns)} into ${JSON.stringify(moved)} and hook entries match the target namespace: did you mean ${moved}?`,
          hint: `Write ${JSON.stringify(moved)} instead of ${JSON.stringify(ns)} (Velero matches the target namespace since 1.9).`,
        };
      }
    }
  },
});
