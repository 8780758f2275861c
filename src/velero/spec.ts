/**
 * `spec.hooks` of velero.io/v1 Backup, Schedule (`spec.template.hooks`) and Restore (§3.1, §3.2),
 * read into the hook model. zod checks the shape; Velero's semantic rules (durations, onError enum,
 * minItems, selectors, init containers) are checked here and reported as ParseIssues. Nothing
 * throws: a malformed hook is left out and reported, the rest is still read.
 *
 * Over 300 lines on purpose: Backup/Schedule and Restore entries share the shape schemas, the
 * per-entry readers and the issue paths; split by kind, each half would import the other's readers.
 */
import { z } from 'zod';
import { UNSET_EXEC_SETTINGS, type ContainerSpec, type DeclaredExecHook, type DeclaredInitHook } from '../model/hook.ts';
import { compileGlob } from '../select/glob.ts';
import { labelSelectorError, type LabelSelector } from '../select/label-selector.ts';
import { matchBackupResources } from '../select/resources.ts';
import { parseGoDuration } from '../duration/go-duration.ts';
import { readDurationValue, readOnError } from './values.ts';
import type { VeleroReadOptions } from './profiles.ts';
import { commandArgvIssues } from './command.ts';
import { makeIssue, type ParseIssue } from './issue.ts';
import { initContainerMissingFields, INVALID_INIT_CONTAINER_MESSAGE } from './rules.ts';
import { isRecord } from '../util/is-record.ts';
import { BACKUP_STAGES_ANNOTATION, readBackupStageMap, readStageValue, STAGE_FIELD } from './stages.ts';
import { readBackupScope, readRestoreScope, type RestoreScope, type ScopeSelectors } from './scope.ts';

// ---------- shape schemas (types only; semantic rules are checked below) ----------

const stringList = z.array(z.string()).nullish();

const LabelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).nullish(),
  matchExpressions: z
    .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).nullish() }))
    .nullish(),
});

const ExecHookSchema = z.object({
  container: z.string().nullish(),
  command: z.array(z.string()),
  onError: z.string().nullish(),
  timeout: z.string().nullish(),
});

const BackupResourceHookSchema = z.object({ exec: ExecHookSchema });

const ExecRestoreHookSchema = z.object({
  container: z.string().nullish(),
  command: z.array(z.string()),
  onError: z.string().nullish(),
  execTimeout: z.string().nullish(),
  waitTimeout: z.string().nullish(),
  waitForReady: z.boolean().nullish(),
});

const InitRestoreHookSchema = z.object({
  initContainers: z.array(z.unknown()).nullish(),
  timeout: z.string().nullish(),
});

const RestoreResourceHookSchema = z.object({
  exec: ExecRestoreHookSchema.nullish(),
  init: InitRestoreHookSchema.nullish(),
});

const resourceHookSpecCommon = {
  name: z.string(),
  includedNamespaces: stringList,
  excludedNamespaces: stringList,
  includedResources: stringList,
  excludedResources: stringList,
  labelSelector: LabelSelectorSchema.nullish(),
};

const BackupResourceHookSpecSchema = z.object({
  ...resourceHookSpecCommon,
  pre: z.array(BackupResourceHookSchema).nullish(),
  post: z.array(BackupResourceHookSchema).nullish(),
});

const RestoreResourceHookSpecSchema = z.object({
  ...resourceHookSpecCommon,
  postHooks: z.array(RestoreResourceHookSchema).nullish(),
});

// ---------- model ----------

/** Selection fields of one `spec.hooks.resources[]` entry (lists normalised: null → []). */
export interface HookResourceSelector {
  /** Position in `spec.hooks.resources`. */
  readonly entryIndex: number;
  /** Spec path of the entry, e.g. `spec.hooks.resources[0]`. */
  readonly path: string;
  readonly name: string;
  readonly includedNamespaces: readonly string[];
  readonly excludedNamespaces: readonly string[];
  readonly includedResources: readonly string[];
  readonly excludedResources: readonly string[];
  /** undefined = no label filter; `{}` = everything. Only set when valid (see validationErrors). */
  readonly labelSelector: LabelSelector | undefined;
}

