import type { PodManifest } from '../model/pod.ts';
import { compileGlob } from '../select/glob.ts';
import { HOOK_ANNOTATION_PREFIXES } from '../velero/annotation-settings.ts';
import type { VeleroVersion } from '../velero/profiles.ts';

/**
 * What the operator trusts, on top of Velero's rules: annotation hooks at all, and which namespaces
 * hooks may run in. Applied while planning, so a hook it rules out is never planned, never run, and
 * the pod is listed as skipped with the reason.
 */
export interface PlanPolicy {
  /** false: hook annotations on pods are ignored; only the Backup/Restore spec's hooks apply (`--no-annotation-hooks`). */
  readonly annotationHooks?: boolean | undefined;
  /** Returns why hooks may not run in `namespace`, or undefined when they may. */
  readonly namespaceDenied?: ((namespace: string) => string | undefined) | undefined;
  /**
   * Which Velero the plan describes beside kubehooks' own behaviour (`--velero-version`; default
   * DEFAULT_VELERO_VERSION): the onError values annotations may use, and each hook's `velero` view.
   */
  readonly veleroVersion?: VeleroVersion | undefined;
}

export type NamespacePolicyResult =
  | { readonly ok: true; readonly denied: (namespace: string) => string | undefined }
  | { readonly ok: false; readonly error: string };

/**
 * `--allow-namespace` / `--deny-namespace` globs (Velero's glob syntax): a deny match always wins;
 * with any allow pattern, a namespace must match one. Both empty = every namespace allowed.
 */
export function namespacePolicy(allow: readonly string[], deny: readonly string[]): NamespacePolicyResult {
  const compile = (flag: string, patterns: readonly string[]) =>
    patterns.map((pattern) => {
      const glob = compileGlob(pattern);
      if (!glob.ok) throw new PolicyPatternError(`${flag} ${JSON.stringify(pattern)}: ${glob.error}`);
      return { pattern, test: glob.test };
    });
  let allowed: { pattern: string; test: (s: string) => boolean }[];
  let denied: { pattern: string; test: (s: string) => boolean }[];
  try {
    allowed = compile('--allow-namespace', allow);
    denied = compile('--deny-namespace', deny);
  } catch (error) {
    if (error instanceof PolicyPatternError) return { ok: false, error: error.message };
    throw error;
  }
  return {
    ok: true,
    denied: (namespace) => {
      const d = denied.find((p) => p.test(namespace));
      if (d !== undefined) return `namespace ${JSON.stringify(namespace)} is denied by --deny-namespace ${JSON.stringify(d.pattern)}`;
      if (allowed.length > 0 && !allowed.some((p) => p.test(namespace))) {
        return `namespace ${JSON.stringify(namespace)} is not allowed by --allow-namespace (${allowed.map((p) => p.pattern).join(', ')})`;
      }
      return undefined;
    },
  };
}

class PolicyPatternError extends Error {}

export function isHookAnnotationKey(key: string): boolean {
  return HOOK_ANNOTATION_PREFIXES.some((p) => key.startsWith(p));
}

/** The pod with every Velero hook annotation removed, and the keys that were removed. */
export function withoutHookAnnotations(pod: PodManifest): { readonly pod: PodManifest; readonly removed: readonly string[] } {
  const annotations = pod.metadata.annotations;
  if (annotations === undefined) return { pod, removed: [] };
  const removed = Object.keys(annotations).filter(isHookAnnotationKey);
  if (removed.length === 0) return { pod, removed };
  const kept = Object.fromEntries(Object.entries(annotations).filter(([k]) => !isHookAnnotationKey(k)));
  return { pod: { ...pod, metadata: { ...pod.metadata, annotations: kept } }, removed };
}
