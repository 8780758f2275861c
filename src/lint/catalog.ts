import type { Severity } from '../model/diagnostic.ts';
import { LOAD_CODES } from '../load/codes.ts';
import { ISSUE_CODES } from '../velero/issue-codes.ts';
import { LINT_RULES } from './registry.ts';
import { SUPPRESSION_CODE_INFO, SUPPRESSION_CODES } from './suppress.ts';

/** One diagnostic code as CI formats describe it (SARIF `rules[]`). */
export interface CodeInfo {
  readonly code: string;
  readonly severity: Severity;
  /** One line: what goes wrong. */
  readonly summary: string;
  /** What to do about it. */
  readonly hint: string;
}

/** The loader's codes, described briefly here (their sections in docs/lint-rules.md say more). */
const LOAD_CODE_INFO: Readonly<Record<(typeof LOAD_CODES)[number], Omit<CodeInfo, 'code'>>> = {
  'yaml-syntax': { severity: 'error', summary: 'The file is not valid YAML; nothing in the broken document is checked.', hint: 'Fix the syntax at the position given.' },
  'yaml-duplicate-key': { severity: 'error', summary: 'A mapping has the same key twice; kubectl refuses it, other tools keep one of the values.', hint: 'Keep one of the keys.' },
  'json-syntax': { severity: 'error', summary: 'The .json file is not valid JSON.', hint: 'Fix the syntax at the position given.' },
  'yaml-aliases': { severity: 'error', summary: 'The document expands too many YAML aliases (an alias bomb); it is not read.', hint: 'Write the values out instead of using aliases.' },
  'input-too-deep': { severity: 'error', summary: 'The input nests deeper than any Kubernetes manifest; it is not parsed.', hint: 'Check that this is the file you meant.' },
  'input-too-large': { severity: 'error', summary: 'The input is larger than kubehooks reads.', hint: 'Split the manifests into smaller files.' },
  'input-encoding': { severity: 'error', summary: 'The input is not UTF-8 text.', hint: 'Save the file as UTF-8.' },
  'input-unreadable': { severity: 'error', summary: 'The path could not be read.', hint: 'Check the path and its permissions.' },
  'helm-template': { severity: 'warning', summary: 'The file is an unrendered Helm template; nothing in it is checked.', hint: 'Render the chart and lint the result: helm template RELEASE CHART | kubehooks lint -' },
  'no-manifests': { severity: 'warning', summary: 'No manifests were found in the input.', hint: 'Check the path; directories are read for *.yaml, *.yml and *.json.' },
  'manifest-invalid': { severity: 'error', summary: 'The manifest does not have the shape Kubernetes requires, so hooks cannot be read from it.', hint: 'Fix the field named in the message.' },
  'annotation-not-string': { severity: 'error', summary: 'An annotation value is not a string; the API server rejects the object.', hint: 'Quote the value.' },
  'label-not-string': { severity: 'error', summary: 'A label value is not a string; the API server rejects the object.', hint: 'Quote the value.' },
  'internal-error': { severity: 'error', summary: 'A lint rule crashed (a kubehooks bug); the other diagnostics are still reported.', hint: 'Report it with the input that triggers it.' },
};

/** Every code kubehooks lint can report, in docs order: loader, parsers, context rules, opt-outs. Pure. */
export function lintCodeCatalog(): readonly CodeInfo[] {
  return [
    ...LOAD_CODES.map((code): CodeInfo => ({ code, ...LOAD_CODE_INFO[code] })),
    ...Object.entries(ISSUE_CODES).map(([code, info]): CodeInfo => ({ code, severity: info.severity, summary: info.meaning, hint: info.hint })),
    ...LINT_RULES.map((r): CodeInfo => ({ code: r.code, severity: r.severity, summary: r.summary, hint: r.hint })),
    ...SUPPRESSION_CODES.map((code): CodeInfo => ({ code, ...SUPPRESSION_CODE_INFO[code] })),
  ];
}
