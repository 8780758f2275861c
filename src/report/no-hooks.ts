import type { SkippedPod } from '../model/plan.ts';
import type { RunKind } from '../model/result.ts';
import { terminalSafe } from './terminal-text.ts';

export interface NoHooksFacts {
  readonly kind: RunKind;
  /** Namespaces listed; null = all. */
  readonly namespaces: readonly string[] | null;
  readonly podsSeen: number;
  readonly skipped: readonly SkippedPod[];
  /** How many skip codes to show (default 3). */
  readonly top?: number;
}

const quoteList = (names: readonly string[]): string => names.map((n) => JSON.stringify(n)).join(', ');

function where(namespaces: readonly string[] | null): string {
  if (namespaces === null) return 'in any namespace';
  if (namespaces.length === 0) return 'in no namespace (every namespace the file names is excluded)';
  return `in namespace${namespaces.length === 1 ? '' : 's'} ${terminalSafe(quoteList(namespaces))}`;
}

/**
 * Why a run (or plan) has no hook, in a few lines for stderr: how many pods were seen where, and the
 * most frequent skip codes with one example each. A run with no hook is never a silent success.
 */
export function explainNoHooks(facts: NoHooksFacts): string[] {
  const lines: string[] = [];
  if (facts.podsSeen === 0) {
    lines.push(`no hook planned: no pods found ${where(facts.namespaces)}`);
    if (facts.namespaces !== null && facts.namespaces.length > 0) {
      lines.push('  Check the namespace (kubectl get namespaces), pass -n NAMESPACE, or -A for all namespaces.');
    }
  } else {
    const n = facts.podsSeen;
    lines.push(`no hook planned: ${n} pod${n === 1 ? '' : 's'} seen ${where(facts.namespaces)}, ${facts.skipped.length} skipped${facts.skipped.length > 0 ? '; top reasons:' : ''}`);
    const byCode = new Map<string, SkippedPod[]>();
    for (const s of facts.skipped) byCode.set(s.code, [...(byCode.get(s.code) ?? []), s]);
    const ranked = [...byCode.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
    for (const [code, pods] of ranked.slice(0, facts.top ?? 3)) {
      const first = pods[0];
      if (first === undefined) continue;
      lines.push(`  ${pods.length} ${code}: e.g. ${terminalSafe(`${first.namespace}/${first.pod}: ${first.reason}`)}`);
    }
    if (ranked.length > (facts.top ?? 3)) lines.push(`  … and ${ranked.length - (facts.top ?? 3)} more reason${ranked.length - (facts.top ?? 3) === 1 ? '' : 's'} (-o json lists every skipped pod with its code)`);
  }
  if (facts.kind === 'post-restore') {
    lines.push('  If the Restore is still creating the pods, --wait-for-pods DURATION waits for them to appear.');
  }
  return lines;
}
