import { createHash } from 'node:crypto';
import type { Diagnostic, Severity } from '../model/diagnostic.ts';
import type { CodeInfo } from '../lint/catalog.ts';
import type { SuppressedDiagnostic } from '../lint/suppress.ts';
import { sortDiagnostics } from './diagnostics-text.ts';

/** The docs page every rule links to (relative to the repository root, as the SARIF help says). */
export const LINT_RULES_DOC = 'docs/lint-rules.md';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** Key of the one partial fingerprint: bump the version only if the inputs of the hash change. */
export const SARIF_FINGERPRINT_KEY = 'kubehooks/v1';

export interface SarifOptions {
  readonly toolVersion: string;
  /** Every code that can appear, in a stable order (lintCodeCatalog()); results point into it by index. */
  readonly catalog: readonly CodeInfo[];
  /**
   * Diagnostics an opt-out suppressed: written as results with `suppressions` (an annotation is
   * `inSource`, `.kubehooks.yaml` `external`), so code scanning shows them as dismissed, not open.
   */
  readonly suppressed?: readonly SuppressedDiagnostic[];
}

type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Readonly<Record<Severity, SarifLevel>> = { error: 'error', warning: 'warning', info: 'note' };

/** `ns/web` → a relative URI reference; each segment percent-encoded (spaces, `#`, `?`, `<stdin>`). */
export function fileToUri(file: string): string {
  const trimmed = file.replace(/^(\.\/)+/, '');
  return trimmed.split('/').map((s) => encodeURIComponent(s)).join('/');
}

/**
 * Stable across edits that move lines: the rule, the object (kind, namespace, name) and the key.
 * NUL-separated so that no two different triples hash the same text.
 */
export function sarifFingerprint(d: Diagnostic): string {
  const text = [d.code, d.object.kind, d.object.namespace, d.object.name, d.key].join('\u0000');
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

function firstSentence(text: string): string {
  const m = /^(.*?[.!?])(\s|$)/.exec(text);
  return m?.[1] ?? text;
}

function objectName(d: Diagnostic): string {
  const { kind, namespace, name } = d.object;
  return [kind, namespace, name].filter((p) => p !== '').join('/');
}

function ruleOf(info: CodeInfo): Record<string, unknown> {
  const anchor = `${LINT_RULES_DOC}#${info.code}`;
  return {
    id: info.code,
    shortDescription: { text: firstSentence(info.summary) },
    fullDescription: { text: info.summary },
    help: {
      text: `${info.hint} See ${anchor}.`,
      markdown: `${info.hint}\n\nSee [${anchor}](${anchor}).`,
    },
    defaultConfiguration: { level: LEVEL[info.severity] },
    properties: { tags: ['kubernetes', 'velero', 'hooks'], precision: 'very-high' },
  };
}

function resultOf(d: Diagnostic, ruleIndex: number): Record<string, unknown> {
  const logical = objectName(d);
  const location: Record<string, unknown> = {};
  if (d.file !== '') {
    location['physicalLocation'] = {
      artifactLocation: { uri: fileToUri(d.file) },
      ...(d.line > 0 ? { region: { startLine: d.line, ...(d.column > 0 ? { startColumn: d.column } : {}) } } : {}),
    };
  }
  if (logical !== '') location['logicalLocations'] = [{ fullyQualifiedName: logical, kind: 'object' }];
  return {
    ruleId: d.code,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    level: LEVEL[d.severity],
    message: { text: d.hint === '' ? d.message : `${d.message} (${d.hint})` },
    ...(Object.keys(location).length > 0 ? { locations: [location] } : {}),
    partialFingerprints: { [SARIF_FINGERPRINT_KEY]: sarifFingerprint(d) },
    properties: {
      key: d.key,
      object: { kind: d.object.kind, namespace: d.object.namespace, name: d.object.name },
    },
  };
}

/**
 * SARIF 2.1.0 as GitHub code scanning reads it: one run, every code as a rule (ruleId = our code),
 * results in the text renderer's order. Pure.
 */
export function diagnosticsToSarif(diagnostics: readonly Diagnostic[], options: SarifOptions): Record<string, unknown> {
  const index = new Map(options.catalog.map((c, i) => [c.code, i]));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'kubehooks',
            version: options.toolVersion,
            rules: options.catalog.map(ruleOf),
          },
        },
        columnKind: 'utf16CodeUnits',
        results: sortDiagnostics<Diagnostic | SuppressedDiagnostic>([...diagnostics, ...(options.suppressed ?? [])]).map((d) => {
          const result = resultOf(d, index.get(d.code) ?? -1);
          if (!('suppression' in d)) return result;
          const { kind, reason, source } = d.suppression;
          return {
            ...result,
            suppressions: [{ kind: kind === 'annotation' ? 'inSource' : 'external', status: 'accepted', justification: reason, properties: { source } }],
          };
        }),
      },
    ],
  };
}

export function renderDiagnosticsSarif(diagnostics: readonly Diagnostic[], options: SarifOptions): string {
  return JSON.stringify(diagnosticsToSarif(diagnostics, options), null, 2) + '\n';
}
