import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileGlob, globSetMatch, includesExcludes } from './glob.ts';
import { matchNamespace } from './namespaces.ts';
import { matchBackupResources, resolveResourceName, resourceIncluded } from './resources.ts';
import { formatLabelSelector, labelSelectorError, matchLabelSelector, type LabelSelector } from './label-selector.ts';

const globCases: readonly (readonly [string, string, boolean])[] = [
  ['*', '', true],
  ['*', 'anything/with/slashes', true],
  ['app-*', 'app-1', true],
  ['app-*', 'app', false],
  ['kube-*', 'kube-system', true],
  ['?', 'a', true],
  ['?', 'ab', false],
  ['a?c', 'abc', true],
  ['[abc]x', 'bx', true],
  ['[abc]x', 'dx', false],
  ['[!abc]x', 'dx', true],
  ['[!abc]x', 'ax', false],
  ['ns-[0-9]', 'ns-7', true],
  ['ns-[0-9]', 'ns-x', false],
  ['ns-[!0-9]', 'ns-x', true],
  ['{prod,staging}-*', 'staging-eu', true],
  ['{prod,staging}-*', 'dev-eu', false],
  ['a.b', 'a.b', true],
  ['a.b', 'axb', false],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'axb', false],
  ['a-b', 'a-b', true],
  ['(x)|y', '(x)|y', true],
  ['**', 'abc', true],
  ['[]', 'a', false],
  ['[!]', 'a', true],
];

for (const [pattern, text, expected] of globCases) {
  void test(`glob ${JSON.stringify(pattern)} ~ ${JSON.stringify(text)} = ${expected}`, () => {
    const g = compileGlob(pattern);
    assert.ok(g.ok);
    assert.equal(g.test(text), expected);
  });
}

for (const bad of ['[a', 'a\\', '{a,b', '[a-z0-9]', '[a-']) {
  void test(`glob ${JSON.stringify(bad)} does not compile`, () => {
    assert.equal(compileGlob(bad).ok, false);
  });
}

void test('globSetMatch: sorted order, an invalid pattern stops the scan (Velero)', () => {
  assert.equal(globSetMatch(['b*', 'a*'], 'bx'), 'b*');
  assert.equal(globSetMatch(['[bad', 'z*'], 'zed'), undefined); // "[bad" sorts first
  assert.equal(globSetMatch(['a*', '[bad'], 'ab'), undefined); // "[" (0x5b) sorts before "a"
  assert.equal(globSetMatch(['a*', '{bad'], 'ab'), 'a*'); // "{" sorts after "a"
});

void test('includesExcludes (§3.4)', () => {
  assert.equal(includesExcludes([], [], 'x').included, true);
  assert.equal(includesExcludes(['*'], [], 'x').included, true);
  assert.equal(includesExcludes(['a', '*'], ['x'], 'x').included, false);
  assert.equal(includesExcludes([], ['*'], 'x').included, false);
  assert.equal(includesExcludes(['a', 'b'], ['c', 'd'], 'b').included, true);
  assert.equal(includesExcludes(['a', 'b'], ['c', 'd'], 'c').included, false);
});

void test('matchNamespace reasons', () => {
  const s = 'spec.hooks.resources[0] "freeze"';
  assert.deepEqual(matchNamespace('kube-system', [], ['kube-*'], s), {
    ok: false,
    reason: 'namespace "kube-system" is excluded by spec.hooks.resources[0] "freeze" (excludedNamespaces: kube-*)',
  });
  assert.deepEqual(matchNamespace('c', ['a', 'b'], [], s), {
    ok: false,
    reason: 'namespace "c" is not included by spec.hooks.resources[0] "freeze" (includedNamespaces: a, b)',
  });
  assert.deepEqual(matchNamespace('app-1', ['app-*'], [], s), { ok: true });
  const broken = matchNamespace('a', ['[x', 'a'], [], s);
  if (broken.ok) assert.fail('expected no match');
  assert.match(broken.reason, /invalid pattern "\[x"/);
});

void test('resources: pod aliases resolve, group-qualified and other kinds never match pods', () => {
  for (const alias of ['pod', 'pods', 'po', 'Pods', 'POD', 'Po']) assert.equal(resolveResourceName(alias), 'pods');
  assert.equal(resolveResourceName('deployments.apps'), 'deployments.apps');
  const cases: readonly (readonly [readonly string[], readonly string[], boolean])[] = [
    [[], [], true],
    [['*'], [], true],
    [['pods'], [], true],
    [['Pod'], [], true],
    [['deployments'], [], false],
    [['deployments.apps'], [], false],
    [['pods.apps'], [], false],
    [[], ['pods'], false],
    [[], ['po'], false],
    [[], ['*'], true], // `*` is dropped from resource excludes
    [['p*'], [], true], // unresolved items are kept verbatim and matched as globs
  ];
  for (const [inc, exc, expected] of cases) {
    assert.equal(resourceIncluded('pods', inc, exc), expected, `${inc.join(',')} / ${exc.join(',')}`);
  }
  assert.equal(resourceIncluded('foo.a', ['foo.a', 'bar.b'], []), true);
  assert.equal(resourceIncluded('baz.c', ['foo.a', 'bar.b'], []), false);
  assert.equal(resourceIncluded('bar.b', [], ['foo.a', 'bar.b']), false);
  const v = matchBackupResources(['deployments'], [], 'spec.hooks.resources[0] "x"');
  assert.deepEqual(v, {
    ok: false,
    reason: 'spec.hooks.resources[0] "x" does not apply to pods (includedResources: deployments); hooks only run on pods',
  });
});

