import type { Diagnostic, ObjectRef } from '../model/diagnostic.ts';
import type { SkippedPath } from '../load/read-inputs.ts';
import type { SuppressedDiagnostic, Suppression } from '../lint/suppress.ts';
import { countDiagnostics, sortDiagnostics } from './diagnostics-text.ts';
import { fieldOrder, pickInOrder } from './json-fields.ts';

/** One diagnostic in the contract's key order. */
export interface DiagnosticJson {
  readonly code: string;
  readonly severity: Diagnostic['severity'];
  readonly message: string;
  readonly hint: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly object: { readonly kind: string; readonly namespace: string; readonly name: string };
  readonly key: string;
}

export interface LintCountsJson {
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  /** Diagnostics an opt-out suppressed (annotation or `.kubehooks.yaml`); not in the other counts. */
  readonly suppressed: number;
}

/**
 * The `--output json` contract (schemas/lint-output.schema.json). `diagnostics` as it always was;
 * since 0.2 also `counts`, `suppressed` and `skipped`. The document only grows.
 */
export interface DiagnosticsJson {
  readonly diagnostics: readonly DiagnosticJson[];
  /** Every diagnostic found that counts (not suppressed), including those `--quiet` leaves out of `diagnostics`. */
  readonly counts: LintCountsJson;
  readonly suppressed: readonly (DiagnosticJson & { readonly suppression: Suppression })[];
  /** Paths directory walks did not read, and why. */
  readonly skipped: readonly SkippedPath[];
}

export interface DiagnosticsJsonOptions {
  readonly suppressed?: readonly SuppressedDiagnostic[];
  readonly skipped?: readonly SkippedPath[];
  /** What `counts` counts, when it is more than `diagnostics` (`--quiet` lists errors only). */
  readonly counted?: readonly Diagnostic[];
}

/**
 * Output order of `lint -o json` (schemas/lint-output.schema.json). The diagnostic's list is checked
 * against the model's Diagnostic, not against DiagnosticJson: a field added to Diagnostic must be
 * placed here (or the type checker fails), so it cannot silently vanish from the output.
 */
export const LINT_JSON_FIELDS = fieldOrder<DiagnosticsJson>()(['diagnostics', 'counts', 'suppressed', 'skipped']);
export const DIAGNOSTIC_FIELDS = fieldOrder<Diagnostic>()(['code', 'severity', 'message', 'hint', 'file', 'line', 'column', 'object', 'key']);
export const OBJECT_REF_FIELDS = fieldOrder<ObjectRef>()(['kind', 'namespace', 'name']);
export const LINT_COUNTS_FIELDS = fieldOrder<LintCountsJson>()(['errors', 'warnings', 'infos', 'suppressed']);
export const SUPPRESSED_DIAGNOSTIC_FIELDS = fieldOrder<SuppressedDiagnostic>()([...DIAGNOSTIC_FIELDS, 'suppression']);
export const SUPPRESSION_FIELDS = fieldOrder<Suppression>()(['kind', 'reason', 'source']);
export const SKIPPED_PATH_FIELDS = fieldOrder<SkippedPath>()(['path', 'code', 'reason']);

function toJson(d: Diagnostic): DiagnosticJson {
  // Rebuilt from the key list so the order is the contract's and no stray fields leak out.
  return pickInOrder({ ...d, object: pickInOrder(d.object, OBJECT_REF_FIELDS) as unknown as ObjectRef }, DIAGNOSTIC_FIELDS) as unknown as DiagnosticJson;
}

function suppressedToJson(d: SuppressedDiagnostic): DiagnosticJson & { readonly suppression: Suppression } {
  const fields = { ...toJson(d), suppression: pickInOrder(d.suppression, SUPPRESSION_FIELDS) as unknown as Suppression };
  return pickInOrder(fields, SUPPRESSED_DIAGNOSTIC_FIELDS) as unknown as DiagnosticJson & { readonly suppression: Suppression };
}

export function diagnosticsToJson(diagnostics: readonly Diagnostic[], options: DiagnosticsJsonOptions = {}): DiagnosticsJson {
  const suppressed = options.suppressed ?? [];
  const counts = countDiagnostics(options.counted ?? diagnostics);
  const doc: DiagnosticsJson = {
    diagnostics: sortDiagnostics(diagnostics).map(toJson),
    counts: pickInOrder({ ...counts, suppressed: suppressed.length }, LINT_COUNTS_FIELDS) as unknown as LintCountsJson,
    suppressed: sortDiagnostics(suppressed).map(suppressedToJson),
    skipped: (options.skipped ?? []).map((s) => pickInOrder(s, SKIPPED_PATH_FIELDS) as unknown as SkippedPath),
  };
  return pickInOrder(doc, LINT_JSON_FIELDS) as unknown as DiagnosticsJson;
}

export function renderDiagnosticsJson(diagnostics: readonly Diagnostic[], options: DiagnosticsJsonOptions = {}): string {
  return JSON.stringify(diagnosticsToJson(diagnostics, options), null, 2) + '\n';
}
