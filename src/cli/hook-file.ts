import { issueToDiagnostic } from '../lint/engine.ts';
import type { LoadedHookObject } from '../load/loaded-object.ts';
import { describeObject } from '../load/loaded-object.ts';
import { parseBackupObject, parseRestoreObject } from '../velero/spec.ts';
import type { BackupHooks, RestoreHooks } from '../velero/spec.ts';
import type { CliDeps } from './context.ts';
import { UsageError } from './context.ts';
import { logDiagnostics, readManifests } from './options.ts';

async function loadOne(file: string, type: 'backup' | 'restore', flag: string, deps: CliDeps): Promise<LoadedHookObject> {
  if (file === '') throw new UsageError(`${flag} needs a file name`);
  const { load, unreadable } = await readManifests([file], deps);
  if (unreadable.length > 0) {
    logDiagnostics(deps, unreadable);
    throw new UsageError(`${flag} ${file}: cannot read the file`);
  }
  logDiagnostics(deps, load.diagnostics);
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
  return first;
}

/**
 * Reads `--backup FILE`: exactly one Backup or Schedule. Parse problems go to stderr as positioned
 * diagnostics; a file that is not usable at all is a UsageError.
 */
export async function loadBackupFile(file: string, deps: CliDeps, flag = '--backup'): Promise<BackupHooks> {
  const object = await loadOne(file, 'backup', flag, deps);
  const { backup, issues } = parseBackupObject(object.raw);
  logDiagnostics(deps, issues.map((i) => issueToDiagnostic(object, i)));
  if (backup === undefined) throw new UsageError(`${flag} ${file}: ${describeObject(object.ref)} cannot be read (see the errors above)`);
  return backup;
}

/** Reads `--restore FILE`: exactly one Restore. */
export async function loadRestoreFile(file: string, deps: CliDeps, flag = '--restore'): Promise<RestoreHooks> {
  const object = await loadOne(file, 'restore', flag, deps);
  const { restore, issues } = parseRestoreObject(object.raw);
  logDiagnostics(deps, issues.map((i) => issueToDiagnostic(object, i)));
  if (restore === undefined) throw new UsageError(`${flag} ${file}: ${describeObject(object.ref)} cannot be read (see the errors above)`);
  return restore;
}
