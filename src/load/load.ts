import type { Diagnostic } from '../model/diagnostic.ts';
import { classifyDocument } from './classify.ts';
import { helmTemplateDiagnostic } from './helm.ts';
import { DEFAULT_LOAD_LIMITS } from './limits.ts';
import type { LoadLimits } from './limits.ts';
import type { LoadedObject } from './loaded-object.ts';
import { parseSource } from './parse-documents.ts';
import type { ParsedDocument } from './parse-documents.ts';
import type { SourceText } from './source.ts';
import { NO_COUNTER } from './work-counter.ts';
import type { WorkCounter } from './work-counter.ts';

export interface LoadedDocument {
  readonly parsed: ParsedDocument;
  readonly objects: readonly LoadedObject[];
}

export interface LoadResult {
  /** Every document that parsed, in input order (for `inject`, which writes them all back). */
  readonly documents: readonly LoadedDocument[];
  /** Every object, in input order, Lists flattened. */
  readonly objects: readonly LoadedObject[];
  /** Syntax errors, refused input and malformed manifests. */
  readonly diagnostics: readonly Diagnostic[];
  /** Files that failed to parse entirely (so `inject` can refuse rather than drop them). */
  readonly failedFiles: readonly string[];
}

/**
 * Pure: already-read sources in, objects with positions out. One bad document does not stop the rest.
 * `counter` sees the per-key work of parsing and locating (tests check that it grows linearly).
 */
export function loadSources(
  sources: readonly SourceText[],
  limits: LoadLimits = DEFAULT_LOAD_LIMITS,
  counter: WorkCounter = NO_COUNTER,
): LoadResult {
  const documents: LoadedDocument[] = [];
  const objects: LoadedObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const failedFiles: string[] = [];
  for (const source of sources) {
    const parsed = parseSource(source, limits, counter);
    const failed = parsed.diagnostics.some((d) => d.severity === 'error');
    // An unrendered Helm template: one hint to render it, instead of YAML errors or placeholder values.
    const helm = helmTemplateDiagnostic(source.file, source.text, failed);
    if (helm !== undefined) {
      diagnostics.push(helm);
      failedFiles.push(source.file);
      continue;
    }
    diagnostics.push(...parsed.diagnostics);
    if (failed) failedFiles.push(source.file);
    for (const doc of parsed.documents) {
      const classified = classifyDocument(doc);
      documents.push({ parsed: doc, objects: classified.objects });
      objects.push(...classified.objects);
      diagnostics.push(...classified.diagnostics);
    }
  }
  return { documents, objects, diagnostics, failedFiles };
}