const selectorErrors: readonly (readonly [LabelSelector, string | undefined])[] = [
  [{}, undefined],
  [{ matchLabels: { app: 'db' } }, undefined],
  [{ matchExpressions: [{ key: 'a', operator: 'nonexistent-operator', values: ['x'] }] }, '"nonexistent-operator" is not a valid label selector operator'],
  [{ matchExpressions: [{ key: 'a', operator: 'in', values: ['x'] }] }, '"in" is not a valid label selector operator'],
  [{ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"],
  [{ matchExpressions: [{ key: 'a', operator: 'NotIn' }] }, "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"],
  [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, 'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist'],
  [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, undefined],
  [{ matchExpressions: [{ key: 'example.com/a', operator: 'Exists' }] }, undefined],
];

for (const [selector, error] of selectorErrors) {
  void test(`labelSelectorError(${JSON.stringify(selector)})`, () => {
    assert.equal(labelSelectorError(selector), error);
  });
}

void test('labelSelectorError: bad keys and values', () => {
  assert.match(labelSelectorError({ matchLabels: { 'a b': 'x' } }) ?? '', /^key: Invalid value: "a b": name part must consist/);
  assert.match(labelSelectorError({ matchLabels: { 'Bad_Prefix/a': 'x' } }) ?? '', /prefix part/);
  assert.match(labelSelectorError({ matchLabels: { a: 'not ok' } }) ?? '', /^values\[0\]: Invalid value: "not ok"/);
  assert.match(labelSelectorError({ matchLabels: { a: 'x'.repeat(64) } }) ?? '', /no more than 63/);
  assert.equal(labelSelectorError({ matchLabels: { a: '' } }), undefined);
});

void test('matchLabelSelector', () => {
  const s = 'spec.hooks.resources[0] "freeze"';
  assert.deepEqual(matchLabelSelector(undefined, { a: 'b' }, s), { ok: true });
  assert.deepEqual(matchLabelSelector({}, undefined, s), { ok: true });
  assert.deepEqual(matchLabelSelector({ matchLabels: { a: 'b' } }, { a: 'b' }, s), { ok: true });
  assert.deepEqual(matchLabelSelector({ matchLabels: { app: 'db' } }, { app: 'web' }, s), {
    ok: false,
    reason: 'labels do not match spec.hooks.resources[0] "freeze" (app=db required, pod has app=web)',
  });
  const expr = (operator: string, values?: string[]): LabelSelector => ({ matchExpressions: [{ key: 'k', operator, values }] });
  assert.equal(matchLabelSelector(expr('In', ['x', 'y']), { k: 'y' }, s).ok, true);
  assert.equal(matchLabelSelector(expr('In', ['x']), {}, s).ok, false);
  assert.equal(matchLabelSelector(expr('NotIn', ['x']), {}, s).ok, true);
  assert.equal(matchLabelSelector(expr('NotIn', ['x']), { k: 'x' }, s).ok, false);
  assert.equal(matchLabelSelector(expr('Exists'), { k: '' }, s).ok, true);
  assert.equal(matchLabelSelector(expr('DoesNotExist'), { k: '' }, s).ok, false);
  assert.deepEqual(matchLabelSelector(expr('In', ['x', 'y']), {}, s), {
    ok: false,
    reason: 'labels do not match spec.hooks.resources[0] "freeze" (k in (x,y) required, pod has no label k)',
  });
  assert.equal(formatLabelSelector({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['d'] }] }), 'a=b,c notin (d)');
});

void test('property: compileGlob never throws and literal patterns match themselves', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      compileGlob(s);
      const literal = s.replace(/[\\*?[{},]/g, '');
      const g = compileGlob(literal);
      assert.ok(g.ok);
      assert.equal(g.test(literal), true);
    }),
    { numRuns: 1000 },
  );
});

