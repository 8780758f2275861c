import type { Diagnostic, ObjectRef } from '../model/diagnostic.ts';
import { describeObject } from '../load/loaded-object.ts';
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
  readonly diagnostics: Diagnostic[];
}

function refKey(ref: ObjectRef): string {
  return `${ref.kind}\u0000${ref.namespace}\u0000${ref.name}`;
}

function line(d: Diagnostic): string {
  const at = d.line > 0 ? `${d.line}:${d.column}: ` : '';
  return `${at}${d.severity} ${d.code}: ${d.message}${d.hint === '' ? '' : `\n    hint: ${d.hint}`}`;
}

/**
 * JUnit XML for CI: one testsuite per file, one testcase per checked object (and one `(file)` case
 * for diagnostics not about an object). A testcase fails when it has an error; warnings and info are
 * in its system-out. Pure.
 */
export function renderDiagnosticsJunit(diagnostics: readonly Diagnostic[], objects: readonly CheckedObject[]): string {
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
  for (const d of sortDiagnostics(diagnostics)) {
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
      const errors = c.diagnostics.filter((d) => d.severity === 'error');
      const others = c.diagnostics.filter((d) => d.severity !== 'error');
      const parts: string[] = [];
      if (errors.length > 0) {
        suiteFailures += 1;
        const message = `${errors.length} error${errors.length === 1 ? '' : 's'}: ${[...new Set(errors.map((d) => d.code))].join(', ')}`;
        parts.push(`      <failure${xmlAttrs({ message, type: 'kubehooks.lint' })}>${xmlEscape(errors.map(line).join('\n'))}</failure>`);
      }
      if (others.length > 0) parts.push(`      <system-out>${xmlEscape(others.map(line).join('\n'))}</system-out>`);
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
