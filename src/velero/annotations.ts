/**
 * Velero's hook annotations (§2.1–§2.3): constants and readers. Readers follow Velero's parsing
 * exactly and, where Velero would silently ignore or mis-read a value, also report a ParseIssue.
 * They never throw.
 */
import {
  ANNOTATION_HOOK_NAME,
  MAX_EXEC_TIMEOUT_MS,
  type ContainerSpec,
  type DeclaredExecHook,
  type DeclaredInitHook,
  type HookPhase,
  type OnError,
} from '../model/hook.ts';
import { nsToMs, parseGoDuration } from '../duration/go-duration.ts';
import { commandAnnotationIssues, commandArgvIssues, parseCommandAnnotation } from './command.ts';
import { makeIssue, type ParseIssue } from './issue.ts';
import { isRecord } from '../util/is-record.ts';
import { veleroProfile, type VeleroReadOptions } from './profiles.ts';

export type Annotations = Readonly<Record<string, string>> | undefined;

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

export const BACKUP_HOOK_SUFFIXES = ['container', 'command', 'on-error', 'timeout'] as const;
export const RESTORE_EXEC_SUFFIXES = ['container', 'command', 'on-error', 'exec-timeout', 'wait-timeout', 'wait-for-ready'] as const;
/** `timeout` is declared by Velero but never read. */
export const RESTORE_INIT_SUFFIXES = ['container-image', 'container-name', 'command', 'timeout'] as const;

/** Every key Velero knows, for programmatic use (e.g. `ANNOTATION_KEYS.restoreExec.execTimeout`). */
export const ANNOTATION_KEYS = {
  backupPre: familyKeys(BACKUP_PRE_PREFIX),
  backupPost: familyKeys(BACKUP_POST_PREFIX),
  backupLegacy: familyKeys(BACKUP_LEGACY_PREFIX),
  restoreExec: {
    container: `${RESTORE_EXEC_PREFIX}container`,
    command: `${RESTORE_EXEC_PREFIX}command`,
    onError: `${RESTORE_EXEC_PREFIX}on-error`,
    execTimeout: `${RESTORE_EXEC_PREFIX}exec-timeout`,
    waitTimeout: `${RESTORE_EXEC_PREFIX}wait-timeout`,
    waitForReady: `${RESTORE_EXEC_PREFIX}wait-for-ready`,
  },
  restoreInit: {
    containerImage: `${RESTORE_INIT_PREFIX}container-image`,
    containerName: `${RESTORE_INIT_PREFIX}container-name`,
    command: `${RESTORE_INIT_PREFIX}command`,
    timeout: `${RESTORE_INIT_PREFIX}timeout`,
  },
} as const;

/** The read-but-useless keys the readers report themselves (so lintHookAnnotationKeys skips them). */
const RESTORE_EXEC_TIMEOUT_KEY = `${RESTORE_EXEC_PREFIX}timeout`;

/** Prefix of the generated init container name; Velero appends 8 hex chars of a random UUID. */
export const INIT_CONTAINER_NAME_PREFIX = 'velero-restore-init-';

function familyKeys(prefix: string): { container: string; command: string; onError: string; timeout: string } {
  return { container: `${prefix}container`, command: `${prefix}command`, onError: `${prefix}on-error`, timeout: `${prefix}timeout` };
}

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

/**
 * Velero's onError rule for annotations: exactly one of the profile's values (Continue, Fail; on 1.19
 * also FailBlock), anything else is unset. `phase` is the hook's, for FailBlock's warnings.
 */
export function readOnErrorAnnotation(
  value: string | undefined,
  key: string,
  issues: ParseIssue[],
  options: VeleroReadOptions & { readonly phase?: HookPhase } = {},
): OnError | undefined {
  if (value === undefined) return undefined;
  const profile = veleroProfile(options.veleroVersion);
  if (value === 'Continue' || value === 'Fail') return value;
  if (value === 'FailBlock') {
    if (profile.onErrorValues.includes('FailBlock')) {
      const noEffect = failBlockNoEffect(options.phase);
      issues.push(
        noEffect === undefined
          ? makeIssue('on-error-failblock', key, 'on-error "FailBlock": if this hook fails, Velero 1.19 leaves the pod\'s whole ItemBlock out of the backup; Velero 1.18.x does not know the value and ignores it (the hook behaves as Continue)')
          : makeIssue('on-error-failblock-no-effect', key, `on-error "FailBlock" ${noEffect}; Velero 1.18.x ignores the value (Continue)`),
      );
      return 'FailBlock';
    }
    issues.push(
      makeIssue(
        'on-error-invalid',
        key,
        `on-error "FailBlock" is not known to ${profile.label}: it silently ignores it and the hook behaves as Continue (FailBlock comes with Velero 1.19, PR #10177; --velero-version 1.19)`,
        { hint: 'Write "Fail" for Velero 1.18.x, or plan and lint with --velero-version 1.19 if that is what runs your backups.' },
      ),
    );
    return undefined;
  }
  const lower = value.toLowerCase();
  const suggestion = lower === 'fail' ? 'Fail' : lower === 'continue' ? 'Continue' : lower === 'failblock' && profile.onErrorValues.includes('FailBlock') ? 'FailBlock' : undefined;
  issues.push(
    makeIssue(
      'on-error-invalid',
      key,
      `on-error ${JSON.stringify(value)} is not ${quotedList(profile.onErrorValues)}; Velero silently ignores it and the hook behaves as Continue`,
      suggestion === undefined ? {} : { hint: `Write ${JSON.stringify(suggestion)} (case-sensitive).` },
    ),
  );
  return undefined;
}

