import { includesExcludes } from './glob.ts';
import type { Verdict } from './verdict.ts';

/** The group-resource string Velero tests a pod as. */
export const POD_RESOURCE = 'pods';

const POD_NAMES = new Set(['pod', 'pods', 'po']);

/**
 * Offline stand-in for Velero's discovery lookup: plural, singular and short name of pods, any
 * case, resolve to `pods`; everything else is kept verbatim (as Velero keeps what it cannot
 * resolve). Other resources never resolve to `pods`, so keeping them verbatim does not change
 * whether a pod matches.
 */
export function resolveResourceName(item: string): string {
  return POD_NAMES.has(item.toLowerCase()) ? POD_RESOURCE : item;
}

/**
 * Velero's GenerateIncludesExcludes + ShouldInclude for resources: `*` kept in includes, dropped
 * from excludes; items resolved; glob matching; exclusion wins.
 */
export function resourceIncluded(
  resource: string,
  includedResources: readonly string[],
  excludedResources: readonly string[],
  resolve: (item: string) => string = resolveResourceName,
): boolean {
  const includes = includedResources.map((item) => (item === '*' ? '*' : resolve(item))).filter((i) => i !== '');
  const excludes = excludedResources.filter((item) => item !== '*').map(resolve).filter((i) => i !== '');
  return includesExcludes(includes, excludes, resource).included;
}

/** Whether a backup hook entry's resource filters let pods through, and why not. */
export function matchBackupResources(includedResources: readonly string[], excludedResources: readonly string[], subject: string): Verdict {
  if (resourceIncluded(POD_RESOURCE, includedResources, excludedResources)) return { ok: true };
  const excludesPods = excludedResources.some((item) => item !== '*' && resourceIncluded(POD_RESOURCE, [item], []));
  const detail = excludesPods
    ? `excludedResources: ${excludedResources.join(', ')}`
    : `includedResources: ${includedResources.join(', ')}`;
  return { ok: false, reason: `${subject} does not apply to pods (${detail}); hooks only run on pods` };
}
