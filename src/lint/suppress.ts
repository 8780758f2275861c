import type { Diagnostic, Severity } from '../model/diagnostic.ts';
import type { LoadedObject } from '../load/loaded-object.ts';
import { objectDiagnostic } from '../load/source.ts';
import { boundMessage } from '../velero/quote.ts';

/** `ignore-check.kubehooks.dev/<code>: "<reason>"` on an object turns that code off for the object. */
export const IGNORE_CHECK_PREFIX = 'ignore-check.kubehooks.dev/';

/** Codes about the opt-outs themselves (documented in docs/lint-rules.md with the others). */
export const SUPPRESSION_CODE_INFO = {
  'ignore-check-reason-missing': {
    severity: 'error',
    summary: 'An ignore-check.kubehooks.dev/<code> annotation has an empty reason, so it suppresses nothing.',
    hint: 'Say why the check does not apply, e.g. ignore-check.kubehooks.dev/container-not-found: "sidecar added by the mesh at admission".',
  },
  'ignore-check-unknown-code': {
    severity: 'warning',
    summary: 'An ignore-check.kubehooks.dev/<code> annotation names a code kubehooks lint does not have, so it suppresses nothing.',
    hint: 'Use a code from docs/lint-rules.md (the code is the part after the slash).',
  },
} as const satisfies Readonly<Record<string, { readonly severity: Severity; readonly summary: string; readonly hint: string }>>;

export type SuppressionCode = keyof typeof SUPPRESSION_CODE_INFO;
export const SUPPRESSION_CODES = Object.keys(SUPPRESSION_CODE_INFO) as SuppressionCode[];

/** Why a diagnostic is not counted: an annotation on its object, or the config file. */
export interface Suppression {
  readonly kind: 'annotation' | 'config';
  readonly reason: string;
  /** The annotation key, or the config file's path. */
  readonly source: string;
}

export interface SuppressedDiagnostic extends Diagnostic {
  readonly suppression: Suppression;
}

/** Codes turned off for the whole run (from `.kubehooks.yaml`), each with its reason. */
export interface DisabledCodes {
  /** The config file's path, for reports. */
  readonly file: string;
  readonly codes: ReadonlyMap<string, string>;
}

export interface SuppressionResult {
  /** Diagnostics that count (exit status, text, `diagnostics[]`), including problems with the opt-outs. */
  readonly active: readonly Diagnostic[];
  readonly suppressed: readonly SuppressedDiagnostic[];
}

function refKey(file: string, ref: { readonly kind: string; readonly namespace: string; readonly name: string }): string {
  return [file, ref.kind, ref.namespace, ref.name].join('\u0000');
}

function annotationsOf(value: unknown): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null) return {};
  const meta = (value as { metadata?: unknown }).metadata;
  if (typeof meta !== 'object' || meta === null) return {};
  const annotations = (meta as { annotations?: unknown }).annotations;
  return typeof annotations === 'object' && annotations !== null && !Array.isArray(annotations) ? (annotations as Record<string, unknown>) : {};
}

/**
 * The opt-out annotations of an object: its own metadata and, for a workload, its pod template's
 * (where the hook annotations live), the template's winning.
 */
function optOuts(object: LoadedObject): Map<string, { key: string; value: unknown }> {
  const found = new Map<string, { key: string; value: unknown }>();
  const sources = [annotationsOf(object.raw)];
  if (object.type === 'pod' && object.workload !== undefined) sources.push(object.pod.metadata.annotations ?? {});
  for (const annotations of sources) {
    for (const [key, value] of Object.entries(annotations)) {
      if (key.startsWith(IGNORE_CHECK_PREFIX)) found.set(key.slice(IGNORE_CHECK_PREFIX.length), { key, value });
    }
  }
  return found;
}

/**
 * Pure: splits diagnostics into those that count and those an opt-out suppresses. `known` is every
 * code lint can report (an annotation naming another code is reported, not obeyed). An opt-out with
 * an empty reason suppresses nothing and is itself an error. The config's codes apply everywhere;
 * problems with the opt-outs can be turned off there too, but not by another annotation.
 */
export function applySuppressions(
  diagnostics: readonly Diagnostic[],
  objects: readonly LoadedObject[],
  known: ReadonlySet<string>,
  disabled?: DisabledCodes,
): SuppressionResult {
  const byObject = new Map<string, Map<string, Suppression>>();
  const problems: Diagnostic[] = [];
  for (const object of objects) {
    const accepted = new Map<string, Suppression>();
    for (const [code, { key, value }] of optOuts(object)) {
      const reason = typeof value === 'string' ? value.trim() : '';
      const at = object.type === 'pod' ? object.locate(key) : object.locate('');
      if (!known.has(code)) {
        const info = SUPPRESSION_CODE_INFO['ignore-check-unknown-code'];
        problems.push(objectDiagnostic(object.origin.file, object.ref, at, 'ignore-check-unknown-code', info.severity, key,
          `${key} names ${JSON.stringify(code)}, which is not a kubehooks lint code; it suppresses nothing`, info.hint));
        continue;
      }
      if (reason === '') {
        const info = SUPPRESSION_CODE_INFO['ignore-check-reason-missing'];
        problems.push(objectDiagnostic(object.origin.file, object.ref, at, 'ignore-check-reason-missing', info.severity, key,
          `${key} gives no reason, so ${code} is still reported for this object`, info.hint));
        continue;
      }
      accepted.set(code, { kind: 'annotation', reason: boundMessage(reason), source: key });
    }
    if (accepted.size > 0) byObject.set(refKey(object.origin.file, object.ref), accepted);
  }
  const active: Diagnostic[] = [];
  const suppressed: SuppressedDiagnostic[] = [];
  const isProblem = (code: string): boolean => Object.hasOwn(SUPPRESSION_CODE_INFO, code);
  for (const d of [...diagnostics, ...problems]) {
    const configReason = disabled?.codes.get(d.code);
    const byAnnotation = isProblem(d.code) ? undefined : byObject.get(refKey(d.file, d.object))?.get(d.code);
    const suppression: Suppression | undefined =
      configReason !== undefined && disabled !== undefined ? { kind: 'config', reason: configReason, source: disabled.file } : byAnnotation;
    if (suppression === undefined) active.push(d);
    else suppressed.push({ ...d, suppression });
  }
  return { active, suppressed };
}
