import { issueToDiagnostic } from '../lint/engine.ts';
import type { LoadedHookObject } from '../load/loaded-object.ts';
import { describeObject } from '../load/loaded-object.ts';
import { parseBackupObject, parseRestoreObject } from '../velero/spec.ts';
import type { BackupHooks, RestoreHooks } from '../velero/spec.ts';
import type { VeleroReadOptions } from '../velero/profiles.ts';
import type { CliDeps } from './context.ts';
import { UsageError } from './context.ts';
import { logDiagnostics, readManifests } from './options.ts';

interface LoadedOne {
  readonly object: LoadedHookObject;
  /** Error-severity diagnostics of the file (syntax, loader) already printed. */
  readonly loadErrors: number;
}

async function loadOne(file: string, type: 'backup' | 'restore', flag: string, deps: CliDeps): Promise<LoadedOne> {
  if (file === '') throw new UsageError(`${flag} needs a file name`);
  const { load, unreadable } = await readManifests([file], deps);
  if (unreadable.length > 0) {
    logDiagnostics(deps, unreadable);
    throw new UsageError(`${flag} ${file}: cannot read the file`);
  }
  logDiagnostics(deps, load.diagnostics);
  const loadErrors = load.diagnostics.filter((d) => d.severity === 'error').length;
  const found = load.objects.filter((o): o is LoadedHookObject => o.type === type);
  const what = type === 'backup' ? 'velero.io/v1 Backup or Schedule' : 'velero.io/v1 Restore';
  if (found.length === 0) {
    const kinds = load.objects.map((o) => o.ref.kind || '(no kind)');
    throw new UsageError(`${flag} ${file}: no ${what} object in the file${kinds.length > 0 ? ` (found: ${kinds.join(', ')})` : ''}`);
  }
  const [first, ...more] = found;
  if (first === undefined || more.length > 0) {
    throw new UsageError(`${flag} ${file}: ${found.length} ${what} objects (${found.map((o) => describeObject(o.ref)).join(', ')}); pass a file with exactly one`);
  }
  return { object: first, loadErrors };
}

/** A --backup/--restore file, read and checked: `errors` counts its error-severity diagnostics (printed on stderr). */
export interface CheckedHookFile<T> {
  readonly hooks: T;
  readonly errors: number;
}

/**
 * Reads `--backup FILE`: exactly one Backup or Schedule. Parse problems go to stderr as positioned
 * diagnostics; a file that is not usable at all is a UsageError.
 */
export async function checkBackupFile(file: string, deps: CliDeps, flag = '--backup', options: VeleroReadOptions = {}): Promise<CheckedHookFile<BackupHooks>> {
  const { object, loadErrors } = await loadOne(file, 'backup', flag, deps);
  const { backup, issues } = parseBackupObject(object.raw, options);
  logDiagnostics(deps, issues.map((i) => issueToDiagnostic(object, i)));
  if (backup === undefined) throw new UsageError(`${flag} ${file}: ${describeObject(object.ref)} cannot be read (see the errors above)`);
  return { hooks: backup, errors: loadErrors + issues.filter((i) => i.severity === 'error').length };
}

/** Reads `--restore FILE`: exactly one Restore, and counts its errors. */
export async function checkRestoreFile(file: string, deps: CliDeps, flag = '--restore', options: VeleroReadOptions = {}): Promise<CheckedHookFile<RestoreHooks>> {
  const { object, loadErrors } = await loadOne(file, 'restore', flag, deps);
  const { restore, issues } = parseRestoreObject(object.raw, options);
  logDiagnostics(deps, issues.map((i) => issueToDiagnostic(object, i)));
  if (restore === undefined) throw new UsageError(`${flag} ${file}: ${describeObject(object.ref)} cannot be read (see the errors above)`);
  return { hooks: restore, errors: loadErrors + issues.filter((i) => i.severity === 'error').length };
}

export async function loadBackupFile(file: string, deps: CliDeps, flag = '--backup'): Promise<BackupHooks> {
  return (await checkBackupFile(file, deps, flag)).hooks;
}

/** Reads `--restore FILE`: exactly one Restore. */
export async function loadRestoreFile(file: string, deps: CliDeps, flag = '--restore'): Promise<RestoreHooks> {
  return (await checkRestoreFile(file, deps, flag)).hooks;
}

/** The refusal `run` gives for a file with errors: nothing runs, nothing connects (exit 2). */
export function refuseFile(flag: string, file: string, errors: number): UsageError {
  return new UsageError(
    `${flag} ${file}: ${errors} error${errors === 1 ? '' : 's'} in the file (listed above); nothing was run and the cluster was not contacted. Fix the file (kubehooks lint ${file} lists the problems)`,
  );
}

/**
 * The Backup used when `plan`/`run` get no --backup: one with no spec at all, as `velero backup create`
 * without flags makes it. Only annotation hooks apply, on every pod listed.
 */
export function emptyBackupHooks(): BackupHooks {
  const { backup } = parseBackupObject({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: '', namespace: 'velero' }, spec: {} });
  if (backup === undefined) throw new Error('an empty Backup must parse');
  return backup;
}

/** The Restore used without --restore: no hooks, no filters, no namespaceMapping (annotation hooks only). */
export function emptyRestoreHooks(): RestoreHooks {
  const { restore } = parseRestoreObject({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: '', namespace: 'velero' }, spec: {} });
  if (restore === undefined) throw new Error('an empty Restore must parse');
  return restore;
}
