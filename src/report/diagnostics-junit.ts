import type { Diagnostic, ObjectRef } from '../model/diagnostic.ts';
import { describeObject } from '../load/loaded-object.ts';
import type { SuppressedDiagnostic } from '../lint/suppress.ts';
import { sortDiagnostics } from './diagnostics-text.ts';
import { xmlAttrs, xmlEscape } from './xml.ts';

/** An object that was checked, whether or not it has diagnostics (each is one testcase). */
export interface CheckedObject {
  readonly file: string;
  readonly ref: ObjectRef;
}

/** The testcase for diagnostics about a file or document rather than an object. */
export const FILE_TESTCASE = '(file)';

interface Case {
  readonly name: string;
  readonly diagnostics: (Diagnostic | SuppressedDiagnostic)[];
}

function refKey(ref: ObjectRef): string {
  return `${ref.kind}\u0000${ref.namespace}\u0000${ref.name}`;
}

function line(d: Diagnostic): string {
  const at = d.line > 0 ? `${d.line}:${d.column}: ` : '';
  return `${at}${d.severity} ${d.code}: ${d.message}${d.hint === '' ? '' : `\n    hint: ${d.hint}`}`;
}

export interface JunitOptions {
  /** The least severity that fails a testcase (`lint --fail-on`); default error. */
  readonly failOn?: 'error' | 'warning';
  /** Suppressed diagnostics: listed in their testcase's system-out with the reason, never failing it. */
  readonly suppressed?: readonly SuppressedDiagnostic[];
}

function suppressedLine(d: SuppressedDiagnostic): string {
  return `suppressed (${d.suppression.kind === 'annotation' ? d.suppression.source : `by ${d.suppression.source}`}: ${d.suppression.reason}): ${line(d)}`;
}

/**
 * JUnit XML for CI: one testsuite per file, one testcase per checked object (and one `(file)` case
 * for diagnostics not about an object). A testcase fails when it has an error (or a warning, with failOn warning); the rest, and
 * suppressed diagnostics with their reason, are in its system-out. Pure.
 */
export function renderDiagnosticsJunit(diagnostics: readonly Diagnostic[], objects: readonly CheckedObject[], options: JunitOptions = {}): string {
  const failing = (d: Diagnostic): boolean => d.severity === 'error' || (options.failOn === 'warning' && d.severity === 'warning');
  const files = new Map<string, Map<string, Case>>();
  const fileCases = (file: string): Map<string, Case> => {
    let cases = files.get(file);
    if (cases === undefined) {
      cases = new Map();
      files.set(file, cases);
    }
    return cases;
  };
  const caseFor = (file: string, ref: ObjectRef | undefined): Case => {
    const cases = fileCases(file);
    const key = ref === undefined ? '' : refKey(ref);
    let c = cases.get(key);
    if (c === undefined) {
      c = { name: ref === undefined ? FILE_TESTCASE : describeObject(ref), diagnostics: [] };
      cases.set(key, c);
    }
    return c;
  };
  for (const o of objects) caseFor(o.file, o.ref);
  for (const d of sortDiagnostics<Diagnostic | SuppressedDiagnostic>([...diagnostics, ...(options.suppressed ?? [])])) {
    const isObject = d.object.kind !== '' || d.object.name !== '';
    caseFor(d.file === '' ? 'kubehooks' : d.file, isObject ? d.object : undefined).diagnostics.push(d);
  }

  let tests = 0;
  let failures = 0;
  const suites: string[] = [];
  for (const [file, cases] of [...files].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const body: string[] = [];
    let suiteFailures = 0;
    for (const c of cases.values()) {
      const isSuppressed = (d: Diagnostic | SuppressedDiagnostic): d is SuppressedDiagnostic => 'suppression' in d;
      const errors = c.diagnostics.filter((d) => !isSuppressed(d) && failing(d));
      const others = c.diagnostics.filter((d) => !isSuppressed(d) && !failing(d));
      const suppressed = c.diagnostics.filter(isSuppressed);
      const parts: string[] = [];
      if (errors.length > 0) {
        suiteFailures += 1;
        const word = options.failOn === 'warning' ? 'problem' : 'error';
        const message = `${errors.length} ${word}${errors.length === 1 ? '' : 's'}: ${[...new Set(errors.map((d) => d.code))].join(', ')}`;
        parts.push(`      <failure${xmlAttrs({ message, type: 'kubehooks.lint' })}>${xmlEscape(errors.map(line).join('\n'))}</failure>`);
      }
      const out = [...others.map(line), ...suppressed.map(suppressedLine)];
      if (out.length > 0) parts.push(`      <system-out>${xmlEscape(out.join('\n'))}</system-out>`);
      const open = `    <testcase${xmlAttrs({ classname: file, name: c.name })}`;
      body.push(parts.length === 0 ? `${open}/>` : `${open}>\n${parts.join('\n')}\n    </testcase>`);
    }
    tests += cases.size;
    failures += suiteFailures;
    suites.push(
      `  <testsuite${xmlAttrs({ name: file, tests: cases.size, failures: suiteFailures, errors: 0, skipped: 0 })}>\n${body.join('\n')}\n  </testsuite>`,
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${xmlAttrs({ name: 'kubehooks lint', tests, failures, errors: 0 })}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
