import { UNSET_EXEC_SETTINGS } from '../model/hook.ts';
import type { Plan, PlannedHook, SkippedPod } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { selectInitHooks } from '../inject/init-hooks.ts';
import { readRestoreExecAnnotationHook } from '../velero/annotations.ts';
import { RESTORE_EXEC_PREFIX, RESTORE_INIT_PREFIX } from '../velero/annotation-settings.ts';
import type { RestoreHooks } from '../velero/spec.ts';
import { firstSkip } from '../model/skip.ts';
import { namespaceDeniedSkip, noHookSkip, RESTORE_NO_HOOK_RULES, restorePodFails, skippedPod } from './skips.ts';
import { restoreScopeRules, sourceNamespacesOf } from './scope.ts';
import { boundReasons, containerNotes, countLabel, planExecHook, type PlanNote } from './common.ts';
import { entryApplies, entrySubject, podNamespace } from '../velero/rules.ts';
import type { DetailedPlan } from './plan-backup.ts';
import { type PlanPolicy, withoutHookAnnotations } from './policy.ts';
import { veleroProfile } from '../velero/profiles.ts';
import { veleroInitView } from './velero-view.ts';

function hasKeyWithPrefix(pod: PodManifest, prefix: string): boolean {
  return Object.keys(pod.metadata.annotations ?? {}).some((k) => k.startsWith(prefix));
}

/** Velero's grouping (§7.1): per container in pod spec order; unknown containers last, in first-seen order. */
function orderByContainer(hooks: readonly PlannedHook[], pod: PodManifest): PlannedHook[] {
  const order = pod.spec.containers.map((c) => c.name);
  for (const hook of hooks) if (!order.includes(hook.container)) order.push(hook.container);
  return order.flatMap((name) => hooks.filter((h) => h.container === name));
}

export interface PlanRestoreOptions {
  readonly generateName: () => string;
  readonly policy?: PlanPolicy | undefined;
  /**
   * true: the pods are manifests as backed up (namespace = source namespace); each is first moved to
   * its target namespace through namespaceMapping, as Velero does when it creates it. Default: the
   * pods are already restored (live, in their target namespace).
   */
  readonly backedUp?: boolean | undefined;
  /**
   * true: the pods are live pods that workloads this Restore created made (`--from-restore`, ADR
   * 0021): the Restore's own object filters (resources, namespaces, labels, restore-name) chose
   * their owners, not them, and are not applied; the hook entries' own selectors still are.
   */
  readonly ownedPods?: boolean | undefined;
}

/**
 * Restore hooks for restored pods (in their target namespace): only pods the Restore itself
 * restores (§13: its source namespaces, resources, labels; a Restore in FailedValidation restores
 * none); init containers that Velero injects (type `init`, first) and post-restore exec hooks (type
 * `exec`), with the annotation-over-spec rule applied separately to each kind (§2.6).
 * `opts.policy` may ignore annotation hooks (init and exec: the spec hooks then apply to every pod)
 * and deny namespaces (their pods are skipped).
 */
