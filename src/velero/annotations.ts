/**
 * Velero's hook annotations (§2.1–§2.3): the readers. Which keys exist, their readers and issue
 * codes are declared once per family in annotation-settings.ts; this file reads a pod's annotations
 * with them. Readers follow Velero's parsing exactly and, where Velero would silently ignore or
 * mis-read a value, also report a ParseIssue. They never throw.
 */
import { ANNOTATION_HOOK_NAME, type ContainerSpec, type DeclaredExecHook, type DeclaredInitHook } from '../model/hook.ts';
import { commandAnnotationIssues, commandArgvIssues, parseCommandAnnotation } from './command.ts';
import { makeIssue, type ParseIssue } from './issue.ts';
import { isRecord } from '../util/is-record.ts';
import type { VeleroReadOptions } from './profiles.ts';
import {
  BACKUP_LEGACY_PREFIX,
  BACKUP_POST_PREFIX,
  BACKUP_PRE_PREFIX,
  BACKUP_SETTINGS,
  declaredSuffixes,
  familyKeys,
  readSettings,
  RESTORE_EXEC_PREFIX,
  RESTORE_EXEC_SETTINGS,
  RESTORE_INIT_PREFIX,
  RESTORE_INIT_SETTINGS,
} from './annotation-settings.ts';
import { lintHookAnnotationKeys } from './unknown-keys.ts';

export type Annotations = Readonly<Record<string, string>> | undefined;

/** The suffixes Velero declares per family, from the tables. */
export const BACKUP_HOOK_SUFFIXES: readonly string[] = declaredSuffixes(BACKUP_SETTINGS);
export const RESTORE_EXEC_SUFFIXES: readonly string[] = declaredSuffixes(RESTORE_EXEC_SETTINGS);
/** `timeout` is declared by Velero but never read. */
export const RESTORE_INIT_SUFFIXES: readonly string[] = declaredSuffixes(RESTORE_INIT_SETTINGS);

/** Every key Velero knows, for programmatic use (e.g. `ANNOTATION_KEYS.restoreExec.execTimeout`). */
export const ANNOTATION_KEYS = {
  backupPre: familyKeys(BACKUP_PRE_PREFIX, BACKUP_SETTINGS),
  backupPost: familyKeys(BACKUP_POST_PREFIX, BACKUP_SETTINGS),
  backupLegacy: familyKeys(BACKUP_LEGACY_PREFIX, BACKUP_SETTINGS),
  restoreExec: familyKeys(RESTORE_EXEC_PREFIX, RESTORE_EXEC_SETTINGS),
  restoreInit: familyKeys(RESTORE_INIT_PREFIX, RESTORE_INIT_SETTINGS),
} as const;

/** The read-but-useless keys the readers report themselves (so lintHookAnnotationKeys skips them). */
const RESTORE_EXEC_TIMEOUT_KEY = `${RESTORE_EXEC_PREFIX}timeout`;

/** Prefix of the generated init container name; Velero appends 8 hex chars of a random UUID. */
export const INIT_CONTAINER_NAME_PREFIX = 'velero-restore-init-';

/** Input may come from untyped YAML: tolerate anything that is not a plain object. */
function asRecord(annotations: unknown): Readonly<Record<string, unknown>> | undefined {
  return isRecord(annotations) ? annotations : undefined;
}

