/**
 * The Backup's and the Restore's own scope (reference §13): which pods Velero takes at all, before
 * any hook entry is looked at. Read from `spec` (Schedule: `spec.template`) and checked as Velero's
 * validation does; a check that makes Velero fail the object is a validationError and an error issue.
 * Never throws.
 */
import { z } from 'zod';
import { compileGlob } from '../select/glob.ts';
import { labelSelectorError, type LabelSelector } from '../select/label-selector.ts';
import { makeIssue, type ParseIssue } from './issue.ts';

/** Label on a pod (or any object) that keeps Velero from backing it up. */
export const EXCLUDE_FROM_BACKUP_LABEL = 'velero.io/exclude-from-backup';
/** The label Velero puts on every object it restores. */
export const RESTORE_NAME_LABEL = 'velero.io/restore-name';

export interface ScopeSelectors {
  /** Where the fields are: `spec`, or `spec.template` for a Schedule. */
  readonly path: string;
  readonly includedNamespaces: readonly string[];
  readonly excludedNamespaces: readonly string[];
  /** undefined = no label filter. Only set when valid. */
  readonly labelSelector: LabelSelector | undefined;
  /** Empty = no OR filter. Only the valid ones. */
  readonly orLabelSelectors: readonly LabelSelector[];
  /** The resource lists that decide namespaced resources such as pods, with the fields they came from. */
  readonly resources: {
    readonly included: readonly string[];
    readonly excluded: readonly string[];
    readonly includedField: string;
    readonly excludedField: string;
  };
}

export interface RestoreScope extends ScopeSelectors {
  /** The Restore's own name, for its `velero.io/restore-name` label on restored pods. */
  readonly restoreName: string;
}

const stringList = z.array(z.string()).nullish();
const selectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).nullish(),
  matchExpressions: z.array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).nullish() })).nullish(),
});

const backupScopeSchema = z
  .object({
    includedNamespaces: stringList,
    excludedNamespaces: stringList,
    includedResources: stringList,
    excludedResources: stringList,
    includeClusterResources: z.boolean().nullish(),
    includedNamespaceScopedResources: stringList,
    excludedNamespaceScopedResources: stringList,
    includedClusterScopedResources: stringList,
    excludedClusterScopedResources: stringList,
    labelSelector: selectorSchema.nullish(),
    orLabelSelectors: z.array(selectorSchema).nullish(),
  })
  .loose();

const restoreScopeSchema = z
  .object({
    includedNamespaces: stringList,
    excludedNamespaces: stringList,
    includedResources: stringList,
    excludedResources: stringList,
    labelSelector: selectorSchema.nullish(),
    orLabelSelectors: z.array(selectorSchema).nullish(),
  })
  .loose();

type Obj = Readonly<Record<string, unknown>>;

/** Velero's ValidateIncludesExcludes, in its words. */
export function includesExcludesErrors(includes: readonly string[], excludes: readonly string[]): string[] {
  const errors: string[] = [];
  const inc = new Set(includes);
  const exc = new Set(excludes);
  if (inc.size > 1 && inc.has('*')) errors.push("includes list must either contain '*' only, or a non-empty list of items");
  if (exc.has('*')) errors.push("excludes list cannot contain '*'");
  for (const item of [...exc].sort()) if (inc.has(item)) errors.push(`excludes list cannot contain an item in the includes list: ${item}`);
  return errors;
}

function toSelector(raw: z.infer<typeof selectorSchema>): LabelSelector {
  return {
    matchLabels: raw.matchLabels ?? undefined,
    matchExpressions: (raw.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, values: e.values ?? undefined })),
  };
}

interface Collect {
  readonly issues: ParseIssue[];
  readonly validationErrors: string[];
}

function fail(c: Collect, key: string, error: string, consequence: string, code: 'scope-invalid' | 'label-selector-invalid' = 'scope-invalid'): void {
  c.validationErrors.push(error);
  c.issues.push(makeIssue(code, key, `${error}; ${consequence}`));
}

