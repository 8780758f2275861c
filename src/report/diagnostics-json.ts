import type { Diagnostic } from '../model/diagnostic.ts';
import type { SkippedPath } from '../load/read-inputs.ts';
import type { SuppressedDiagnostic, Suppression } from '../lint/suppress.ts';
import { countDiagnostics, sortDiagnostics } from './diagnostics-text.ts';

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

function toJson(d: Diagnostic): DiagnosticJson {
  // Rebuilt so the key order is the contract's and no stray fields leak out.
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    hint: d.hint,
    file: d.file,
    line: d.line,
    column: d.column,
    object: { kind: d.object.kind, namespace: d.object.namespace, name: d.object.name },
    key: d.key,
  };
}

export function diagnosticsToJson(diagnostics: readonly Diagnostic[], options: DiagnosticsJsonOptions = {}): DiagnosticsJson {
  const suppressed = options.suppressed ?? [];
  const counts = countDiagnostics(options.counted ?? diagnostics);
  return {
    diagnostics: sortDiagnostics(diagnostics).map(toJson),
    counts: { errors: counts.errors, warnings: counts.warnings, infos: counts.infos, suppressed: suppressed.length },
    suppressed: sortDiagnostics(suppressed).map((d) => ({
      ...toJson(d),
      suppression: { kind: d.suppression.kind, reason: d.suppression.reason, source: d.suppression.source },
    })),
    skipped: (options.skipped ?? []).map((s) => ({ path: s.path, code: s.code, reason: s.reason })),
  };
}

export function renderDiagnosticsJson(diagnostics: readonly Diagnostic[], options: DiagnosticsJsonOptions = {}): string {
  return JSON.stringify(diagnosticsToJson(diagnostics, options), null, 2) + '\n';
}
