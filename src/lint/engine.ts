import type { Diagnostic } from '../model/diagnostic.ts';
import type { LoadedHookObject, LoadedObject, LoadedPod } from '../load/loaded-object.ts';
import { loadSources } from '../load/load.ts';
import type { LoadLimits } from '../load/limits.ts';
import { objectDiagnostic } from '../load/source.ts';
import type { SourceText } from '../load/source.ts';
import type { WorkCounter } from '../load/work-counter.ts';
import {
  INIT_CONTAINER_NAME_PREFIX,
  lintPodHookAnnotations,
  readBackupAnnotationHook,
  readRestoreExecAnnotationHook,
  readRestoreInitAnnotationHook,
} from '../velero/annotations.ts';
import type { ParseIssue } from '../velero/issue.ts';
import { lintPodStageAnnotations } from '../velero/stages.ts';
import { boundMessage } from '../velero/quote.ts';
import { LINT_RULES } from './registry.ts';
import { veleroProfile, type VeleroReadOptions, type VeleroVersion } from '../velero/profiles.ts';
import type { Finding, LintContext, LintRule, PodAnnotationHooks } from './rule.ts';
import { parseHookObject } from './spec-hooks.ts';
import type { ParsedHookObject } from './spec-hooks.ts';

export interface LintOptions {
  /** Context rules to run (default: all of LINT_RULES). */
  readonly rules?: readonly LintRule[];
  /** The Velero version profile messages describe (`--velero-version`; default DEFAULT_VELERO_VERSION). */
  readonly veleroVersion?: VeleroVersion | undefined;
}

function toDiagnostic(
  object: LoadedObject,
  code: string,
  severity: Diagnostic['severity'],
  key: string,
  message: string,
  hint: string,
): Diagnostic {
  return objectDiagnostic(object.origin.file, object.ref, object.locate(key), code, severity, key, message, hint);
}

export function issueToDiagnostic(object: LoadedObject, issue: ParseIssue): Diagnostic {
  return toDiagnostic(object, issue.code, issue.severity, issue.key, issue.message, issue.hint);
}

function readAnnotationHooks(pod: LoadedPod, options: VeleroReadOptions): PodAnnotationHooks {
  const annotations = pod.pod.metadata.annotations;
  const pre = readBackupAnnotationHook(annotations, 'pre', options);
  return {
    backupPre: pre.hook,
    backupPreFamily: pre.family === 'legacy' ? 'legacy' : pre.family === undefined ? undefined : 'pre',
    backupPost: readBackupAnnotationHook(annotations, 'post', options).hook,
    restoreExec: readRestoreExecAnnotationHook(annotations, options).hook,
    // A fixed generated name: lint must not depend on randomness.
    restoreInit: readRestoreInitAnnotationHook(annotations, { generateName: () => `${INIT_CONTAINER_NAME_PREFIX}00000000` }).hook,
  };
}

/** Velero runs a pod's annotation hook of a phase instead of every spec hook of that phase (§2.6). */
function replacedByAnnotation(a: PodAnnotationHooks, phase: 'pre' | 'post' | 'restore'): boolean {
  return (phase === 'pre' ? a.backupPre : phase === 'post' ? a.backupPost : a.restoreExec) !== undefined;
}

/** Pure: diagnostics for loaded objects — the parsers' issues, positioned, then the context rules. */
export function lintObjects(objects: readonly LoadedObject[], options: LintOptions = {}): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const profile = veleroProfile(options.veleroVersion);
  const readOptions: VeleroReadOptions = { veleroVersion: profile.version };
  const pods = objects.filter((o): o is LoadedPod => o.type === 'pod');
  const hookObjects = objects.filter((o): o is LoadedHookObject => o.type === 'backup' || o.type === 'restore');

  for (const pod of pods) {
    for (const issue of lintPodHookAnnotations(pod.pod.metadata.annotations, readOptions)) diagnostics.push(issueToDiagnostic(pod, issue));
    for (const issue of lintPodStageAnnotations(pod.pod.metadata.annotations)) diagnostics.push(issueToDiagnostic(pod, issue));
  }
  const parsed = new Map<LoadedHookObject, ParsedHookObject>();
  for (const h of hookObjects) {
    const p = parseHookObject(h, readOptions);
    parsed.set(h, p);
    for (const issue of p.issues) diagnostics.push(issueToDiagnostic(h, issue));
  }

  const hooksCache = new Map<LoadedPod, PodAnnotationHooks>();
  const parsedOf = (h: LoadedHookObject): ParsedHookObject => parsed.get(h) ?? parseHookObject(h, readOptions);
  const annotationHooks = (pod: LoadedPod): PodAnnotationHooks => {
    let hooks = hooksCache.get(pod);
    if (hooks === undefined) {
      hooks = readAnnotationHooks(pod, readOptions);
      hooksCache.set(pod, hooks);
    }
    return hooks;
  };
  const ctx: LintContext = {
    profile,
    objects,
    pods,
    hookObjects,
    annotationHooks,
    // A spec hook that an annotation hook replaces never runs on that pod, so it is not checked against it.
    specExecHooks: (pod, h) => {
      const a = annotationHooks(pod);
      return parsedOf(h).execFor(pod).filter((m) => !replacedByAnnotation(a, m.phase));
    },
    matchingSpecExecHooks: (pod, h) => parsedOf(h).execFor(pod),
    allSpecExecHooks: (h) => parsedOf(h).allExec,
    specInitHooks: (pod, h) => (annotationHooks(pod).restoreInit === undefined ? parsedOf(h).initFor(pod) : []),
    matchingSpecInitHooks: (pod, h) => parsedOf(h).initFor(pod),
    parsedSpec: (h) => parsedOf(h).spec,
  };
  for (const rule of options.rules ?? LINT_RULES) {
    let findings: readonly Finding[];
    try {
      findings = rule.check(ctx);
    } catch (err) {
      // A rule bug must not hide every other diagnostic.
      findings = [];
      diagnostics.push({
        code: 'internal-error', severity: 'error',
        message: boundMessage(`lint rule ${rule.code} failed: ${err instanceof Error ? err.message : String(err)} (this is a bug in kubehooks)`),
        hint: 'Report it with the manifest that triggers it; the other diagnostics are still valid.',
        file: '', line: 0, column: 0, object: { kind: '', namespace: '', name: '' }, key: '',
      });
    }
    for (const f of findings) {
      diagnostics.push(toDiagnostic(f.object, rule.code, f.severity ?? rule.severity, f.key, f.message, f.hint ?? rule.hint));
    }
  }
  return diagnostics;
}

export interface LintResult {
  readonly diagnostics: readonly Diagnostic[];
  readonly objects: readonly LoadedObject[];
}

/** Pure: already-read sources in, every diagnostic out (syntax, malformed manifests, hooks). */
export function lintSources(
  sources: readonly SourceText[],
  options: LintOptions & { readonly limits?: LoadLimits; readonly counter?: WorkCounter } = {},
): LintResult {
  const loaded = loadSources(sources, options.limits, options.counter);
  return { objects: loaded.objects, diagnostics: [...loaded.diagnostics, ...lintObjects(loaded.objects, options)] };
}
