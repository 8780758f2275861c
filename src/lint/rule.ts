import type { Severity } from '../model/diagnostic.ts';
import type { DeclaredExecHook, DeclaredInitHook } from '../model/hook.ts';
import type { LoadedHookObject, LoadedObject, LoadedPod } from '../load/loaded-object.ts';
import type { BackupHooks, RestoreHooks } from '../velero/spec.ts';
import type { VeleroProfile } from '../velero/profiles.ts';

/** A pod's hooks as declared by its annotations (parsed once per lint run). */
export interface PodAnnotationHooks {
  readonly backupPre: DeclaredExecHook | undefined;
  /** Which annotation family the pre hook came from, for keys in messages. */
  readonly backupPreFamily: 'pre' | 'legacy' | undefined;
  readonly backupPost: DeclaredExecHook | undefined;
  readonly restoreExec: DeclaredExecHook | undefined;
  readonly restoreInit: DeclaredInitHook | undefined;
}

/** A spec hook that applies to a pod, with the spec path of the hook (`spec.hooks.resources[0].pre[1]`). */
export interface MatchedSpecExecHook {
  readonly hook: DeclaredExecHook;
  readonly phase: 'pre' | 'post' | 'restore';
  readonly path: string;
}

export interface MatchedSpecInitHook {
  readonly hook: DeclaredInitHook;
  readonly path: string;
}

/** What rules see: every loaded pod and Backup/Schedule/Restore, with parsing done once. */
export interface LintContext {
  /** The Velero version profile (`--velero-version`) messages describe. */
  readonly profile: VeleroProfile;
  /** Every loaded object, pods included. */
  readonly objects: readonly LoadedObject[];
  readonly pods: readonly LoadedPod[];
  readonly hookObjects: readonly LoadedHookObject[];
  annotationHooks(pod: LoadedPod): PodAnnotationHooks;
  /**
   * Exec hooks of `hookObject`'s spec that run on `pod`: selectors evaluated as Velero does, and
   * without those that an annotation hook of the same phase replaces on this pod (§2.6).
   */
  specExecHooks(pod: LoadedPod, hookObject: LoadedHookObject): readonly MatchedSpecExecHook[];
  /** Every exec hook of `hookObject`'s spec whose selectors match `pod`, replaced ones included. */
  matchingSpecExecHooks(pod: LoadedPod, hookObject: LoadedHookObject): readonly MatchedSpecExecHook[];
  /** Every exec hook of `hookObject`'s spec, whatever it applies to. */
  allSpecExecHooks(hookObject: LoadedHookObject): readonly MatchedSpecExecHook[];
  /** Init hooks of a Restore's spec that are injected into `pod` (none when its init annotations replace them). */
  specInitHooks(pod: LoadedPod, hookObject: LoadedHookObject): readonly MatchedSpecInitHook[];
  /** Init hooks of a Restore's spec whose selectors match `pod`, replaced ones included. */
  matchingSpecInitHooks(pod: LoadedPod, hookObject: LoadedHookObject): readonly MatchedSpecInitHook[];
  /** The parsed Backup/Schedule or Restore (scope, entries, namespaceMapping); undefined when unreadable. */
  parsedSpec(hookObject: LoadedHookObject): { readonly kind: 'backup'; readonly backup: BackupHooks | undefined } | { readonly kind: 'restore'; readonly restore: RestoreHooks | undefined };
}

/** One problem found by a rule; the engine adds the code, position and object reference. */
export interface Finding {
  readonly object: LoadedObject;
  /** Annotation key or path (relative to the object; for pods relative to the pod template). */
  readonly key: string;
  /** Without the object name: the engine prefixes `Deployment prod/web: `. */
  readonly message: string;
  readonly hint?: string;
  readonly severity?: Severity;
}

/** A context rule: needs a whole pod, or a Backup/Restore together with the pods. One file per rule. */
export interface LintRule {
  readonly code: string;
  readonly severity: Severity;
  /** One line for docs and `--help`. */
  readonly summary: string;
  /** Default hint. */
  readonly hint: string;
  check(ctx: LintContext): readonly Finding[];
}

/** What a rule says about itself (the catalog, SARIF and docs read it): everything but `check`. */
export type RuleInfo = Omit<LintRule, 'check'>;

/**
 * The checks of one rule, each on one kind of thing; a rule has one or more. The findings come in
 * this order: every object, then every pod, then every Backup/Schedule/Restore.
 */
export interface RuleChecks {
  /** Every loaded object, pods included. */
  readonly object?: (object: LoadedObject, ctx: LintContext) => Iterable<Finding>;
  readonly pod?: (pod: LoadedPod, ctx: LintContext) => Iterable<Finding>;
  readonly hookObject?: (hookObject: LoadedHookObject, ctx: LintContext) => Iterable<Finding>;
}

/** A rule from its description and per-object checks: the loops and the findings list written once. */
export function defineRule(info: RuleInfo, checks: RuleChecks): LintRule {
  return {
    ...info,
    check(ctx) {
      const findings: Finding[] = [];
      const each = <T>(things: readonly T[], check: ((thing: T, ctx: LintContext) => Iterable<Finding>) | undefined): void => {
        if (check === undefined) return;
        for (const thing of things) findings.push(...check(thing, ctx));
      };
      each(ctx.objects, checks.object);
      each(ctx.pods, checks.pod);
      each(ctx.hookObjects, checks.hookObject);
      return findings;
    },
  };
}

/** A spec exec hook that applies to a pod, with the Backup/Schedule/Restore it comes from. */
export interface PodSpecExecHook extends MatchedSpecExecHook {
  readonly hookObject: LoadedHookObject;
}

/** Every spec exec hook of every loaded Backup/Schedule/Restore that runs on `pod` (see `specExecHooks`). */
export function* specExecHooksOn(ctx: LintContext, pod: LoadedPod): Generator<PodSpecExecHook> {
  for (const hookObject of ctx.hookObjects) {
    for (const m of ctx.specExecHooks(pod, hookObject)) yield { ...m, hookObject };
  }
}
