import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadSources } from './load.ts';
import type { LoadedPod } from './loaded-object.ts';
import { parseSource } from './parse-documents.ts';
import { stepCounter } from './work-counter.ts';

const dupAnnotation = `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    pre.hook.backup.velero.io/command: '["/bin/sync"]'
    other: x
    pre.hook.backup.velero.io/command: '["/bin/true"]'
spec:
  containers: [{name: app, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: q}
spec: {containers: [{name: app, image: busybox}]}
`;

void describe('duplicate mapping keys', () => {
  void it('are reported at the second occurrence with the path as key; the document is skipped, the others load', () => {
    const r = loadSources([{ file: 'd.yaml', text: dupAnnotation }]);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity, d.line, d.column, d.key]), [
      ['yaml-duplicate-key', 'error', 8, 5, 'metadata.annotations["pre.hook.backup.velero.io/command"]'],
    ]);
    const d = r.diagnostics[0];
    assert.match(d?.message ?? '', /document 1 of d\.yaml has the key metadata\.annotations\["pre\.hook\.backup\.velero\.io\/command"\] twice \(first at line 6\)/);
    assert.match(d?.hint ?? '', /Remove one of the two keys/);
    assert.deepEqual(r.objects.map((o) => o.ref.name), ['q']);
    assert.deepEqual(r.failedFiles, ['d.yaml']);
  });

  const cases: { name: string; text: string; want: readonly string[] }[] = [
    { name: 'flow mapping', text: 'a: {b: 1, b: 2}\n', want: ['a.b'] },
    { name: 'inside a sequence', text: 'items:\n  - x: 1\n  - z: 1\n    z: 2\n', want: ['items[1].z'] },
    { name: 'top level, quoted and plain spellings of one string', text: 'kind: Pod\n"kind": Pod\n', want: ['kind'] },
    { name: 'a number and a string are different keys (as in the yaml package)', text: '1: a\n"1": b\n', want: [] },
    { name: 'YAML 1.1 merge keys may repeat', text: 'a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n', want: [] },
    { name: 'the same key in different mappings', text: 'a: {k: 1}\nb: {k: 1}\n', want: [] },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const r = parseSource({ file: 'x.yaml', text: c.text });
      assert.deepEqual(r.diagnostics.map((d) => d.key), c.want);
      assert.ok(r.diagnostics.every((d) => d.code === 'yaml-duplicate-key'));
    });
  }

  void it('reports at most five per document and says how many more there are', () => {
    const text = `m:\n${Array.from({ length: 20 }, (_, i) => `  k${i % 10}: v`).join('\n')}\n`;
    const r = parseSource({ file: 'x.yaml', text });
    assert.equal(r.diagnostics.length, 5);
    assert.match(r.diagnostics[4]?.message ?? '', /\(5 more duplicate keys in this document not shown\)$/);
  });

  void it('JSON files keep JSON.parse semantics (last value wins, no diagnostic)', () => {
    const text = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"b"},"spec":{"containers":[{"name":"c"}]}}';
    const r = loadSources([{ file: 'x.json', text }]);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.objects[0]?.ref.name, 'b');
    // Positions still point at the first of equal keys, as the linear search they replace did.
    assert.deepEqual(r.objects[0].locate('metadata.name'), { line: 1, column: text.indexOf('"name"') + 1 });
  });
});

/** One pod whose annotation mapping has `n` keys. */
function podWithAnnotations(n: number): string {
  const keys = Array.from({ length: n }, (_, i) => `    example.com/k${i}: "v"`).join('\n');
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n${keys}\nspec:\n  containers: [{name: app}]\n`;
}

void describe('work per key is constant (duplicate check and positions)', () => {
  // Counted steps, not time: the yaml package's own check and a linear search per lookup were both
  // O(n) per key, i.e. ~n²/2 steps for n keys; indexing each mapping once makes it O(1) per key.
  const stepsFor = (n: number): number => {
    const counter = stepCounter();
    const r = loadSources([{ file: 'x.yaml', text: podWithAnnotations(n) }], undefined, counter);
    const pod = r.objects[0] as LoadedPod;
    assert.equal(Object.keys(pod.pod.metadata.annotations ?? {}).length, n);
    for (let i = 0; i < n; i++) assert.equal(pod.locate(`example.com/k${i}`).line, 6 + i);
    return counter.steps;
  };
  void it('locating every key of an n-key mapping costs O(n) steps', () => {
    const small = stepsFor(1000);
    const large = stepsFor(8000);
    for (const [n, steps] of [[1000, small], [8000, large]] as const) {
      assert.ok(steps <= 10 * n, `${steps} steps for ${n} keys: more than 10 per key`);
    }
    assert.ok(large <= 8 * small * 1.1, `8x the keys took ${(large / small).toFixed(1)}x the steps`);
  });
});
