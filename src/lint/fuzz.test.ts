import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.ts';
import { lintSources } from './engine.ts';
import { HOOK_ANNOTATION_PREFIXES } from '../velero/annotation-settings.ts';

function assertWellFormed(diagnostics: readonly Diagnostic[], file: string, text: string): void {
  const lines = text.split('\n').length;
  for (const d of diagnostics) {
    assert.match(d.code, /^[a-z]+(-[a-z]+)*$/, `code ${d.code}`);
    assert.ok(['error', 'warning', 'info'].includes(d.severity));
    assert.ok(d.message.length > 0 && d.hint.length > 0, `${d.code}: message and hint`);
    assert.notEqual(d.code, 'internal-error', d.message);
    assert.equal(d.file, file);
    assert.ok(Number.isInteger(d.line) && d.line >= 0 && d.line <= lines + 1, `${d.code} line ${d.line} of ${lines}`);
    assert.ok(Number.isInteger(d.column) && d.column >= 0);
    assert.equal(typeof d.object.kind, 'string');
    assert.equal(typeof d.object.namespace, 'string');
    assert.equal(typeof d.object.name, 'string');
    assert.equal(typeof d.key, 'string');
  }
  // The JSON renderer must accept whatever lint produces.
  JSON.stringify(diagnostics);
}

const yamlTokens = fc.constantFrom(
  '- ', ': ', '[', ']', '{', '}', ',', '&a ', '*a', '<<: *a', '\n', '  ', '    ', '---\n', '"', "'", '# c', '|', '>', '!!str ', '?',
  'apiVersion: v1', 'kind: Pod', 'kind: List', 'items:', 'kind: Deployment', 'apiVersion: velero.io/v1', 'kind: Restore', 'kind: Backup',
  'metadata:', 'annotations:', 'spec:', 'containers:', 'template:', 'hooks:', 'resources:', 'postHooks:', 'pre:', 'exec:', 'init:',
  'name: a', 'command: ', '["/bin/sh","-c","x"]', '30s', '-1s', 'Fail', 'fail', 'true', 'yes', '0', 'null', '~',
  ...HOOK_ANNOTATION_PREFIXES.flatMap((p) => [`${p}command: `, `${p}container: `, `${p}timeout: `]),
);

void test('property: arbitrary YAML-like text never throws and gives well-formed diagnostics', () => {
  fc.assert(
    fc.property(fc.array(yamlTokens, { maxLength: 80 }), (tokens) => {
      const text = tokens.join('');
      const r = lintSources([{ file: 'f.yaml', text }]);
      assertWellFormed(r.diagnostics, 'f.yaml', text);
    }),
    { numRuns: 400 },
  );
});

void test('property: arbitrary unicode text as YAML and as JSON', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.boolean(), (text, json) => {
      const file = json ? 'f.json' : 'f.yml';
      const r = lintSources([{ file, text }]);
      assertWellFormed(r.diagnostics, file, text);
    }),
    { numRuns: 300 },
  );
});

const hookKey = fc.tuple(fc.constantFrom(...HOOK_ANNOTATION_PREFIXES), fc.constantFrom(
  'command', 'container', 'on-error', 'timeout', 'exec-timeout', 'wait-timeout', 'wait-for-ready', 'container-image', 'container-name', 'comand',
)).map(([p, s]) => p + s);
const value = fc.oneof(fc.constantFrom('["/bin/true"]', '[', '[]', '/bin/sh -c x', 'Fail', 'fail', '30s', '-5m', '30', 'true', 'yes', 'app', ''), fc.string({ maxLength: 20 }));
const containers = fc.array(fc.record({ name: fc.constantFrom('app', 'side', 'db', ''), image: fc.constant('busybox') }), { maxLength: 3 });

const podLike = fc.record({
  apiVersion: fc.constantFrom('v1', 'apps/v1', 'batch/v1'),
  kind: fc.constantFrom('Pod', 'Deployment', 'StatefulSet', 'CronJob', 'Job'),
  metadata: fc.record({ name: fc.constantFrom('a', 'b'), namespace: fc.constantFrom('ns', 'db'), annotations: fc.dictionary(hookKey, value, { maxKeys: 6 }) }),
  spec: fc.oneof(
    fc.record({ containers, initContainers: containers }),
    fc.record({ template: fc.record({ metadata: fc.record({ annotations: fc.dictionary(hookKey, value, { maxKeys: 6 }), labels: fc.constant({ app: 'x' }) }), spec: fc.record({ containers }) }) }),
    fc.anything({ maxDepth: 3 }),
  ),
});

const hookObject = fc.record({
  apiVersion: fc.constant('velero.io/v1'),
  kind: fc.constantFrom('Backup', 'Restore', 'Schedule'),
  metadata: fc.record({ name: fc.constant('h'), namespace: fc.constant('velero') }),
  spec: fc.oneof(
    fc.record({
      namespaceMapping: fc.dictionary(fc.constantFrom('ns', 'db'), fc.constantFrom('ns', 'other')),
      hooks: fc.record({
        resources: fc.array(fc.record({
          name: fc.constantFrom('h1', ''),
          includedNamespaces: fc.array(fc.constantFrom('ns', 'db', '*', '[')),
          labelSelector: fc.oneof(fc.constant({}), fc.constant({ matchLabels: { app: 'x' } }), fc.anything({ maxDepth: 2 })),
          pre: fc.array(fc.record({ exec: fc.record({ container: fc.constantFrom('app', 'nope'), command: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), timeout: fc.constantFrom('1m', 'x', '-1s') }) })),
          postHooks: fc.array(fc.oneof(
            fc.record({ exec: fc.record({ container: fc.constantFrom('app', 'nope'), command: fc.constant(['/bin/true']), waitForReady: fc.boolean(), waitTimeout: fc.constantFrom('10s', '1h'), execTimeout: fc.constantFrom('1m', '5s') }) }),
            fc.record({ init: fc.record({ initContainers: fc.array(fc.record({ name: fc.constantFrom('app', 'init'), image: fc.constant('busybox'), command: fc.constant(['x']) })) }) }),
            fc.anything({ maxDepth: 2 }),
          )),
        })),
      }),
      template: fc.anything({ maxDepth: 3 }),
    }),
    fc.anything({ maxDepth: 3 }),
  ),
});

void test('[S-24] property: random pods, workloads, Backups and Restores through load + lint', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(podLike, hookObject, fc.anything({ maxDepth: 3 })), { maxLength: 5 }), fc.boolean(), (objects, asJson) => {
      const file = asJson ? 'objs.json' : 'objs.yaml';
      const text = asJson ? JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) : objects.map((o) => stringify(o)).join('---\n');
      const r = lintSources([{ file, text }]);
      assertWellFormed(r.diagnostics, file, text);
    }),
    { numRuns: 300 },
  );
});

// A hang guard, not a performance assertion: the limits (alias count, depth) are what is tested.
void test('hostile: billion laughs and deep nesting end with a diagnostic', { timeout: 60_000 }, () => {
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  const inputs: [string, string, string][] = [
    ['laughs.yaml', laughs.join('\n'), 'yaml-aliases'],
    ['flow.yaml', '{"a":'.repeat(100_000), 'input-too-deep'],
    ['block.yaml', Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'), 'input-too-deep'],
    ['deep.json', '['.repeat(100_000) + ']'.repeat(100_000), 'input-too-deep'],
  ];
  for (const [file, text, code] of inputs) {
    const r = lintSources([{ file, text }]);
    assert.ok(r.diagnostics.some((d) => d.code === code), `${file}: ${r.diagnostics.map((d) => d.code).join(', ')}`);
  }
});