export interface BackupHookResource extends HookResourceSelector {
  readonly pre: readonly DeclaredExecHook[];
  readonly post: readonly DeclaredExecHook[];
  /**
   * kubehooks' stage of the entry's hooks (ADR 0019): its `stage` field, else the Backup's
   * `kubehooks.dev/stages` annotation; absent when neither sets one. Velero ignores it.
   */
  readonly stage?: number;
}

export interface BackupHooks {
  readonly name: string;
  readonly namespace: string;
  readonly resources: readonly BackupHookResource[];
  /** Which pods the Backup takes at all (§13): only those get hooks. Schedule: its spec.template. */
  readonly scope: ScopeSelectors;
  /**
   * Errors that make Velero (or the API server, for the CRD schema) refuse the whole backup before
   * any hook runs: bad label selectors, scope validation, schema errors, a wrong apiVersion.
   */
  readonly validationErrors: readonly string[];
}

export type RestorePostHook =
  | { readonly kind: 'exec'; readonly hook: DeclaredExecHook }
  | { readonly kind: 'init'; readonly hook: DeclaredInitHook };

export interface RestoreHookResource extends HookResourceSelector {
  /** In postHooks order; an element with both exec and init yields both (same index). */
  readonly postHooks: readonly RestorePostHook[];
}

export interface RestoreHooks {
  readonly name: string;
  readonly namespace: string;
  readonly resources: readonly RestoreHookResource[];
  /** Source namespace → target namespace. */
  readonly namespaceMapping: Readonly<Record<string, string>>;
  /** Which backed-up pods the Restore restores at all (§13); its namespaces are source namespaces. */
  readonly scope: RestoreScope;
  /** Errors that make Velero put the restore in FailedValidation (selectors, init containers, scope, schema). */
  readonly validationErrors: readonly string[];
}

// ---------- helpers ----------

type Obj = Readonly<Record<string, unknown>>;

function joinPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
  return out;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const part of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[part];
  }
  return at;
}

/** A ready fix for the common type slips (an unquoted duration, a quoted boolean, one string for a list). */
function typeFixHint(issue: z.core.$ZodIssue, input: unknown): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  const value = valueAt(input, issue.path);
  const field = String(issue.path[issue.path.length - 1] ?? '');
  if (issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    if (/timeout$/i.test(field) && typeof value === 'number') {
      return `Write a quoted Go duration with a unit, e.g. ${JSON.stringify(`${value}s`)} (YAML reads an unquoted ${value} as a number).`;
    }
    return `Quote the value: ${JSON.stringify(String(value))}.`;
  }
  if (issue.expected === 'boolean' && typeof value === 'string' && /^(true|false)$/i.test(value)) {
    return `Write ${value.toLowerCase()} without quotes.`;
  }
  if (issue.expected === 'array' && typeof value === 'string') return `Write a list: ${JSON.stringify([value])}.`;
  return undefined;
}

function schemaIssues(error: z.ZodError, base: string, input?: unknown): ParseIssue[] {
  return error.issues.map((issue) => {
    const path = joinPath(base, issue.path);
    const hint = typeFixHint(issue, input);
    return makeIssue('spec-schema-invalid', path, `${path}: ${issue.message}`, hint === undefined ? {} : { hint });
  });
}

/** safeParse that reports issues at `path` and returns undefined on failure. */
function parseAt<T extends z.ZodType>(schema: T, value: unknown, path: string, issues: ParseIssue[]): z.infer<T> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  issues.push(...schemaIssues(result.error, path, value));
  return undefined;
}

