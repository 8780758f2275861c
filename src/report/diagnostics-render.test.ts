import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from '../model/diagnostic.ts';
import { renderDiagnosticsText, summaryLine } from './diagnostics-text.ts';
import { renderDiagnosticsJson } from './diagnostics-json.ts';

const base: Diagnostic = {
  code: 'x', severity: 'warning', message: 'm', hint: 'h', file: 'b.yaml', line: 3, column: 5,
  object: { kind: 'Pod', namespace: 'ns', name: 'p' }, key: 'k',
};

void test('text groups by file, sorts by position and ends with a summary', () => {
  const text = renderDiagnosticsText([
    { ...base, line: 9, code: 'late' },
    { ...base, file: 'a.yaml', severity: 'error', code: 'first', message: 'boom', hint: 'fix it' },
    { ...base, code: 'early', line: 1, column: 0 },
    { ...base, file: 'c.yaml', line: 0, column: 0, severity: 'info', code: 'whole-file', hint: '' },
  ]);
  assert.equal(text, [
    'a.yaml:3:5: error first: boom',
    '    hint: fix it',
    '',
    'b.yaml:1: warning early: m',
    '    hint: h',
    'b.yaml:9:5: warning late: m',
    '    hint: h',
    '',
    'c.yaml: info whole-file: m',
    '',
    '1 error, 2 warnings, 1 info',
    '',
  ].join('\n'));
});

void test('summary line', () => {
  const cases: [Diagnostic[], string][] = [
    [[], '0 errors, 0 warnings'],
    [[base, base], '0 errors, 2 warnings'],
    [[{ ...base, severity: 'error' }], '1 error, 0 warnings'],
  ];
  for (const [diags, want] of cases) assert.equal(summaryLine(diags), want);
});

void test('json has exactly the contract keys in order', () => {
  const extra = { ...base, extra: 'dropped' } as Diagnostic;
  const parsed = JSON.parse(renderDiagnosticsJson([extra])) as { diagnostics: Record<string, unknown>[] };
  // The contract only grows: diagnostics first, then counts, suppressed and skipped (issue 12).
  assert.deepEqual(Object.keys(parsed), ['diagnostics', 'counts', 'suppressed', 'skipped']);
  assert.deepEqual(Object.keys(parsed.diagnostics[0]!), ['code', 'severity', 'message', 'hint', 'file', 'line', 'column', 'object', 'key']);
  assert.deepEqual(parsed.diagnostics[0]!['object'], { kind: 'Pod', namespace: 'ns', name: 'p' });
});
