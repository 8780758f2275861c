/**
 * Velero's hook annotations, one declaration per setting (§2.1–§2.3): a table per family with the
 * suffix, its name in ANNOTATION_KEYS, the reader of its value, the issue codes that reading can
 * emit, and one line of doc. ANNOTATION_KEYS, the known-suffix lists, the settings the readers
 * return, the admission policy's key lists and docs/annotations.md all follow from these tables.
 */
import { UNSET_EXEC_SETTINGS, type ExecHookSettings, type HookPhase } from '../model/hook.ts';
import type { IssueCode } from './issue-codes.ts';
import type { ParseIssue } from './issue.ts';
import type { VeleroReadOptions } from './profiles.ts';
import { readDurationValue, readGoBoolValue, readOnError } from './values.ts';

export const BACKUP_PRE_PREFIX = 'pre.hook.backup.velero.io/';
export const BACKUP_POST_PREFIX = 'post.hook.backup.velero.io/';
/** Legacy, un-prefixed backup family: read for the pre phase only, when the pre family has no command. */
export const BACKUP_LEGACY_PREFIX = 'hook.backup.velero.io/';
export const RESTORE_EXEC_PREFIX = 'post.hook.restore.velero.io/';
export const RESTORE_INIT_PREFIX = 'init.hook.restore.velero.io/';

export const HOOK_ANNOTATION_PREFIXES = [
  BACKUP_PRE_PREFIX,
  BACKUP_POST_PREFIX,
  BACKUP_LEGACY_PREFIX,
  RESTORE_EXEC_PREFIX,
  RESTORE_INIT_PREFIX,
] as const;

/**
 * What a reader may depend on besides the value: the Velero version profile (which onError values
 * exist) and the phase of the hook being read (FailBlock's warnings differ per phase).
 */
export interface SettingContext extends VeleroReadOptions {
  readonly phase: HookPhase;
}

/** Reads one annotation value into the hook's settings (value undefined = the key is absent). */
export type SettingReader = (value: string | undefined, key: string, issues: ParseIssue[], context: SettingContext) => Partial<ExecHookSettings>;

export interface AnnotationSetting {
  readonly suffix: string;
  /** The field in ANNOTATION_KEYS (camelCase of the suffix). */
  readonly name: string;
  /**
   * Reads the value into the hook's settings. Absent for the keys the family reader handles itself
   * (container, command, init image and name) and for keys Velero never reads.
   */
  readonly read?: SettingReader;
  /** The issue codes the key can get (reader, family reader or unknown-key lint). */
  readonly codes: readonly IssueCode[];
  /** One line for docs/annotations.md: what Velero does with the value. */
  readonly doc: string;
  /**
   * Velero declares no such key; kubehooks knows it only to say it is not read (so it is neither in
   * ANNOTATION_KEYS nor a known key for the admission policy).
   */
  readonly undeclared?: true;
}

const COMMAND_CODES = ['command-missing', 'command-json-invalid', 'command-shell-line', 'command-empty', 'command-null-element'] as const;
const EXEC_DURATION_CODES = ['duration-invalid', 'duration-negative', 'duration-too-long'] as const;
const EXEC_TIMEOUT_DOC = 'Exec timeout, a Go duration; unset, invalid or zero: 30s; negative: 30s (Velero 1.18.x: no timeout at all); above 4h: 4h (Velero 1.18.x: as written).';

const onError: SettingReader = (value, key, issues, context) => ({ onError: readOnError(value, key, 'annotation', issues, context) });
const execTimeout: SettingReader = (value, key, issues) => ({ execTimeoutMs: readDurationValue(value, key, 'exec', issues) });
const waitTimeout: SettingReader = (value, key, issues) => ({ waitTimeoutMs: readDurationValue(value, key, 'wait', issues) });
const waitForReady: SettingReader = (value, key, issues) => ({ waitForReady: readGoBoolValue(value, key, issues) });

