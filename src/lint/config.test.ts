import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLintConfig } from './config.ts';

const known = new Set(['annotation-overrides-spec', 'init-name-generated', 'container-not-found']);
const FILE = '/repo/.kubehooks.yaml';

interface Case {
  readonly name: string;
  readonly text: string;
  /** code=reason pairs, or the error texts expected (regexps) */
  readonly codes?: Readonly<Record<string, string>>;
  readonly errors?: readonly RegExp[];
}

const cases: readonly Case[] = [
  { name: 'empty file', text: '', codes: {} },
  { name: 'codes as strings', text: 'lint:\n  disable: [annotation-overrides-spec, init-name-generated]\n', codes: { 'annotation-overrides-spec': `disabled in ${FILE}`, 'init-name-generated': `disabled in ${FILE}` } },
  { name: 'code with a reason', text: 'lint:\n  disable:\n    - code: container-not-found\n      reason: " injected by the mesh "\n', codes: { 'container-not-found': 'injected by the mesh' } },
  { name: 'unknown code, with a suggestion', text: 'lint:\n  disable: [container-missing]\n', errors: [/lint\.disable\[0\]: unknown code "container-missing"; did you mean container-not-found\?/] },
  { name: 'unknown keys name the valid ones', text: 'lnt: {}\nlint:\n  disabled: []\n', errors: [/lnt: unknown key; valid: lint/, /lint\.disabled: unknown key; valid: disable/] },
  { name: 'disable not a list', text: 'lint:\n  disable: container-not-found\n', errors: [/lint\.disable: expected a list of codes/] },
  { name: 'item without a code', text: 'lint:\n  disable:\n    - reason: x\n', errors: [/lint\.disable\[0\]: expected a code or \{code, reason\}/] },
  { name: 'not YAML', text: 'lint: [\n', errors: [/not valid YAML/] },
  { name: 'not a mapping', text: '- a\n', errors: [/expected a mapping with the key lint/] },
  { name: 'every problem at once', text: 'lint:\n  disable: [nope, container-not-found, {code: x, why: y}]\n', errors: [/\[0\]: unknown code "nope"/, /\[2\]: why: unknown key/, /\[2\]: unknown code "x"/] },
];

for (const c of cases) {
  void test(`.kubehooks.yaml: ${c.name}`, () => {
    const r = parseLintConfig(c.text, FILE, known);
    if (c.codes !== undefined) {
      assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
      assert.deepEqual(Object.fromEntries(r.config.codes), c.codes);
      assert.equal(r.config.file, FILE);
    } else {
      assert.ok(!r.ok, 'expected errors');
      assert.equal(r.errors.length, c.errors?.length);
      for (const [i, re] of (c.errors ?? []).entries()) assert.match(r.errors[i] ?? '', re);
      for (const e of r.errors) assert.ok(e.startsWith(FILE), `names the file: ${e}`);
    }
  });
}