/**
 * Like parseAt, but one bad field does not hide the others: every issue is reported, then the
 * offending top-level fields are replaced by `fallbacks` (or dropped) and the object is read again,
 * so later checks (onError, durations, the container) still see the rest. `repaired` lists the
 * fields that were replaced. undefined only when the value is not an object at all.
 */
function parseLenient<T extends z.ZodType>(
  schema: T,
  value: unknown,
  path: string,
  issues: ParseIssue[],
  fallbacks: Readonly<Record<string, unknown>> = {},
): { data: z.infer<T>; repaired: ReadonlySet<string> } | undefined {
  if (!isRecord(value)) {
    parseAt(schema, value, path, issues);
    return undefined;
  }
  const first = schema.safeParse(value);
  if (first.success) return { data: first.data, repaired: new Set() };
  issues.push(...schemaIssues(first.error, path, value));
  const repaired = new Set<string>();
  for (const issue of first.error.issues) {
    const field = issue.path[0];
    if (typeof field === 'string') repaired.add(field);
  }
  const fixed: Record<string, unknown> = { ...value };
  for (const field of repaired) fixed[field] = Object.hasOwn(fallbacks, field) ? fallbacks[field] : undefined;
  const second = schema.safeParse(fixed);
  return second.success ? { data: second.data, repaired } : undefined;
}