/** `pre.hook.backup.velero.io/`, `post.hook.backup.velero.io/` and the legacy `hook.backup.velero.io/` (§2.1). */
export const BACKUP_SETTINGS = [
  { suffix: 'container', name: 'container', codes: [], doc: 'Container to exec in; empty or absent: the first container.' },
  { suffix: 'command', name: 'command', codes: COMMAND_CODES, doc: 'The command: a JSON array of strings when it starts with `[`, else one program name (never split, no shell). Required.' },
  { suffix: 'on-error', name: 'onError', read: onError, codes: ['on-error-invalid', 'on-error-failblock', 'on-error-failblock-no-effect'], doc: "`Continue` or `Fail`, exactly (Velero 1.19 also `FailBlock`: a failed pre hook leaves the pod's ItemBlock out of the backup, on a post hook it acts as `Fail`); anything else is ignored and the hook behaves as `Continue`." },
  { suffix: 'timeout', name: 'timeout', read: execTimeout, codes: EXEC_DURATION_CODES, doc: EXEC_TIMEOUT_DOC },
] as const satisfies readonly AnnotationSetting[];

/** `post.hook.restore.velero.io/` (§2.2). */
export const RESTORE_EXEC_SETTINGS = [
  { suffix: 'container', name: 'container', codes: [], doc: 'Container to exec in; empty or absent: the first container.' },
  { suffix: 'command', name: 'command', codes: COMMAND_CODES, doc: 'The command, as for backup hooks. Required.' },
  { suffix: 'on-error', name: 'onError', read: onError, codes: ['on-error-invalid', 'on-error-failblock-no-effect'], doc: '`Continue` or `Fail`, exactly (Velero 1.19 also accepts `FailBlock`, which does nothing on a restore hook); anything else is ignored and the hook behaves as `Continue`.' },
  { suffix: 'exec-timeout', name: 'execTimeout', read: execTimeout, codes: EXEC_DURATION_CODES, doc: EXEC_TIMEOUT_DOC },
  { suffix: 'wait-timeout', name: 'waitTimeout', read: waitTimeout, codes: ['duration-invalid', 'duration-negative'], doc: 'How long to wait for the container to be up, a Go duration; unset or invalid: no own deadline; negative: expired at once.' },
  { suffix: 'wait-for-ready', name: 'waitForReady', read: waitForReady, codes: ['wait-for-ready-invalid'], doc: 'Wait for the container to be Ready, not only Running: a Go boolean (`strconv.ParseBool`); anything else is false.' },
  { suffix: 'timeout', name: 'timeout', codes: ['restore-timeout-ignored'], undeclared: true, doc: 'Not read by Velero: restore exec hooks use `exec-timeout`.' },
] as const satisfies readonly AnnotationSetting[];

/** `init.hook.restore.velero.io/` (§2.3): the family reader builds the init container itself. */
export const RESTORE_INIT_SETTINGS = [
  { suffix: 'container-image', name: 'containerImage', codes: ['init-image-missing'], doc: 'Image of the init container to inject. Required.' },
  { suffix: 'container-name', name: 'containerName', codes: ['init-name-generated'], doc: 'Its name; absent: `velero-restore-init-` and 8 random hex digits.' },
  { suffix: 'command', name: 'command', codes: ['init-command-missing', 'command-json-invalid', 'command-shell-line', 'command-empty', 'command-null-element'], doc: 'Its command, as for exec hooks; absent (Velero panics): the image entrypoint runs.' },
  { suffix: 'timeout', name: 'timeout', codes: ['init-timeout-unused'], doc: 'Declared by Velero but never read: init containers have no timeout.' },
] as const satisfies readonly AnnotationSetting[];

/**
 * kubehooks' own pod annotations (ADR 0019), under `kubehooks.dev/`. Not a Velero family: Velero
 * ignores them, they are no hook annotations (not in HOOK_ANNOTATION_PREFIXES, not stripped by
 * --no-annotation-hooks, not in the admission policy's key lists); lint knows them as extension keys.
 */
export const EXTENSION_PREFIX = 'kubehooks.dev/';
export const EXTENSION_SETTINGS = [
  {
    suffix: 'stage',
    name: 'stage',
    codes: ['stage-invalid', 'stage-negative', 'stage-out-of-range', 'extension-key-unknown'],
    doc: 'The stage of every backup hook of the pod (pre and post): a whole number from 0 to 999; pre stages run in ascending order, post stages in reverse. Velero ignores it.',
  },
] as const satisfies readonly AnnotationSetting[];

type KeysOf<T extends readonly AnnotationSetting[]> = {
  readonly [S in T[number] as S extends { readonly undeclared: true } ? never : S['name']]: string;
};

