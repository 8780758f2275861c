import { compileGlob, includesExcludes } from './glob.ts';

import type { Verdict } from './verdict.ts';

const list = (items: readonly string[]): string => items.join(', ');

/**
 * Velero's namespace rule for hook entries (§3.4): globs, exclusion wins, empty includes or `*` in
 * includes = all, `*` in excludes excludes all. `subject` names the entry in the reason, e.g.
 * `spec.hooks.resources[0] "freeze"`.
 */
export function matchNamespace(
  namespace: string,
  includedNamespaces: readonly string[],
  excludedNamespaces: readonly string[],
  subject: string,
): Verdict {
  const verdict = includesExcludes(includedNamespaces, excludedNamespaces, namespace);
  if (verdict.included) return { ok: true };
  if (verdict.why?.kind === 'excluded') {
    return {
      ok: false,
      reason: `namespace ${JSON.stringify(namespace)} is excluded by ${subject} (excludedNamespaces: ${verdict.why.pattern})`,
    };
  }
  const broken = includedNamespaces.find((p) => !compileGlob(p).ok);
  const note = broken === undefined ? '' : `; the invalid pattern ${JSON.stringify(broken)} makes Velero's list match nothing`;
  return {
    ok: false,
    reason: `namespace ${JSON.stringify(namespace)} is not included by ${subject} (includedNamespaces: ${list(includedNamespaces)}${note})`,
  };
}
