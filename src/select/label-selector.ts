import type { Verdict } from './verdict.ts';

/** metav1.LabelSelectorRequirement as written (operator unchecked until validation). */
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>> | undefined;
  readonly matchExpressions?: readonly LabelSelectorRequirement[] | undefined;
}

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Kubernetes IsQualifiedName; returns the messages (empty = valid). */
function qualifiedNameErrors(key: string): string[] {
  const parts = key.split('/');
  let name: string;
  const errors: string[] = [];
  if (parts.length === 1) name = key;
  else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errors.push('prefix part must be non-empty');
    else {
      if (prefix.length > 253) errors.push('prefix part must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN.test(prefix)) {
        errors.push(
          "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        );
      }
    }
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errors.push('name part must be non-empty');
  else {
    if (name.length > 63) errors.push('name part must be no more than 63 characters');
    if (!NAME_PART.test(name)) errors.push(NAME_PART_MSG);
  }
  return errors;
}

function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (value !== '' && !NAME_PART.test(value)) errors.push(VALUE_MSG);
  return errors;
}

function goStringSlice(values: readonly string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

function requirementError(key: string, operator: 'Equals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', values: readonly string[]): string | undefined {
  const keyErrors = qualifiedNameErrors(key);
  if (keyErrors.length > 0) return `key: Invalid value: ${JSON.stringify(key)}: ${keyErrors.join(', ')}`;
  if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
    return "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty";
  }
  if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length !== 0) {
    return `values: Invalid value: ${goStringSlice(values)}: values set must be empty for exists and does not exist`;
  }
  for (const [i, value] of values.entries()) {
    const errors = labelValueErrors(value);
    if (errors.length > 0) return `values[${i}]: Invalid value: ${JSON.stringify(value)}: ${errors.join(', ')}`;
  }
  return undefined;
}

/**
 * The error metav1.LabelSelectorAsSelector would return, or undefined. The operator message is
 * Kubernetes' exact text; key/value messages follow apimachinery's field-error format.
 */
export function labelSelectorError(selector: LabelSelector): string | undefined {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const err = requirementError(key, 'Equals', [value]);
    if (err !== undefined) return err;
  }
  for (const expr of selector.matchExpressions ?? []) {
    if (!OPERATORS.has(expr.operator)) return `${JSON.stringify(expr.operator)} is not a valid label selector operator`;
    const err = requirementError(expr.key, expr.operator as 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', expr.values ?? []);
    if (err !== undefined) return err;
  }
  return undefined;
}

function describeRequirement(expr: LabelSelectorRequirement): string {
  const values = (expr.values ?? []).join(',');
  switch (expr.operator) {
    case 'In':
      return `${expr.key} in (${values})`;
    case 'NotIn':
      return `${expr.key} notin (${values})`;
    case 'Exists':
      return expr.key;
    case 'DoesNotExist':
      return `!${expr.key}`;
    default:
      return `${expr.key} ${expr.operator} (${values})`;
  }
}

function requirementMatches(expr: LabelSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, expr.key);
  const value = labels[expr.key];
  const values = expr.values ?? [];
  switch (expr.operator) {
    case 'In':
      return has && value !== undefined && values.includes(value);
    case 'NotIn':
      return !has || value === undefined || !values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/**
 * Whether a (valid) selector matches the labels. `undefined` selector = no filter; `{}` = everything.
 * The reason lists each failed requirement and what the pod has instead.
 */
export function matchLabelSelector(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined, subject: string): Verdict {
  if (selector === undefined) return { ok: true };
  const podLabels = labels ?? {};
  const failures: string[] = [];
  const podHas = (key: string): string => {
    const v = podLabels[key];
    return Object.hasOwn(podLabels, key) && v !== undefined ? `pod has ${key}=${v}` : `pod has no label ${key}`;
  };
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (podLabels[key] !== value || !Object.hasOwn(podLabels, key)) failures.push(`${key}=${value} required, ${podHas(key)}`);
  }
  for (const expr of selector.matchExpressions ?? []) {
    if (!requirementMatches(expr, podLabels)) failures.push(`${describeRequirement(expr)} required, ${podHas(expr.key)}`);
  }
  if (failures.length === 0) return { ok: true };
  return { ok: false, reason: `labels do not match ${subject} (${failures.join('; ')})` };
}

/** kubectl-style text of a selector, e.g. `app=db,tier in (a,b)`. */
export function formatLabelSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const expr of selector.matchExpressions ?? []) parts.push(describeRequirement(expr));
  return parts.length === 0 ? '<everything>' : parts.join(',');
}