const SHELL_SYNTAX = /["'`$\\|&;<>(){}*?~]/;

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `the ${typeof value} ${String(value)}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * An exec command in spec.hooks: the CRD wants a list of strings. A string (the commonest slip) gets
 * the list to write, as the annotation rules give it; the argv is kept as one element so the hook
 * stays visible to the checks that need it (container, onError). Never throws.
 */
function readSpecCommand(value: unknown, key: string, issues: ParseIssue[]): string[] {
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) {
    issues.push(...commandArgvIssues(value, key));
    return value;
  }
  if (typeof value === 'string') {
    const line = value.trim();
    const words = line.split(/\s+/);
    const hint =
      words.length <= 1
        ? `Write it as a list: ${JSON.stringify([line])}.`
        : `Write it as a list; to run it through a shell: ${JSON.stringify(['/bin/sh', '-c', line])}` +
          (SHELL_SYNTAX.test(line) ? '.' : `, or split into program and arguments: ${JSON.stringify(words)}.`);
    issues.push(
      makeIssue(
        'spec-schema-invalid',
        key,
        `${key}: expected array, received string ${JSON.stringify(value)}; the CRD needs a list of strings (Velero never splits a command or runs a shell), so the API server rejects the object`,
        { hint },
      ),
    );
    return [value];
  }
  if (value === undefined || value === null) {
    issues.push(makeIssue('spec-schema-invalid', key, `${key}: the command is required (a list of strings)`, { hint: 'Add the command, e.g. ["/bin/sync"].' }));
    return [];
  }
  if (Array.isArray(value)) {
    const bad = value.findIndex((v) => typeof v !== 'string');
    issues.push(
      makeIssue('spec-schema-invalid', `${key}[${bad}]`, `${key}[${bad}]: expected string, received ${describeValue(value[bad])}; every element of the command must be a string`, {
        hint: 'Quote the element, e.g. "5" instead of 5.',
      }),
    );
    return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  }
  issues.push(makeIssue('spec-schema-invalid', key, `${key}: expected array, received ${describeValue(value)}`, { hint: 'Write the command as a list of strings, e.g. ["/bin/sync"].' }));
  return [];
}

/** The exec object of a hook, read field by field: the command on its own, then the rest leniently. */
function readExecObject<T extends z.ZodType>(schema: T, value: unknown, at: string, issues: ParseIssue[]): z.infer<T> | undefined {
  if (!isRecord(value)) {
    issues.push(makeIssue('spec-schema-invalid', at, `${at}: expected object, received ${describeValue(value)}`));
    return undefined;
  }
  const command = readSpecCommand(value.command, `${at}.command`, issues);
  return parseLenient(schema, { ...value, command }, at, issues)?.data;
}

/** In spec.hooks a duration is a metav1.Duration: the same grammar, but a bad value is an error for the object. */
function readSpecDuration(value: string | null | undefined, key: string, use: 'exec' | 'wait', issues: ParseIssue[]): number {
  if (value === undefined || value === null) return 0;
  const parsed = parseGoDuration(value);
  if (!parsed.ok) {
    // Unlike an annotation, a bad metav1.Duration makes the whole object undecodable for Velero.
    issues.push(makeIssue('duration-invalid', key, `${parsed.error}; Velero cannot decode this metav1.Duration, so it cannot read the object at all`));
    return 0;
  }
  return readDurationValue(value, key, use, issues);
}

const SELECTION_FIELDS = ['includedNamespaces', 'excludedNamespaces', 'includedResources', 'excludedResources', 'labelSelector'] as const;

interface EntryCommon {
  readonly selector: HookResourceSelector;
  /** false when the entry can never be evaluated sensibly (e.g. broken selector); still reported. */
  readonly usable: boolean;
}

function readEntryCommon(
  raw: z.infer<typeof BackupResourceHookSpecSchema> | z.infer<typeof RestoreResourceHookSpecSchema>,
  entryIndex: number,
  path: string,
  kind: 'backup' | 'restore',
  issues: ParseIssue[],
  validationErrors: string[],
  repaired: ReadonlySet<string> = new Set(),
): EntryCommon {
  const name = raw.name;
  const subject = `${path} ${JSON.stringify(name)}`;
  if (name === '' && !repaired.has('name')) {
    issues.push(
      makeIssue(
        'spec-hook-name-empty',
        `${path}.name`,
        `${path} has an empty name; Velero fails each of its exec hooks with "hookName is required"`,
      ),
    );
  }
  const includedNamespaces = raw.includedNamespaces ?? [];
  const excludedNamespaces = raw.excludedNamespaces ?? [];
  const includedResources = raw.includedResources ?? [];
  const excludedResources = raw.excludedResources ?? [];
  for (const [field, list] of [
    ['includedNamespaces', includedNamespaces],
    ['excludedNamespaces', excludedNamespaces],
  ] as const) {
    for (const [i, pattern] of list.entries()) {
      const glob = compileGlob(pattern);
      if (!glob.ok) {
        issues.push(
          makeIssue('namespace-glob-invalid', `${path}.${field}[${i}]`, `${JSON.stringify(pattern)} is not a valid glob (${glob.error}); Velero's ${field} list then matches nothing`),
        );
      }
    }
  }
  if (kind === 'restore') {
    if (includedResources.length > 0 || excludedResources.length > 0) {
      const field = includedResources.length > 0 ? 'includedResources' : 'excludedResources';
      issues.push(makeIssue('resources-filter-ignored', `${path}.${field}`, `${subject}: restore hooks ignore includedResources/excludedResources and always apply to pods`));
    }
  } else {
    const verdict = matchBackupResources(includedResources, excludedResources, subject);
    if (!verdict.ok) {
      const field = includedResources.length > 0 && excludedResources.length === 0 ? 'includedResources' : 'excludedResources';
      issues.push(makeIssue('resources-exclude-pods', `${path}.${field}`, `${verdict.reason}, so this entry never runs`));
    }
  }
  let labelSelector: LabelSelector | undefined;
  // A selection field that had to be dropped leaves the entry's pods unknown: report, do not guess.
  let usable = !SELECTION_FIELDS.some((f) => repaired.has(f));
  if (raw.labelSelector !== undefined && raw.labelSelector !== null) {
    const selector: LabelSelector = {
      matchLabels: raw.labelSelector.matchLabels ?? undefined,
      matchExpressions: (raw.labelSelector.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, values: e.values ?? undefined })),
    };
    const error = labelSelectorError(selector);
    if (error === undefined) labelSelector = selector;
    else {
      usable = false;
      validationErrors.push(error);
      const consequence = kind === 'backup' ? 'Velero fails the whole backup' : 'Velero fails restore validation (FailedValidation)';
      issues.push(makeIssue('label-selector-invalid', `${path}.labelSelector`, `${error}; ${consequence}`));
    }
  }
  return {
    selector: { entryIndex, path, name, includedNamespaces, excludedNamespaces, includedResources, excludedResources, labelSelector },
    usable,
  };
}