export function planRestoreDetailed(pods: readonly PodManifest[], restore: RestoreHooks | undefined, opts: PlanRestoreOptions): DetailedPlan {
  const policy = opts.policy ?? {};
  const hooks: PlannedHook[] = [];
  const skipped: SkippedPod[] = [];
  const notes: PlanNote[] = [];
  const resources = restore?.resources ?? [];
  const mapping = restore?.namespaceMapping ?? {};
  const scopeRules = restoreScopeRules(restore);
  const backedUp = opts.backedUp === true;
  const profile = veleroProfile(policy.veleroVersion);

  for (const given of pods) {
    const givenNamespace = podNamespace(given);
    const target = backedUp && Object.hasOwn(mapping, givenNamespace) ? (mapping[givenNamespace] ?? givenNamespace) : givenNamespace;
    const original = target === givenNamespace ? given : { ...given, metadata: { ...given.metadata, namespace: target } };
    const namespace = target;
    const podName = original.metadata.name;
    const sourceNamespaces = backedUp ? [givenNamespace] : sourceNamespacesOf(target, mapping);
    const outOfScope = opts.ownedPods === true ? undefined : firstSkip(scopeRules, { pod: original, namespace, sourceNamespaces, live: !backedUp });
    if (outOfScope !== undefined) {
      skipped.push({ namespace, pod: podName, ...outOfScope });
      continue;
    }
    // --no-annotation-hooks: plan as if the pod carried no hook annotations at all.
    const stripped = policy.annotationHooks === false ? withoutHookAnnotations(original) : undefined;
    const pod = stripped?.pod ?? original;
    const ignoredAnnotations = (stripped?.removed ?? []).some((k) => k.startsWith(RESTORE_EXEC_PREFIX) || k.startsWith(RESTORE_INIT_PREFIX));

    // Init containers (injected before the pod starts).
    const init = selectInitHooks(pod, restore, namespace, opts);
    const initHooks: PlannedHook[] = [];
    const fails = restorePodFails(init.error);
    if (fails !== undefined) {
      skipped.push(skippedPod(namespace, podName, fails));
      continue;
    }
    for (const item of init.items) {
      initHooks.push({
        namespace,
        pod: podName,
        container: item.container.name,
        type: 'init',
        source: item.hook.source,
        name: item.hook.name,
        phase: 'restore',
        index: item.hook.index,
        command: item.container.command ?? [],
        // An init container has none of an exec hook's settings: all unset, onError as Velero reads unset.
        ...UNSET_EXEC_SETTINGS,
        onError: 'Continue',
        initContainer: item.container,
        velero: veleroInitView(profile),
      });
    }
    if (init.from === 'annotation' && init.overriddenSpecContainers > 0) {
      notes.push({
        namespace,
        pod: podName,
        kind: 'annotation-overrides-spec',
        message: `the ${RESTORE_INIT_PREFIX}container-image annotation hook replaces ${countLabel(init.overriddenSpecContainers, 'spec init container')}`,
      });
    }

    // Exec hooks.
    const specExec: PlannedHook[] = [];
    const notApplicable: string[] = [];
    const applicable: string[] = [];
    if (pod.spec.containers.length > 0) {
      for (const entry of resources) {
        const verdict = entryApplies(entry, pod, namespace, 'restore');
        if (!verdict.ok) {
          notApplicable.push(verdict.reason);
          continue;
        }
        const execs = entry.postHooks.flatMap((h) => (h.kind === 'exec' ? [h.hook] : []));
        if (execs.length === 0) {
          if (!entry.postHooks.some((h) => h.kind === 'init')) notApplicable.push(`${entrySubject(entry)} applies but has no postHooks`);
          continue;
        }
        applicable.push(entrySubject(entry));
        for (const hook of execs) specExec.push(planExecHook(hook, pod, namespace, 'restore', profile));
      }
    }
    const fromAnnotation = pod.spec.containers.length > 0 ? readRestoreExecAnnotationHook(pod.metadata.annotations, { veleroVersion: profile.version }).hook : undefined;
    let execHooks: PlannedHook[];
    if (fromAnnotation !== undefined) {
      execHooks = [planExecHook(fromAnnotation, pod, namespace, 'restore', profile)];
      if (specExec.length > 0) {
        notes.push({
          namespace,
          pod: podName,
          kind: 'annotation-overrides-spec',
          message: `the ${RESTORE_EXEC_PREFIX}command annotation hook replaces ${countLabel(specExec.length, 'spec exec hook')} (${applicable.join(', ')})`,
        });
      }
    } else {
      execHooks = orderByContainer(specExec, pod);
    }

    if (ignoredAnnotations) {
      const applies = initHooks.length + execHooks.length > 0;
      notes.push({
        namespace,
        pod: podName,
        kind: 'annotation-ignored',
        message: `the pod's restore hook annotations are ignored (--no-annotation-hooks); ${applies ? 'the spec hooks apply' : 'no spec hook applies to it'}`,
      });
    }

    if (initHooks.length === 0 && execHooks.length === 0) {
      const findings = {
        ignoredAnnotations,
        containers: pod.spec.containers.length,
        execKeys: hasKeyWithPrefix(pod, RESTORE_EXEC_PREFIX),
        initKeys: hasKeyWithPrefix(pod, RESTORE_INIT_PREFIX),
        specEntries: resources.length,
        notApplicable: [...notApplicable, ...init.notApplicable],
      };
      skipped.push(skippedPod(namespace, podName, noHookSkip(RESTORE_NO_HOOK_RULES, findings)));
      continue;
    }
    const denied = namespaceDeniedSkip(policy.namespaceDenied, namespace, initHooks.length + execHooks.length, 'restore hook');
    if (denied !== undefined) {
      skipped.push(skippedPod(namespace, podName, denied));
      notes.push({ namespace, pod: podName, kind: 'namespace-denied', message: denied.reason });
      continue;
    }
    hooks.push(...initHooks, ...execHooks);
    notes.push(...containerNotes(execHooks, pod, namespace, 'restore'));
  }
  return boundReasons({ plan: { hooks, skipped, veleroVersion: profile.version }, notes });
}

export function planRestore(pods: readonly PodManifest[], restore: RestoreHooks | undefined, opts: PlanRestoreOptions): Plan {
  return planRestoreDetailed(pods, restore, opts).plan;
}