function readSelectors(
  raw: z.infer<typeof restoreScopeSchema>,
  path: string,
  what: 'backup' | 'restore',
  c: Collect,
): Pick<ScopeSelectors, 'includedNamespaces' | 'excludedNamespaces' | 'labelSelector' | 'orLabelSelectors'> {
  const consequence = what === 'backup' ? 'Velero fails the backup validation, so no hook runs' : 'Velero puts the restore in FailedValidation, so no hook runs';
  const includedNamespaces = raw.includedNamespaces ?? [];
  const excludedNamespaces = raw.excludedNamespaces ?? [];
  for (const error of includesExcludesErrors(includedNamespaces, excludedNamespaces)) {
    fail(c, `${path}.excludedNamespaces`, `Invalid included/excluded namespace lists: ${error}`, consequence);
  }
  for (const [field, list] of [['includedNamespaces', includedNamespaces], ['excludedNamespaces', excludedNamespaces]] as const) {
    for (const [i, pattern] of list.entries()) {
      const glob = compileGlob(pattern);
      if (!glob.ok) fail(c, `${path}.${field}[${i}]`, `Invalid included/excluded namespace lists: ${JSON.stringify(pattern)} is not a valid glob (${glob.error})`, consequence);
    }
  }
  let labelSelector: LabelSelector | undefined;
  if (raw.labelSelector !== undefined && raw.labelSelector !== null) {
    const selector = toSelector(raw.labelSelector);
    const error = labelSelectorError(selector);
    if (error === undefined) labelSelector = selector;
    else fail(c, `${path}.labelSelector`, error, consequence, 'label-selector-invalid');
  }
  const orLabelSelectors: LabelSelector[] = [];
  for (const [i, rawSelector] of (raw.orLabelSelectors ?? []).entries()) {
    const selector = toSelector(rawSelector);
    const error = labelSelectorError(selector);
    if (error === undefined) orLabelSelectors.push(selector);
    else fail(c, `${path}.orLabelSelectors[${i}]`, error, consequence, 'label-selector-invalid');
  }
  if (raw.labelSelector !== undefined && raw.labelSelector !== null && (raw.orLabelSelectors ?? []).length > 0) {
    fail(c, `${path}.orLabelSelectors`, `encountered labelSelector as well as orLabelSelectors in ${what} spec, only one can be specified`, consequence);
  }
  return { includedNamespaces, excludedNamespaces, labelSelector, orLabelSelectors };
}

function shape<T extends z.ZodType>(schema: T, value: Obj | undefined, path: string, c: Collect): z.infer<T> | undefined {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    let at = path;
    for (const part of issue.path) at += typeof part === 'number' ? `[${part}]` : `.${String(part)}`;
    c.issues.push(makeIssue('spec-schema-invalid', at, `${at}: ${issue.message}`));
  }
  return undefined;
}

const EVERYTHING: ScopeSelectors['resources'] = { included: [], excluded: [], includedField: 'includedResources', excludedField: 'excludedResources' };

/** A Backup's `spec` (Schedule: `spec.template`) scope. `holder` undefined = no spec: everything. */
export function readBackupScope(holder: Obj | undefined, path: string, issues: ParseIssue[], validationErrors: string[]): ScopeSelectors {
  const c = { issues, validationErrors };
  const raw = shape(backupScopeSchema, holder, path, c);
  if (raw === undefined) {
    validationErrors.push(`${path} does not match the velero.io/v1 Backup schema`);
    return { path, includedNamespaces: [], excludedNamespaces: [], labelSelector: undefined, orLabelSelectors: [], resources: EVERYTHING };
  }
  const consequence = 'Velero fails the backup validation, so no hook runs';
  const old = { included: raw.includedResources ?? [], excluded: raw.excludedResources ?? [] };
  const scoped = { included: raw.includedNamespaceScopedResources ?? [], excluded: raw.excludedNamespaceScopedResources ?? [] };
  const usesOld = old.included.length + old.excluded.length > 0 || (raw.includeClusterResources !== undefined && raw.includeClusterResources !== null);
  const usesNew =
    scoped.included.length + scoped.excluded.length + (raw.includedClusterScopedResources ?? []).length + (raw.excludedClusterScopedResources ?? []).length > 0;
  if (usesOld && usesNew) {
    fail(
      c,
      `${path}.includedNamespaceScopedResources`,
      'include-resources, exclude-resources and include-cluster-resources are old filter parameters; include-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and exclude-namespace-scoped-resources are new filter parameters; they cannot be used together',
      consequence,
    );
  }
  const resources = usesNew
    ? { ...scoped, includedField: 'includedNamespaceScopedResources', excludedField: 'excludedNamespaceScopedResources' }
    : { ...old, includedField: 'includedResources', excludedField: 'excludedResources' };
  for (const error of includesExcludesErrors(resources.included, resources.excluded)) {
    fail(c, `${path}.${resources.excludedField}`, `Invalid included/excluded resource lists: ${error}`, consequence);
  }
  return { path, ...readSelectors(raw, path, 'backup', c), resources };
}

/** A Restore's `spec` scope (its namespaceMapping is read with the hooks). */
export function readRestoreScope(spec: Obj | undefined, restoreName: string, issues: ParseIssue[], validationErrors: string[]): RestoreScope {
  const c = { issues, validationErrors };
  const path = 'spec';
  const raw = shape(restoreScopeSchema, spec, path, c);
  if (raw === undefined) {
    validationErrors.push('spec does not match the velero.io/v1 Restore schema');
    return { path, restoreName, includedNamespaces: [], excludedNamespaces: [], labelSelector: undefined, orLabelSelectors: [], resources: EVERYTHING };
  }
  const resources = { ...EVERYTHING, included: raw.includedResources ?? [], excluded: raw.excludedResources ?? [] };
  for (const error of includesExcludesErrors(resources.included, resources.excluded)) {
    fail(c, `${path}.excludedResources`, `Invalid included/excluded resource lists: ${error}`, 'Velero puts the restore in FailedValidation, so no hook runs');
  }
  return { path, restoreName, ...readSelectors(raw, path, 'restore', c), resources };
}