function readBackupHookList(
  list: readonly unknown[] | null | undefined,
  entryName: string,
  path: string,
  phase: 'pre' | 'post',
  issues: ParseIssue[],
  options: VeleroReadOptions,
): DeclaredExecHook[] {
  const hooks: DeclaredExecHook[] = [];
  for (const [index, element] of (list ?? []).entries()) {
    const at = `${path}[${index}]`;
    if (isRecord(element) && (element.exec === undefined || element.exec === null)) {
      issues.push(makeIssue('spec-hook-empty', at, `${at} has no exec; the CRD requires it and Velero would run nothing`, { severity: 'error' }));
      continue;
    }
    if (!isRecord(element)) {
      issues.push(makeIssue('spec-schema-invalid', at, `${at}: expected object, received ${describeValue(element)}`, { hint: 'Write each hook as {exec: {command: [...]}}.' }));
      continue;
    }
    const exec = readExecObject(ExecHookSchema, element.exec, `${at}.exec`, issues);
    if (exec === undefined) continue;
    hooks.push({
      source: 'spec',
      name: entryName,
      index,
      container: exec.container === '' || exec.container === null ? undefined : exec.container,
      command: exec.command,
      ...UNSET_EXEC_SETTINGS,
      onError: readOnError(exec.onError, `${at}.exec.onError`, 'spec', issues, { ...options, phase }),
      execTimeoutMs: readSpecDuration(exec.timeout, `${at}.exec.timeout`, 'exec', issues),
    });
  }
  return hooks;
}

/** Raw shape checks for the list container itself, element checks happen per element. */
const entryShape = <T extends z.ZodObject>(schema: T, listFields: readonly string[]): z.ZodType<z.infer<T>> =>
  schema.extend(Object.fromEntries(listFields.map((f) => [f, z.array(z.unknown()).nullish()]))) as unknown as z.ZodType<z.infer<T>>;

const BackupEntryShape = entryShape(BackupResourceHookSpecSchema, ['pre', 'post']);
const RestoreEntryShape = entryShape(RestoreResourceHookSpecSchema, ['postHooks']);

function readResourcesList(value: unknown, path: string, issues: ParseIssue[]): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    issues.push(makeIssue('spec-schema-invalid', path, `${path}: expected a list`));
    return [];
  }
  return value as readonly unknown[];
}

function metadataOf(obj: Obj): { name: string; namespace: string } {
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  return {
    name: typeof meta.name === 'string' ? meta.name : '',
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
  };
}

function checkKind(obj: unknown, kinds: readonly string[], issues: ParseIssue[]): obj is Obj {
  if (!isRecord(obj)) {
    issues.push(makeIssue('object-invalid', '', `expected a velero.io/v1 ${kinds.join(' or ')} object`));
    return false;
  }
  if (typeof obj.kind !== 'string' || !kinds.includes(obj.kind)) {
    issues.push(makeIssue('object-invalid', 'kind', `kind is ${JSON.stringify(obj.kind ?? null)}, expected ${kinds.join(' or ')}`));
    return false;
  }
  if (obj.apiVersion !== 'velero.io/v1') {
    issues.push(makeIssue('object-invalid', 'apiVersion', `apiVersion is ${JSON.stringify(obj.apiVersion ?? null)}, expected "velero.io/v1"`));
  }
  return true;
}

function child(obj: unknown, key: string, path: string, issues: ParseIssue[]): Obj | undefined {
  if (!isRecord(obj)) return undefined;
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) {
    issues.push(makeIssue('spec-schema-invalid', path, `${path}: expected an object`));
    return undefined;
  }
  return value;
}