/** `"Continue" or "Fail"`, `"Continue", "Fail" or "FailBlock"`. */
export function quotedList(values: readonly string[]): string {
  const q = values.map((v) => JSON.stringify(v));
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} or ${q.at(-1) ?? ''}`;
}

/** Why FailBlock does nothing more than Fail (post) or nothing at all (restore); undefined for pre hooks. */
export function failBlockNoEffect(phase: HookPhase | undefined): string | undefined {
  if (phase === 'post') return 'does nothing more than "Fail" on a post hook: the ItemBlock is already backed up (Velero 1.19 treats it as Fail)';
  if (phase === 'restore') return 'does nothing on a restore hook: restores have no ItemBlocks and Velero treats it as Continue; write "Fail" to stop the pod\'s later hooks';
  return undefined;
}

export type DurationUse = 'exec' | 'wait';

/**
 * Reads a duration the way Velero does (unparseable → 0) and reports what Velero would do with it.
 * Returns milliseconds; 0 = unset.
 */
export function readDurationValue(value: string | undefined, key: string, use: DurationUse, issues: ParseIssue[]): number {
  if (value === undefined) return 0;
  const parsed = parseGoDuration(value);
  if (!parsed.ok) {
    const fallback = use === 'exec' ? 'the default 30s' : 'no wait deadline';
    issues.push(makeIssue('duration-invalid', key, `${parsed.error}; Velero ignores it and uses ${fallback}`));
    return 0;
  }
  const ms = nsToMs(parsed.ns);
  if (ms < 0) {
    const effect =
      use === 'exec'
        ? 'on Velero 1.18.x this negative exec timeout disables the timer (no timeout at all); Velero 1.19 and kubehooks use the default 30s'
        : 'the hook counts as expired as soon as its container is up';
    issues.push(makeIssue('duration-negative', key, `negative duration ${JSON.stringify(value)}: ${effect}`));
  } else if (use === 'exec' && ms > MAX_EXEC_TIMEOUT_MS) {
    issues.push(makeIssue('duration-too-long', key, `exec timeout ${JSON.stringify(value)} is above 4h: Velero 1.19 and kubehooks cap it to 4h; Velero 1.18.x applies it as written`));
  }
  return ms;
}

/** Go strconv.ParseBool. */
export function parseGoBool(value: string): boolean | undefined {
  switch (value) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return undefined;
  }
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
  const keys = familyKeys(prefix);
  const raw = get(annotations, keys.command) ?? '';
  const parsed = parseCommandAnnotation(raw);
  issues.push(...commandAnnotationIssues(raw, parsed, keys.command));
  const onError = readOnErrorAnnotation(get(annotations, keys.onError), keys.onError, issues, { ...options, phase });
  const execTimeoutMs = readDurationValue(get(annotations, keys.timeout), keys.timeout, 'exec', issues);
  return {
    source: 'annotation',
    name: ANNOTATION_HOOK_NAME,
    index: 0,
    container: optionalContainer(get(annotations, keys.container)),
    command: parsed.argv,
    onError,
    execTimeoutMs,
    waitTimeoutMs: 0,
    waitForReady: false,
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
  const onError = readOnErrorAnnotation(get(annotations, k.onError), k.onError, issues, { ...options, phase: 'restore' });
  const execTimeoutMs = readDurationValue(get(annotations, k.execTimeout), k.execTimeout, 'exec', issues);
  const waitTimeoutMs = readDurationValue(get(annotations, k.waitTimeout), k.waitTimeout, 'wait', issues);
  let waitForReady = false;
  const readyText = get(annotations, k.waitForReady);
  if (readyText !== undefined) {
    const parsedBool = parseGoBool(readyText);
    if (parsedBool === undefined) {
      issues.push(
        makeIssue(
          'wait-for-ready-invalid',
          k.waitForReady,
          `strconv.ParseBool: parsing ${JSON.stringify(readyText)}: invalid syntax; Velero logs it and uses false`,
        ),
      );
    } else waitForReady = parsedBool;
  }
  return {
    hook: {
      source: 'annotation',
      name: ANNOTATION_HOOK_NAME,
      index: 0,
      container: optionalContainer(get(annotations, k.container)),
      command: parsed.argv,
      onError,
      execTimeoutMs,
      waitTimeoutMs,
      waitForReady,
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

// ---------- unknown keys ----------

const KNOWN_SUFFIXES: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  [BACKUP_PRE_PREFIX, BACKUP_HOOK_SUFFIXES],
  [BACKUP_POST_PREFIX, BACKUP_HOOK_SUFFIXES],
  [BACKUP_LEGACY_PREFIX, BACKUP_HOOK_SUFFIXES],
  [RESTORE_EXEC_PREFIX, [...RESTORE_EXEC_SUFFIXES, 'timeout']],
  [RESTORE_INIT_PREFIX, RESTORE_INIT_SUFFIXES],
]);

/** Confusions seen in the wild, per prefix kind: wrong suffix → right suffix (or an explanation). */
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

function confusionsFor(prefix: string): ReadonlyMap<string, string> {
  if (prefix === RESTORE_EXEC_PREFIX) return RESTORE_EXEC_CONFUSIONS;
  if (prefix === RESTORE_INIT_PREFIX) return RESTORE_INIT_CONFUSIONS;
  return BACKUP_CONFUSIONS;
}

/** Levenshtein distance, small inputs only. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** camelCase / snake_case / upper case → kebab-case, to compare with Velero's suffixes. */
function normaliseSuffix(suffix: string): string {
  return suffix
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

function suggestSuffix(prefix: string, suffix: string): string | undefined {
  const known = KNOWN_SUFFIXES.get(prefix) ?? [];
  const norm = normaliseSuffix(suffix);
  const confusions = confusionsFor(prefix);
  const direct = confusions.get(norm) ?? confusions.get(norm.replace(/-/g, ''));
  if (direct !== undefined) return direct;
  if (known.includes(norm)) return norm;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(norm, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** Known prefixes without the trailing slash, for near-miss detection of the prefix itself. */
const PREFIX_DOMAINS = HOOK_ANNOTATION_PREFIXES.map((p) => p.slice(0, -1));

function prefixOf(key: string): string | undefined {
  // Longest first: `pre.hook.backup.velero.io/` must win over nothing else, but keep it robust.
  return [...HOOK_ANNOTATION_PREFIXES].sort((a, b) => b.length - a.length).find((p) => key.startsWith(p));
}

/**
 * Keys under Velero's hook prefixes (and near-misses of the prefixes) that Velero never reads.
 * `post.hook.restore.velero.io/timeout` and `init.hook.restore.velero.io/timeout` are reported by
 * readRestoreExecAnnotationHook / readRestoreInitAnnotationHook instead (no duplicates).
 */
export function lintHookAnnotationKeys(annotations: Annotations): ParseIssue[] {
  const record = asRecord(annotations);
  if (record === undefined) return [];
  const issues: ParseIssue[] = [];
  for (const key of Object.keys(record)) {
    const prefix = prefixOf(key);
    if (prefix !== undefined) {
      const suffix = key.slice(prefix.length);
      if ((KNOWN_SUFFIXES.get(prefix) ?? []).includes(suffix)) continue;
      const suggestion = suggestSuffix(prefix, suffix);
      const hint =
        suggestion === undefined
          ? `Known keys: ${(KNOWN_SUFFIXES.get(prefix) ?? []).filter((s) => !(prefix === RESTORE_EXEC_PREFIX && s === 'timeout')).map((s) => prefix + s).join(', ')}.`
          : suggestion.startsWith('nothing')
            ? `There is no such setting (${suggestion}); remove the key.`
            : `Did you mean ${prefix}${suggestion}?`;
      issues.push(makeIssue('annotation-key-unknown', key, `${key} is not a Velero hook annotation; Velero ignores it`, { hint }));
      continue;
    }
    const slash = key.indexOf('/');
    if (slash <= 0) continue;
    const domain = key.slice(0, slash);
    if (!domain.includes('velero') || PREFIX_DOMAINS.includes(domain)) continue;
    // A near-miss of a hook prefix, or any "*hook*.velero.io" domain (e.g. init.hook.backup.velero.io).
    const suffix = key.slice(slash + 1);
    // Prefer a prefix that knows this suffix (container-image → init.hook.restore…), then the closest.
    const score = (d: string): number => ((KNOWN_SUFFIXES.get(`${d}/`) ?? []).includes(suffix) ? 0 : 100) + editDistance(d, domain);
    const ranked = [...PREFIX_DOMAINS].sort((a, b) => score(a) - score(b));
    const nearest = ranked[0];
    const close = nearest !== undefined && editDistance(nearest, domain) <= 2;
    const hookish = /hook/i.test(domain) && domain.endsWith('velero.io');
    const near = close || hookish ? nearest : undefined;
    if (near !== undefined) {
      issues.push(
        makeIssue('annotation-key-unknown', key, `${key} is not a Velero hook annotation (prefix ${domain}/); Velero ignores it`, {
          hint: `Did you mean ${near}/${suffix}?`,
        }),
      );
    }
  }
  return issues;
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
