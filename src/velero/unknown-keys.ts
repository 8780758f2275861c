/**
 * Lint of the keys under Velero's hook prefixes (and near-misses of the prefixes) that Velero never
 * reads, with a "did you mean". The known keys and the confusions come from the family tables
 * (annotation-settings.ts).
 */
import { isRecord } from '../util/is-record.ts';
import { ANNOTATION_FAMILIES, declaredSuffixes } from './annotation-settings.ts';
import { makeIssue, type ParseIssue } from './issue.ts';

/** Every suffix a family's readers look at (undeclared ones too: their readers report them). */
const KNOWN_SUFFIXES: ReadonlyMap<string, readonly string[]> = new Map(ANNOTATION_FAMILIES.map((f) => [f.prefix, f.settings.map((s) => s.suffix)]));
/** The suffixes to offer in a hint: those Velero declares. */
const DECLARED_SUFFIXES: ReadonlyMap<string, readonly string[]> = new Map(ANNOTATION_FAMILIES.map((f) => [f.prefix, declaredSuffixes(f.settings)]));
const HOOK_PREFIXES = ANNOTATION_FAMILIES.map((f) => f.prefix);

function confusionsFor(prefix: string): ReadonlyMap<string, string> {
  return ANNOTATION_FAMILIES.find((f) => f.prefix === prefix)?.confusions ?? new Map<string, string>();
}

/** Levenshtein distance, small inputs only. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** camelCase / snake_case / upper case → kebab-case, to compare with Velero's suffixes. */
function normaliseSuffix(suffix: string): string {
  return suffix
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

function suggestSuffix(prefix: string, suffix: string): string | undefined {
  const known = KNOWN_SUFFIXES.get(prefix) ?? [];
  const norm = normaliseSuffix(suffix);
  const confusions = confusionsFor(prefix);
  const direct = confusions.get(norm) ?? confusions.get(norm.replace(/-/g, ''));
  if (direct !== undefined) return direct;
  if (known.includes(norm)) return norm;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(norm, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** Known prefixes without the trailing slash, for near-miss detection of the prefix itself. */
const PREFIX_DOMAINS = HOOK_PREFIXES.map((p) => p.slice(0, -1));

function prefixOf(key: string): string | undefined {
  // Longest first: `pre.hook.backup.velero.io/` must win over nothing else, but keep it robust.
  return [...HOOK_PREFIXES].sort((a, b) => b.length - a.length).find((p) => key.startsWith(p));
}

/**
 * Keys under Velero's hook prefixes (and near-misses of the prefixes) that Velero never reads.
 * `post.hook.restore.velero.io/timeout` and `init.hook.restore.velero.io/timeout` are reported by
 * readRestoreExecAnnotationHook / readRestoreInitAnnotationHook instead (no duplicates).
 */
export function lintHookAnnotationKeys(annotations: Readonly<Record<string, string>> | undefined): ParseIssue[] {
  if (!isRecord(annotations)) return [];
  const record = annotations;
  const issues: ParseIssue[] = [];
  for (const key of Object.keys(record)) {
    const prefix = prefixOf(key);
    if (prefix !== undefined) {
      const suffix = key.slice(prefix.length);
      if ((KNOWN_SUFFIXES.get(prefix) ?? []).includes(suffix)) continue;
      const suggestion = suggestSuffix(prefix, suffix);
      const hint =
        suggestion === undefined
          ? `Known keys: ${(DECLARED_SUFFIXES.get(prefix) ?? []).map((s) => prefix + s).join(', ')}.`
          : suggestion.startsWith('nothing')
            ? `There is no such setting (${suggestion}); remove the key.`
            : `Did you mean ${prefix}${suggestion}?`;
      issues.push(makeIssue('annotation-key-unknown', key, `${key} is not a Velero hook annotation; Velero ignores it`, { hint }));
      continue;
    }
    const slash = key.indexOf('/');
    if (slash <= 0) continue;
    const domain = key.slice(0, slash);
    if (!domain.includes('velero') || PREFIX_DOMAINS.includes(domain)) continue;
    // A near-miss of a hook prefix, or any "*hook*.velero.io" domain (e.g. init.hook.backup.velero.io).
    const suffix = key.slice(slash + 1);
    // Prefer a prefix that knows this suffix (container-image → init.hook.restore…), then the closest.
    const score = (d: string): number => ((KNOWN_SUFFIXES.get(`${d}/`) ?? []).includes(suffix) ? 0 : 100) + editDistance(d, domain);
    const ranked = [...PREFIX_DOMAINS].sort((a, b) => score(a) - score(b));
    const nearest = ranked[0];
    const close = nearest !== undefined && editDistance(nearest, domain) <= 2;
    const hookish = /hook/i.test(domain) && domain.endsWith('velero.io');
    const near = close || hookish ? nearest : undefined;
    if (near !== undefined) {
      issues.push(
        makeIssue('annotation-key-unknown', key, `${key} is not a Velero hook annotation (prefix ${domain}/); Velero ignores it`, {
          hint: `Did you mean ${near}/${suffix}?`,
        }),
      );
    }
  }
  return issues;
}

