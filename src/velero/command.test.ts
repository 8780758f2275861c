import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { commandAnnotationIssues, parseCommandAnnotation, type CommandForm } from './command.ts';

const cases: readonly (readonly [string, readonly string[], CommandForm])[] = [
  ['', [], 'empty'],
  ['/usr/bin/foo', ['/usr/bin/foo'], 'plain'],
  ['/bin/sh -c "echo hi"', ['/bin/sh -c "echo hi"'], 'plain'],
  ['["a","b","c"]', ['a', 'b', 'c'], 'json'],
  ['[]', [], 'json'],
  ['["a", null]', ['a', ''], 'json'],
  ['[blarg', ['[blarg'], 'json-invalid'],
  ['[1]', ['[1]'], 'json-invalid'],
  ['[["a"]]', ['[["a"]]'], 'json-invalid'],
  ['["a",]', ['["a",]'], 'json-invalid'],
  [' ["a","b"]', [' ["a","b"]'], 'plain'],
  ['["a"] ', ['a'], 'json'],
  ['{"a":1}', ['{"a":1}'], 'plain'],
];

for (const [raw, argv, form] of cases) {
  void test(`parseCommandAnnotation(${JSON.stringify(raw)})`, () => {
    const parsed = parseCommandAnnotation(raw);
    assert.deepEqual(parsed.argv, argv);
    assert.equal(parsed.form, form);
  });
}

const issueCases: readonly (readonly [string, readonly string[]])[] = [
  ['/usr/bin/foo', []],
  ['["/bin/sh","-c","echo hi"]', []],
  ['/bin/sh -c "echo hi"', ['command-shell-line']],
  ['["/bin/sh -c echo"]', ['command-shell-line']],
  ['[]', ['command-empty']],
  ['[""]', ['command-empty']],
  ['[blarg', ['command-json-invalid']],
  [' ["a","b"]', ['command-json-invalid']],
  ['["a", null]', ['command-null-element']],
];

for (const [raw, codes] of issueCases) {
  void test(`commandAnnotationIssues(${JSON.stringify(raw)}) → [${codes.join(', ')}]`, () => {
    const issues = commandAnnotationIssues(raw, parseCommandAnnotation(raw), 'k');
    assert.deepEqual(
      issues.map((i) => i.code),
      codes,
    );
    for (const issue of issues) assert.equal(issue.key, 'k');
  });
}

void test('property: parseCommandAnnotation never throws and plain text stays one element', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      const parsed = parseCommandAnnotation(s);
      if (!s.startsWith('[') && s !== '') assert.deepEqual(parsed.argv, [s]);
      commandAnnotationIssues(s, parsed, 'k');
    }),
    { numRuns: 2000 },
  );
});

void test('property: any JSON array of strings round-trips', () => {
  fc.assert(
    fc.property(fc.array(fc.string()), (argv) => {
      assert.deepEqual(parseCommandAnnotation(JSON.stringify(argv)).argv, argv);
    }),
  );
});
