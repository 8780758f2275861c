/**
 * Which namespaces `plan` (against the cluster) and `run` act in, as kubectl users expect: `-n`
 * wins; `-A` means all; else the namespaces the Backup/Restore names; else the kubeconfig context's
 * namespace (`default` when the context sets none). Every choice is said on stderr with its source.
 */
import type { ScopeSelectors } from '../velero/scope.ts';
import { scopeNamespaces } from '../plan/scope.ts';
import { UsageError } from './context.ts';

/** What the Backup/Restore file says about namespaces. */
export type FileNamespaces =
  /** It names none (no includedNamespaces, or no file): the context's namespace applies. */
  | undefined
  /** `*` or globs: every namespace is listed and the file's rules filter. */
  | 'all'
  /** Plain names (a Restore: the mapped target namespaces); empty = every named one is excluded. */
  | readonly string[];

export interface NamespaceChoice {
  /** Namespaces to list; empty with `all` = every namespace. */
  readonly namespaces: readonly string[];
  readonly all: boolean;
  readonly source: 'flag' | 'all-flag' | 'file' | 'file-all' | 'context';
}

/** A Backup's or Restore's scope as FileNamespaces (`mapping`: a Restore's namespaceMapping). */
export function fileNamespaces(scope: ScopeSelectors, mapping: Readonly<Record<string, string>> = {}): FileNamespaces {
  if (scope.includedNamespaces.length === 0) return undefined;
  return scopeNamespaces(scope, mapping) ?? 'all';
}

export function chooseNamespaces(flags: readonly string[], allFlag: boolean, file: FileNamespaces, contextNamespace: string | undefined): NamespaceChoice {
  if (allFlag && flags.length > 0) throw new UsageError('-A/--all-namespaces and -n/--namespace cannot be used together');
  if (flags.length > 0) return { namespaces: [...new Set(flags)], all: false, source: 'flag' };
  if (allFlag) return { namespaces: [], all: true, source: 'all-flag' };
  if (file === 'all') return { namespaces: [], all: true, source: 'file-all' };
  if (file !== undefined) return { namespaces: file, all: false, source: 'file' };
  return { namespaces: [contextNamespace ?? 'default'], all: false, source: 'context' };
}

/** One line for stderr: where the command acts and why (empty for an explicit -n). */
export function describeNamespaceChoice(choice: NamespaceChoice, what: 'backup' | 'restore' | undefined): string | undefined {
  const names = choice.namespaces.map((n) => JSON.stringify(n)).join(', ');
  const object = what === 'restore' ? 'the Restore' : 'the Backup';
  switch (choice.source) {
    case 'flag':
      return undefined;
    case 'all-flag':
      return 'namespaces: all (-A)';
    case 'file-all':
      return `namespaces: all (${object} matches namespaces by pattern; its rules filter the pods)`;
    case 'file':
      return choice.namespaces.length === 0
        ? `namespaces: none (${object} excludes every namespace it names)`
        : `namespaces: ${names} (named by ${object}${what === 'restore' ? ', after namespaceMapping' : ''})`;
    case 'context':
      return `namespace: ${names} (the kubeconfig context's; -n NAMESPACE for another, -A for all)`;
  }
}