/**
 * Issues that mean the API server (CRD schema) or Velero's validation refuses the object, beyond the
 * ones already recorded as validation errors where they were found.
 */
function refusals(issues: readonly ParseIssue[], validationErrors: string[]): void {
  for (const issue of issues) {
    if (issue.severity !== 'error') continue;
    if (issue.code === 'object-invalid' || issue.code === 'spec-schema-invalid' || issue.code === 'on-error-invalid' || issue.code === 'duration-invalid' || issue.code === 'spec-hook-empty') {
      const text = issue.code === 'object-invalid' ? `the API server does not accept it: ${issue.message}` : `the CRD schema rejects it: ${issue.message}`;
      if (!validationErrors.includes(text)) validationErrors.push(text);
    }
  }
}

// ---------- Backup / Schedule ----------

/** Reads a Backup (`spec.hooks`) or Schedule (`spec.template.hooks`). Never throws. */
export function parseBackupObject(obj: unknown, options: VeleroReadOptions = {}): { backup: BackupHooks | undefined; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  if (!checkKind(obj, ['Backup', 'Schedule'], issues)) return { backup: undefined, issues };
  const { name, namespace } = metadataOf(obj);
  const spec = child(obj, 'spec', 'spec', issues);
  const base = obj.kind === 'Schedule' ? 'spec.template.hooks' : 'spec.hooks';
  const holder = obj.kind === 'Schedule' ? child(spec, 'template', 'spec.template', issues) : spec;
  const hooks = child(holder, 'hooks', base, issues);
  const validationErrors: string[] = [];
  const resources: BackupHookResource[] = [];
  const entryNames: string[] = [];
  for (const [entryIndex, rawEntry] of readResourcesList(hooks?.resources, `${base}.resources`, issues).entries()) {
    const path = `${base}.resources[${entryIndex}]`;
    const lenient = parseLenient(BackupEntryShape, rawEntry, path, issues, { name: '' });
    if (lenient === undefined) continue;
    const entry = lenient.data;
    const common = readEntryCommon(entry, entryIndex, path, 'backup', issues, validationErrors, lenient.repaired);
    const pre = readBackupHookList(entry.pre, entry.name, `${path}.pre`, 'pre', issues, options);
    const post = readBackupHookList(entry.post, entry.name, `${path}.post`, 'post', issues, options);
    if ((entry.pre ?? []).length === 0 && (entry.post ?? []).length === 0) {
      issues.push(makeIssue('spec-entry-no-hooks', path, `${path} ${JSON.stringify(entry.name)} has no pre or post hooks`));
    }
    entryNames.push(entry.name);
    const stage = isRecord(rawEntry) && Object.hasOwn(rawEntry, STAGE_FIELD) ? readStageValue(rawEntry[STAGE_FIELD], `${path}.${STAGE_FIELD}`, issues) : undefined;
    if (common.usable) resources.push({ ...common.selector, pre, post, ...(stage === undefined ? {} : { stage }) });
  }
  applyBackupStageMap(obj, resources, entryNames, issues);
  const scope = readBackupScope(holder, obj.kind === 'Schedule' ? 'spec.template' : 'spec', issues, validationErrors);
  refusals(issues, validationErrors);
  return { backup: { name, namespace, resources, scope, validationErrors }, issues };
}

