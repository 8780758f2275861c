import type { LoadedHookObject, LoadedPod } from '../load/loaded-object.ts';
import { firstSkip } from '../model/skip.ts';
import { backupScopeRules, restoreScopeRules } from '../plan/scope.ts';
import type { ParseIssue } from '../velero/issue.ts';
import { parseBackupObject, parseRestoreObject } from '../velero/spec.ts';
import type { VeleroReadOptions } from '../velero/profiles.ts';
import type { BackupHooks, HookResourceSelector, RestoreHooks } from '../velero/spec.ts';
import { entryApplies, podNamespace as manifestNamespace } from '../velero/rules.ts';
import type { MatchedSpecExecHook, MatchedSpecInitHook } from './rule.ts';

/** A Backup/Schedule/Restore with its spec.hooks parsed once, and selectors ready to test pods. */
export interface ParsedHookObject {
  readonly object: LoadedHookObject;
  readonly issues: readonly ParseIssue[];
  readonly allExec: readonly MatchedSpecExecHook[];
  /** The parsed object (undefined when it cannot be read at all). */
  readonly spec: { readonly kind: 'backup'; readonly backup: BackupHooks | undefined } | { readonly kind: 'restore'; readonly restore: RestoreHooks | undefined };
  /** Hooks of entries that apply to the pod, for pods inside the object's own scope only (§13). */
  execFor(pod: LoadedPod): readonly MatchedSpecExecHook[];
  initFor(pod: LoadedPod): readonly MatchedSpecInitHook[];
}

/** Manifests without a namespace are applied to the current namespace; we assume `default`. */
function podNamespace(pod: LoadedPod): string {
  return manifestNamespace(pod.pod);
}

function applies(entry: HookResourceSelector, namespace: string, pod: LoadedPod, backup: boolean): boolean {
  return entryApplies(entry, pod.pod, namespace, backup ? 'backup' : 'restore').ok;
}

export function parseHookObject(object: LoadedHookObject, options: VeleroReadOptions = {}): ParsedHookObject {
  if (object.type === 'backup') {
    const { backup, issues } = parseBackupObject(object.raw, options);
    const resources = backup?.resources ?? [];
    const execOf = (entry: (typeof resources)[number]): MatchedSpecExecHook[] => [
      ...entry.pre.map((hook) => ({ hook, phase: 'pre' as const, path: `${entry.path}.pre[${hook.index}]` })),
      ...entry.post.map((hook) => ({ hook, phase: 'post' as const, path: `${entry.path}.post[${hook.index}]` })),
    ];
    // Lint reports every problem in one pass: pods are matched as if the object's errors were fixed.
    const rules = backupScopeRules(backup === undefined ? undefined : { ...backup, validationErrors: [] });
    const inScope = (pod: LoadedPod): boolean => firstSkip(rules, { pod: pod.pod, namespace: podNamespace(pod) }) === undefined;
    return {
      object, issues,
      spec: { kind: 'backup', backup },
      allExec: resources.flatMap(execOf),
      execFor: (pod) => (inScope(pod) ? resources.filter((e) => applies(e, podNamespace(pod), pod, true)).flatMap(execOf) : []),
      initFor: () => [],
    };
  }
  const { restore, issues } = parseRestoreObject(object.raw, options);
  const resources = restore?.resources ?? [];
  const mapping = restore?.namespaceMapping ?? {};
  // Selectors name the target namespace (after namespaceMapping, Velero #4720).
  const target = (pod: LoadedPod): string => mapping[podNamespace(pod)] ?? podNamespace(pod);
  const execOf = (entry: (typeof resources)[number]): MatchedSpecExecHook[] =>
    entry.postHooks.flatMap((p) => (p.kind === 'exec' ? [{ hook: p.hook, phase: 'restore' as const, path: `${entry.path}.postHooks[${p.hook.index}]` }] : []));
  const initOf = (entry: (typeof resources)[number]): MatchedSpecInitHook[] =>
    entry.postHooks.flatMap((p) => (p.kind === 'init' ? [{ hook: p.hook, path: `${entry.path}.postHooks[${p.hook.index}]` }] : []));
  // Lint sees manifests as backed up: the pod's own namespace is its source namespace.
  const rules = restoreScopeRules(restore === undefined ? undefined : { ...restore, validationErrors: [] });
  const inScope = (pod: LoadedPod): boolean =>
    firstSkip(rules, { pod: pod.pod, namespace: target(pod), sourceNamespaces: [podNamespace(pod)], live: false }) === undefined;
  const matching = (pod: LoadedPod) => (inScope(pod) ? resources.filter((e) => applies(e, target(pod), pod, false)) : []);
  return {
    object, issues,
    spec: { kind: 'restore', restore },
    allExec: resources.flatMap(execOf),
    execFor: (pod) => matching(pod).flatMap(execOf),
    initFor: (pod) => matching(pod).flatMap(initOf),
  };
}