void test('property: label selector validation and matching never throw on random strings', () => {
  const requirement = fc.record({
    key: fc.string(),
    operator: fc.oneof(fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist'), fc.string()),
    values: fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(
      fc.dictionary(fc.string(), fc.string()),
      fc.array(requirement, { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.string()),
      (matchLabels, matchExpressions, labels) => {
        const selector: LabelSelector = { matchLabels, matchExpressions };
        const error = labelSelectorError(selector);
        const verdict = matchLabelSelector(selector, labels, 's');
        if (error === undefined && verdict.ok) {
          for (const [k, value] of Object.entries(matchLabels)) assert.equal(labels[k], value);
        }
        formatLabelSelector(selector);
      },
    ),
    { numRuns: 1000 },
  );
});

/**
 * The regex translation kubehooks used before the NFA, kept only as an independent oracle for small
 * patterns (where V8's RegExp is fine).
 */
function regexOracle(pattern: string): RegExp | undefined {
  const chars = Array.from(pattern);
  const esc = (ch: string): string => (/[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch);
  const escClass = (ch: string): string => (/[\\\][^-]/.test(ch) ? `\\${ch}` : ch);
  const seq = (start: number, depth: number): { src: string; end: number; stop?: string } => {
    let out = '';
    let i = start;
    while (i < chars.length) {
      const ch = chars[i] as string;
      if (depth > 0 && (ch === ',' || ch === '}')) return { src: out, end: i, stop: ch };
      i++;
      if (ch === '\\') {
        if (chars[i] === undefined) throw new Error('escape');
        out += esc(chars[i++] as string);
      } else if (ch === '*') {
        while (chars[i] === '*') i++;
        out += '[\\s\\S]*';
      } else if (ch === '?') out += '[\\s\\S]';
      else if (ch === '[') {
        let neg = false;
        if (chars[i] === '!') { neg = true; i++; }
        const first = chars[i];
        if (first === undefined) throw new Error('class');
        let inner = '';
        if (first !== ']' && chars[i + 1] === '-') {
          const hi = chars[i + 2];
          if (hi === undefined || chars[i + 3] !== ']') throw new Error('range');
          inner = (first.codePointAt(0) ?? 0) <= (hi.codePointAt(0) ?? 0) ? `${escClass(first)}-${escClass(hi)}` : '';
          i += 4;
        } else {
          while (chars[i] !== ']') {
            let c = chars[i];
            if (c === '\\') c = chars[++i];
            if (c === undefined) throw new Error('class');
            inner += escClass(c);
            i++;
          }
          i++;
        }
        out += inner === '' ? (neg ? '[\\s\\S]' : '(?!)') : neg ? `[^${inner}]` : `[${inner}]`;
      } else if (ch === '{') {
        const alts: string[] = [];
        for (;;) {
          const r = seq(i, depth + 1);
          alts.push(r.src);
          if (r.stop === undefined) throw new Error('alt');
          i = r.end + 1;
          if (r.stop === '}') break;
        }
        out += `(?:${alts.join('|')})`;
      } else out += esc(ch);
    }
    return { src: out, end: i };
  };
  try {
    return new RegExp(`^(?:${seq(0, 0).src})$`, 'u');
  } catch {
    return undefined;
  }
}

void test('property: the glob matcher agrees with a regex translation on small patterns', () => {
  const alphabet = fc.constantFrom('a', 'b', '-', '*', '?', '[', ']', '!', '{', '}', ',', '\\', 'é');
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 10 }), fc.array(fc.constantFrom('a', 'b', '-', ']', '!', ',', 'é', '*'), { maxLength: 8 }), (p, t) => {
      const pattern = p.join('');
      const text = t.join('');
      const oracle = regexOracle(pattern);
      const g = compileGlob(pattern);
      assert.equal(g.ok, oracle !== undefined, pattern);
      if (g.ok && oracle !== undefined) assert.equal(g.test(text), oracle.test(text), `${pattern} ~ ${text}`);
    }),
    { numRuns: 5000 },
  );
});

void test('hostile globs: a 70 000-character pattern, backtracking bait, 100 000 alternatives and deep nesting neither throw nor hang', () => {
  const long = `${'x'.repeat(70_000)}*`;
  const g1 = compileGlob(long);
  assert.ok(g1.ok);
  assert.equal(g1.test(`${'x'.repeat(70_000)}tail`), true);
  assert.equal(g1.test('x'.repeat(69_999)), false);
  assert.equal(globSetMatch([long, 'kube-*'], 'kube-system'), 'kube-*');

  const bait = compileGlob(`${'*a'.repeat(30)}*b`);
  assert.ok(bait.ok);
  assert.equal(bait.test('a'.repeat(20_000)), false);
  assert.equal(bait.test(`${'a'.repeat(20_000)}b`), true);

  const alternatives = compileGlob(`{${Array.from({ length: 100_000 }, (_, i) => `ns${i}`).join(',')}}`);
  assert.ok(alternatives.ok);
  assert.equal(alternatives.test('ns99999'), true);
  assert.equal(alternatives.test('ns100000'), false);

  const deep = compileGlob(`${'{'.repeat(100_000)}a`);
  assert.deepEqual(deep, { ok: false, error: '{...} nested deeper than 200' });
});