function get(annotations: Annotations, key: string): string | undefined {
  const record = asRecord(annotations);
  if (record === undefined || !Object.hasOwn(record, key)) return undefined;
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

function keysWithPrefix(annotations: Annotations, prefix: string): string[] {
  const record = asRecord(annotations);
  return record === undefined ? [] : Object.keys(record).filter((k) => k.startsWith(prefix));
}

function optionalContainer(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export interface BackupAnnotationRead {
  hook: DeclaredExecHook | undefined;
  family: 'pre' | 'post' | 'legacy' | undefined;
  issues: ParseIssue[];
}

function readBackupFamily(annotations: Annotations, prefix: string, phase: 'pre' | 'post', issues: ParseIssue[], options: VeleroReadOptions): DeclaredExecHook {
  const keys = familyKeys(prefix, BACKUP_SETTINGS);
  const raw = get(annotations, keys.command) ?? '';
  const parsed = parseCommandAnnotation(raw);
  issues.push(...commandAnnotationIssues(raw, parsed, keys.command));
  return {
    source: 'annotation',
    name: ANNOTATION_HOOK_NAME,
    index: 0,
    container: optionalContainer(get(annotations, keys.container)),
    command: parsed.argv,
    ...readSettings(BACKUP_SETTINGS, prefix, (key) => get(annotations, key), issues, { ...options, phase }),
  };
}

/**
 * Backup exec hook from annotations (§2.1). `pre` uses the `pre.` family if its command is non-empty,
 * else the legacy family; `post` uses the `post.` family only. Families are never mixed.
 */
export function readBackupAnnotationHook(annotations: Annotations, phase: 'pre' | 'post', options: VeleroReadOptions = {}): BackupAnnotationRead {
  const issues: ParseIssue[] = [];
  const primary = phase === 'pre' ? BACKUP_PRE_PREFIX : BACKUP_POST_PREFIX;
  const primaryKeys = keysWithPrefix(annotations, primary);
  if ((get(annotations, `${primary}command`) ?? '') !== '') {
    const hook = readBackupFamily(annotations, primary, phase, issues, options);
    if (phase === 'pre') {
      for (const key of keysWithPrefix(annotations, BACKUP_LEGACY_PREFIX)) {
        issues.push(
          makeIssue('annotation-family-mixed', key, `${key} is ignored: the pre hook comes from the ${BACKUP_PRE_PREFIX} annotations`),
        );
      }
    }
    return { hook, family: phase, issues };
  }
  if (phase === 'pre') {
    const legacyKeys = keysWithPrefix(annotations, BACKUP_LEGACY_PREFIX);
    if ((get(annotations, `${BACKUP_LEGACY_PREFIX}command`) ?? '') !== '') {
      const hook = readBackupFamily(annotations, BACKUP_LEGACY_PREFIX, 'pre', issues, options);
      for (const key of primaryKeys) {
        issues.push(
          makeIssue(
            'annotation-family-mixed',
            key,
            `${key} is ignored: ${BACKUP_PRE_PREFIX}command is not set, so Velero reads the whole pre hook from the legacy ${BACKUP_LEGACY_PREFIX} annotations`,
          ),
        );
      }
      return { hook, family: 'legacy', issues };
    }
    if (legacyKeys.length > 0 && primaryKeys.length === 0) {
      issues.push(missingCommand(`${BACKUP_LEGACY_PREFIX}command`, legacyKeys));
    }
  }
  if (primaryKeys.length > 0) issues.push(missingCommand(`${primary}command`, primaryKeys));
  return { hook: undefined, family: undefined, issues };
}

/** `a, b, c` — at most `max` keys, then `and N more` (a pod may carry thousands). */
function listKeys(keys: readonly string[], max = 5): string {
  const shown = keys.slice(0, max).join(', ');
  return keys.length > max ? `${shown} and ${keys.length - max} more` : shown;
}

function missingCommand(commandKey: string, present: readonly string[]): ParseIssue {
  const what = present.includes(commandKey) ? `${commandKey} is empty` : `${commandKey} is missing`;
  return makeIssue('command-missing', commandKey, `${what}, so Velero declares no hook and ignores ${listKeys(present.filter((k) => k !== commandKey)) || 'it'}`);
}

export interface RestoreExecAnnotationRead {
  hook: DeclaredExecHook | undefined;
  issues: ParseIssue[];
}

/** Restore exec hook from `post.hook.restore.velero.io/*` (§2.2). */
export function readRestoreExecAnnotationHook(annotations: Annotations, options: VeleroReadOptions = {}): RestoreExecAnnotationRead {
  const issues: ParseIssue[] = [];
  const k = ANNOTATION_KEYS.restoreExec;
  if (get(annotations, RESTORE_EXEC_TIMEOUT_KEY) !== undefined) {
    issues.push(
      makeIssue(
        'restore-timeout-ignored',
        RESTORE_EXEC_TIMEOUT_KEY,
        `${RESTORE_EXEC_TIMEOUT_KEY} is not read by Velero; the exec timeout stays ${
          get(annotations, k.execTimeout) === undefined ? 'the default 30s' : `what ${k.execTimeout} says`
        }`,
      ),
    );
  }
  const raw = get(annotations, k.command) ?? '';
  if (raw === '') {
    const present = keysWithPrefix(annotations, RESTORE_EXEC_PREFIX).filter((key) => key !== RESTORE_EXEC_TIMEOUT_KEY);
    if (present.length > 0) issues.push(missingCommand(k.command, present));
    return { hook: undefined, issues };
  }
  const parsed = parseCommandAnnotation(raw);
  issues.push(...commandAnnotationIssues(raw, parsed, k.command));
  return {
    hook: {
      source: 'annotation',
      name: ANNOTATION_HOOK_NAME,
      index: 0,
      container: optionalContainer(get(annotations, k.container)),
      command: parsed.argv,
      ...readSettings(RESTORE_EXEC_SETTINGS, RESTORE_EXEC_PREFIX, (key) => get(annotations, key), issues, { ...options, phase: 'restore' }),
    },
    issues,
  };
}

export interface InitAnnotationOptions {
  /** Returns the full container name used when none is annotated (Velero: `velero-restore-init-` + 8 random hex). */
  readonly generateName: () => string;
}

export interface RestoreInitAnnotationRead {
  hook: DeclaredInitHook | undefined;
  issues: ParseIssue[];
}

/**
 * Restore init hook from `init.hook.restore.velero.io/*` (§2.3). DEVIATION: a missing or empty
 * command gives a container without command (image entrypoint) instead of Velero's panic.
 */
export function readRestoreInitAnnotationHook(annotations: Annotations, opts: InitAnnotationOptions): RestoreInitAnnotationRead {
  const issues: ParseIssue[] = [];
  const k = ANNOTATION_KEYS.restoreInit;
  if (get(annotations, k.timeout) !== undefined) {
    issues.push(makeIssue('init-timeout-unused', k.timeout, `${k.timeout} is declared by Velero but never read; init containers have no timeout`));
  }
  const image = get(annotations, k.containerImage) ?? '';
  if (image === '') {
    const present = keysWithPrefix(annotations, RESTORE_INIT_PREFIX).filter((key) => key !== k.timeout);
    if (present.length > 0) {
      const what = present.includes(k.containerImage) ? 'is empty' : 'is missing';
      issues.push(
        makeIssue('init-image-missing', k.containerImage, `${k.containerImage} ${what}, so Velero adds no init container and ignores ${listKeys(present.filter((p) => p !== k.containerImage)) || 'it'}`),
      );
    }
    return { hook: undefined, issues };
  }
  let name = get(annotations, k.containerName) ?? '';
  if (name === '') {
    name = opts.generateName();
    issues.push(makeIssue('init-name-generated', k.containerName, `no container name: a random one is generated (${INIT_CONTAINER_NAME_PREFIX}xxxxxxxx)`));
  }
  const raw = get(annotations, k.command) ?? '';
  const parsed = parseCommandAnnotation(raw);
  if (parsed.form === 'empty') {
    issues.push(
      makeIssue(
        'init-command-missing',
        k.command,
        `${k.command} is ${raw === '' && get(annotations, k.command) !== undefined ? 'empty' : 'missing'}: Velero up to 1.18.2 panics ("index out of range [0] with length 0") and the pod restore fails; kubehooks injects the container without command (image entrypoint)`,
      ),
    );
  } else if (parsed.form === 'json-invalid') {
    issues.push(...commandAnnotationIssues(raw, parsed, k.command));
  } else if (parsed.argv.length > 0) {
    // `[]` is a valid "no command" for an init container: the image entrypoint runs.
    issues.push(...commandArgvIssues(parsed.argv, k.command));
    if (parsed.hadNull === true) issues.push(...commandAnnotationIssues(raw, parsed, k.command).filter((i) => i.code === 'command-null-element'));
  }
  const container: ContainerSpec = parsed.argv.length > 0 ? { name, image, command: parsed.argv } : { name, image };
  return {
    hook: { source: 'annotation', name: ANNOTATION_HOOK_NAME, index: 0, initContainers: [container] },
    issues,
  };
}

/**
 * Everything about one pod's hook annotations: both backup phases, restore exec and init hooks and
 * unknown keys, de-duplicated. Convenient for lint.
 */
export function lintPodHookAnnotations(annotations: Annotations, options: VeleroReadOptions = {}): ParseIssue[] {
  const all = [
    ...readBackupAnnotationHook(annotations, 'pre', options).issues,
    ...readBackupAnnotationHook(annotations, 'post', options).issues,
    ...readRestoreExecAnnotationHook(annotations, options).issues,
    ...readRestoreInitAnnotationHook(annotations, { generateName: () => `${INIT_CONTAINER_NAME_PREFIX}00000000` }).issues,
    ...lintHookAnnotationKeys(annotations),
  ];
  const seen = new Set<string>();
  return all.filter((issue) => {
    const id = `${issue.code}\u0000${issue.key}\u0000${issue.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
