import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOAD_CODES } from '../load/codes.ts';
import { ISSUE_CODES } from '../velero/issue-codes.ts';
import { LINT_RULES } from './registry.ts';
import { SUPPRESSION_CODE_INFO, SUPPRESSION_CODES } from './suppress.ts';

const repo = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(repo, 'docs', 'lint-rules.md'), 'utf8');

void test('docs/lint-rules.md documents every code with its severity', () => {
  const all: [string, string][] = [
    ...Object.entries(ISSUE_CODES).map(([code, info]): [string, string] => [code, info.severity]),
    ...LINT_RULES.map((r): [string, string] => [r.code, r.severity]),
  ];
  for (const [code, severity] of all) {
    const at = doc.indexOf(`### \`${code}\`\n`);
    assert.ok(at >= 0, `docs/lint-rules.md has no section for ${code}`);
    assert.ok(doc.slice(at).split('\n')[2] === `Severity: **${severity}**.`, `${code} severity in docs is not ${severity}`);
  }
  for (const code of LOAD_CODES) assert.ok(doc.includes(`### \`${code}\`\n`), `docs/lint-rules.md has no section for ${code}`);
  for (const code of SUPPRESSION_CODES) {
    const at = doc.indexOf(`### \`${code}\`\n`);
    assert.ok(at >= 0, `docs/lint-rules.md has no section for ${code}`);
    assert.ok(doc.slice(at).split('\n')[2] === `Severity: **${SUPPRESSION_CODE_INFO[code].severity}**.`, `${code} severity in docs`);
  }
});

void test('one file per rule, every rule registered once, codes unique across parsers, rules and loader', () => {
  const files = readdirSync(join(import.meta.dirname, 'rules')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  assert.equal(files.length, LINT_RULES.length);
  for (const r of LINT_RULES) assert.ok(files.includes(`${r.code}.ts`), `rule ${r.code} lives in rules/${r.code}.ts`);
  const codes = [...Object.keys(ISSUE_CODES), ...LINT_RULES.map((r) => r.code), ...LOAD_CODES, ...SUPPRESSION_CODES];
  assert.equal(new Set(codes).size, codes.length);
});
