import type { LoadedHookObject, LoadedPod } from '../load/loaded-object.ts';
import type { ParseIssue } from '../velero/issue.ts';
import type { MatchedSpecExecHook, MatchedSpecInitHook } from './rule.ts';

/** A Backup/Schedule/Restore with its spec.hooks parsed once, and selectors ready to test pods. */
export interface ParsedHookObject {
  readonly object: LoadedHookObject;
  readonly issues: readonly ParseIssue[];
  readonly allExec: readonly MatchedSpecExecHook[];
  execFor(pod: LoadedPod): readonly MatchedSpecExecHook[];
  initFor(pod: LoadedPod): readonly MatchedSpecInitHook[];
}

export function parseHookObject(object: LoadedHookObject): ParsedHookObject {
  return { object, issues: [], allExec: [], execFor: () => [], initFor: () => [] };
}