/** The Backup's `kubehooks.dev/stages` annotation, for entries without their own `stage` field. */
function applyBackupStageMap(obj: Obj, resources: BackupHookResource[], entryNames: readonly string[], issues: ParseIssue[]): void {
  const annotations = isRecord(obj.metadata) ? obj.metadata.annotations : undefined;
  const stages = readBackupStageMap(annotations, [...new Set(entryNames)], issues);
  if (stages.size === 0) return;
  for (const [i, resource] of resources.entries()) {
    const mapped = stages.get(resource.name);
    if (mapped === undefined) continue;
    if (resource.stage === undefined) resources[i] = { ...resource, stage: mapped };
    else if (resource.stage !== mapped) {
      issues.push(
        makeIssue(
          'stage-conflict',
          `${resource.path}.${STAGE_FIELD}`,
          `${resource.path} ${JSON.stringify(resource.name)} has ${STAGE_FIELD}: ${resource.stage}, and ${BACKUP_STAGES_ANNOTATION} gives it stage ${mapped}; kubehooks uses ${resource.stage} (the field)`,
        ),
      );
    }
  }
}

/** Stages order backup hooks only: a Restore's are reported and ignored. */
function restoreStageIssues(rawEntry: unknown, path: string, issues: ParseIssue[]): void {
  if (isRecord(rawEntry) && Object.hasOwn(rawEntry, STAGE_FIELD)) {
    issues.push(makeIssue('stage-not-applicable', `${path}.${STAGE_FIELD}`, `${path}.${STAGE_FIELD}: stages order backup hooks only; kubehooks ignores it on a Restore (so does Velero)`));
  }
}

// ---------- Restore ----------

function readInitContainers(list: readonly unknown[] | null | undefined, path: string, issues: ParseIssue[], validationErrors: string[]): ContainerSpec[] {
  const containers: ContainerSpec[] = [];
  for (const [i, raw] of (list ?? []).entries()) {
    const at = `${path}[${i}]`;
    if (!isRecord(raw)) {
      validationErrors.push(`json: cannot unmarshal ${Array.isArray(raw) ? 'array' : typeof raw} into Go value of type v1.Container`);
      issues.push(makeIssue('init-container-invalid', at, `${at} is not a container object; Velero fails restore validation`));
      continue;
    }
    const missing = initContainerMissingFields(raw);
    for (const field of ['name', 'image'] as const) {
      if (raw[field] !== undefined && raw[field] !== null && typeof raw[field] !== 'string') {
        issues.push(makeIssue('spec-schema-invalid', `${at}.${field}`, `${at}.${field}: expected string`));
      }
    }
    if (missing.length > 0) {
      validationErrors.push(INVALID_INIT_CONTAINER_MESSAGE);
      issues.push(
        makeIssue('init-container-invalid', at, `${INVALID_INIT_CONTAINER_MESSAGE} (${at} lacks ${missing.join(', ')}); the restore fails validation`),
      );
    } else {
      issues.push(...commandArgvIssues(raw.command as string[], `${at}.command`));
    }
    containers.push(raw as unknown as ContainerSpec);
  }
  return containers;
}

function readRestorePostHooks(
  list: readonly unknown[] | null | undefined,
  entryName: string,
  path: string,
  issues: ParseIssue[],
  validationErrors: string[],
  options: VeleroReadOptions,
): RestorePostHook[] {
  const hooks: RestorePostHook[] = [];
  for (const [index, element] of (list ?? []).entries()) {
    const at = `${path}[${index}]`;
    if (!isRecord(element)) {
      issues.push(makeIssue('spec-schema-invalid', at, `${at}: expected an object with exec and/or init`));
      continue;
    }
    const parsed = element;
    const hasExec = parsed.exec !== undefined && parsed.exec !== null;
    const hasInit = parsed.init !== undefined && parsed.init !== null;
    if (!hasExec && !hasInit) {
      issues.push(makeIssue('spec-hook-empty', at, `${at} has neither exec nor init; it does nothing`));
      continue;
    }
    if (hasInit) {
      const init = parseAt(
        InitRestoreHookSchema.extend({ initContainers: z.array(z.unknown()).nullish() }),
        parsed.init,
        `${at}.init`,
        issues,
      );
      if (init !== undefined) {
        if (init.timeout !== undefined && init.timeout !== null) {
          issues.push(makeIssue('init-timeout-unused', `${at}.init.timeout`, `${at}.init.timeout is declared by Velero but never used`));
        }
        const initContainers = readInitContainers(init.initContainers, `${at}.init.initContainers`, issues, validationErrors);
        hooks.push({ kind: 'init', hook: { source: 'spec', name: entryName, index, initContainers } });
      }
    }
    if (hasExec) {
      const exec = readExecObject(ExecRestoreHookSchema, parsed.exec, `${at}.exec`, issues);
      if (exec !== undefined) {
        hooks.push({
          kind: 'exec',
          hook: {
            source: 'spec',
            name: entryName,
            index,
            container: exec.container === '' || exec.container === null ? undefined : exec.container,
            command: exec.command,
            ...UNSET_EXEC_SETTINGS,
            onError: readOnError(exec.onError, `${at}.exec.onError`, 'spec', issues, { ...options, phase: 'restore' }),
            execTimeoutMs: readSpecDuration(exec.execTimeout, `${at}.exec.execTimeout`, 'exec', issues),
            waitTimeoutMs: readSpecDuration(exec.waitTimeout, `${at}.exec.waitTimeout`, 'wait', issues),
            waitForReady: exec.waitForReady ?? false,
          },
        });
      }
    }
  }
  return hooks;
}