/** `{container: 'pre.hook.backup.velero.io/container', …}` for the keys Velero declares. */
export function familyKeys<T extends readonly AnnotationSetting[]>(prefix: string, table: T): KeysOf<T> {
  return Object.fromEntries(table.filter((s) => s.undeclared !== true).map((s) => [s.name, prefix + s.suffix])) as KeysOf<T>;
}

/** Suffixes of the keys Velero declares, in table order. */
export function declaredSuffixes(table: readonly AnnotationSetting[]): string[] {
  return table.filter((s) => s.undeclared !== true).map((s) => s.suffix);
}

/** The settings of one hook: every key with a reader, read in table order (so issues come in that order). */
export function readSettings(
  table: readonly AnnotationSetting[],
  prefix: string,
  get: (key: string) => string | undefined,
  issues: ParseIssue[],
  context: SettingContext,
): ExecHookSettings {
  let settings: ExecHookSettings = UNSET_EXEC_SETTINGS;
  for (const setting of table) {
    if (setting.read === undefined) continue;
    const key = prefix + setting.suffix;
    settings = { ...settings, ...setting.read(get(key), key, issues, context) };
  }
  return settings;
}

/** Confusions seen in the wild: wrong suffix → right suffix (or an explanation starting with "nothing"). */
const BACKUP_CONFUSIONS: ReadonlyMap<string, string> = new Map([
  ['exec-timeout', 'timeout'],
  ['wait-timeout', 'timeout (backup hooks do not wait for containers)'],
  ['wait-for-ready', 'nothing: backup hooks have no wait-for-ready'],
  ['onerror', 'on-error'],
  ['cmd', 'command'],
  ['image', 'nothing: backup hooks exec in an existing container'],
]);
const RESTORE_EXEC_CONFUSIONS: ReadonlyMap<string, string> = new Map([
  ['onerror', 'on-error'],
  ['cmd', 'command'],
  ['ready', 'wait-for-ready'],
  ['container-name', 'container'],
]);
const RESTORE_INIT_CONFUSIONS: ReadonlyMap<string, string> = new Map([
  ['image', 'container-image'],
  ['name', 'container-name'],
  ['container', 'container-name'],
  ['cmd', 'command'],
  ['exec-timeout', 'nothing: init containers have no timeout'],
]);

export interface AnnotationFamily {
  readonly prefix: string;
  readonly settings: readonly AnnotationSetting[];
  /** Typos and mix-ups of this family's suffixes, for lint's "did you mean". */
  readonly confusions: ReadonlyMap<string, string>;
}

/** Every family Velero reads, in HOOK_ANNOTATION_PREFIXES order. */
export const ANNOTATION_FAMILIES: readonly AnnotationFamily[] = [
  { prefix: BACKUP_PRE_PREFIX, settings: BACKUP_SETTINGS, confusions: BACKUP_CONFUSIONS },
  { prefix: BACKUP_POST_PREFIX, settings: BACKUP_SETTINGS, confusions: BACKUP_CONFUSIONS },
  { prefix: BACKUP_LEGACY_PREFIX, settings: BACKUP_SETTINGS, confusions: BACKUP_CONFUSIONS },
  { prefix: RESTORE_EXEC_PREFIX, settings: RESTORE_EXEC_SETTINGS, confusions: RESTORE_EXEC_CONFUSIONS },
  { prefix: RESTORE_INIT_PREFIX, settings: RESTORE_INIT_SETTINGS, confusions: RESTORE_INIT_CONFUSIONS },
];

/** Every annotation key of every family, with its setting (undeclared keys included). */
export function allAnnotationSettings(): { readonly key: string; readonly family: AnnotationFamily; readonly setting: AnnotationSetting }[] {
  return ANNOTATION_FAMILIES.flatMap((family) => family.settings.map((setting) => ({ key: family.prefix + setting.suffix, family, setting })));
}

/** The keys Velero declares whose reading can report `code` (e.g. every Go-duration key for duration-invalid). */
export function keysWithCode(code: IssueCode): string[] {
  return allAnnotationSettings()
    .filter(({ setting }) => setting.undeclared !== true && setting.codes.includes(code))
    .map(({ key }) => key);
}