/** Reads a Restore's `spec.hooks` and `spec.namespaceMapping`. Never throws. */
export function parseRestoreObject(obj: unknown, options: VeleroReadOptions = {}): { restore: RestoreHooks | undefined; issues: ParseIssue[] } {
  const issues: ParseIssue[] = [];
  if (!checkKind(obj, ['Restore'], issues)) return { restore: undefined, issues };
  const { name, namespace } = metadataOf(obj);
  const spec = child(obj, 'spec', 'spec', issues);
  const namespaceMapping: Record<string, string> = {};
  const rawMapping = spec?.namespaceMapping;
  if (rawMapping !== undefined && rawMapping !== null) {
    const mapping = parseAt(z.record(z.string(), z.string()), rawMapping, 'spec.namespaceMapping', issues);
    if (mapping !== undefined) Object.assign(namespaceMapping, mapping);
  }
  const hooks = child(spec, 'hooks', 'spec.hooks', issues);
  const validationErrors: string[] = [];
  const resources: RestoreHookResource[] = [];
  for (const [entryIndex, rawEntry] of readResourcesList(hooks?.resources, 'spec.hooks.resources', issues).entries()) {
    const path = `spec.hooks.resources[${entryIndex}]`;
    const lenient = parseLenient(RestoreEntryShape, rawEntry, path, issues, { name: '' });
    if (lenient === undefined) continue;
    const entry = lenient.data;
    const common = readEntryCommon(entry, entryIndex, path, 'restore', issues, validationErrors, lenient.repaired);
    const postHooks = readRestorePostHooks(entry.postHooks, entry.name, `${path}.postHooks`, issues, validationErrors, options);
    restoreStageIssues(rawEntry, path, issues);
    if ((entry.postHooks ?? []).length === 0) {
      issues.push(makeIssue('spec-entry-no-hooks', path, `${path} ${JSON.stringify(entry.name)} has no postHooks`));
    }
    if (common.usable) resources.push({ ...common.selector, postHooks });
  }
  const restoreAnnotations = isRecord(obj.metadata) && isRecord(obj.metadata.annotations) ? obj.metadata.annotations : {};
  if (Object.hasOwn(restoreAnnotations, BACKUP_STAGES_ANNOTATION)) {
    issues.push(makeIssue('stage-not-applicable', BACKUP_STAGES_ANNOTATION, `${BACKUP_STAGES_ANNOTATION} on a Restore: stages order backup hooks only; kubehooks ignores it`));
  }
  const scope = readRestoreScope(spec, name, issues, validationErrors);
  refusals(issues, validationErrors);
  return { restore: { name, namespace, resources, namespaceMapping, scope, validationErrors }, issues };
}
