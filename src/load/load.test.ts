import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadSources } from './load.ts';
import { parseKeyPath, formatKeyPath } from './key-path.ts';
import type { LoadedPod } from './loaded-object.ts';

const deployment = `# leading comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web}
      annotations:
        pre.hook.backup.velero.io/command: '["/bin/true"]'
        pre.hook.backup.velero.io/timeout: 30
    spec:
      containers:
        - name: app
          image: nginx
        - name: sidecar
          image: busybox
`;

void describe('loadSources', () => {
  void it('turns a Deployment into a pseudo-pod and locates annotation keys and pod paths', () => {
    const r = loadSources([{ file: 'd.yaml', text: deployment }]);
    const pod = r.objects[0] as LoadedPod;
    assert.equal(pod.type, 'pod');
    assert.deepEqual(pod.workload?.kind, 'Deployment');
    assert.equal(pod.pod.metadata.name, 'web');
    assert.equal(pod.pod.metadata.namespace, 'prod');
    assert.deepEqual(pod.pod.metadata.labels, { app: 'web' });
    assert.deepEqual(pod.pod.spec.containers.map((c) => c.name), ['app', 'sidecar']);
    assert.deepEqual(pod.locate('pre.hook.backup.velero.io/command'), { line: 13, column: 9 });
    assert.deepEqual(pod.locate('spec.containers[1]'), { line: 19, column: 11 });
    assert.deepEqual(pod.locate('spec.containers[1].image'), { line: 20, column: 11 });
    // object-relative path outside the template
    assert.deepEqual(pod.locate('spec.replicas'), { line: 8, column: 3 });
    // missing annotation key falls back to the annotations mapping
    assert.deepEqual(pod.locate('post.hook.backup.velero.io/command'), { line: 12, column: 7 });
    assert.deepEqual(pod.locate(''), { line: 2, column: 1 });
    // timeout: 30 is a number: error, but linted as "30"
    const d = r.diagnostics.find((x) => x.code === 'annotation-not-string');
    assert.ok(d);
    assert.equal(d.line, 14);
    assert.equal(pod.pod.metadata.annotations?.['pre.hook.backup.velero.io/timeout'], '30');
  });

  void it('flattens Lists, handles CronJob templates and keeps going after a broken document', () => {
    const text = [
      'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n    spec: {containers: [{name: c}]}\n',
      'foo: [\n',
      'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: job}]\n',
      'apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r}\nspec: {}\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n',
    ].join('---\n');
    const r = loadSources([{ file: 'm.yaml', text }]);
    assert.deepEqual(r.objects.map((o) => `${o.type}:${o.ref.kind}/${o.ref.name}`), [
      'pod:Pod/a', 'pod:CronJob/cj', 'restore:Restore/r', 'other:ConfigMap/cm',
    ]);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['yaml-syntax']);
    assert.ok([9, 10].includes(r.diagnostics[0]?.line ?? 0), 'error points at or just after the broken line');
    assert.deepEqual(r.objects[0]?.origin.path, ['items', 0]);
    assert.deepEqual(r.objects[0].locate('metadata.name'), { line: 6, column: 16 });
  });

  const hostile: { name: string; text: string; file?: string; code: string }[] = [
    { name: 'billion laughs', code: 'yaml-aliases', text: 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n' },
    { name: 'an alias before its anchor (not an alias bomb)', code: 'yaml-syntax', text: 'kind: Pod\na: *x\nb: &x 1\n' },
    { name: 'deep flow nesting', code: 'input-too-deep', text: '['.repeat(200_000) },
    { name: 'deep block nesting', code: 'input-too-deep', text: '- '.repeat(100_000) + 'x' },
    { name: 'moderately deep value', code: 'input-too-deep', text: '['.repeat(120) + ']'.repeat(120) + '\n---\n' + Array.from({ length: 140 }, (_, i) => ' '.repeat(i) + 'k:').join('\n') + ' v' },
    { name: 'json syntax', code: 'json-syntax', file: 'x.json', text: '{\n  "kind": "Pod",\n  "metadata": {"name": "a",}\n}' },
    { name: 'huge', code: 'input-too-large', text: 'a: ' + 'x'.repeat(9 * 1024 * 1024) },
  ];
  for (const h of hostile) {
    void it(`refuses ${h.name} with ${h.code}`, { timeout: 60_000 }, () => {
      const r = loadSources([{ file: h.file ?? 'h.yaml', text: h.text }]);
      assert.ok(r.diagnostics.some((d) => d.code === h.code), JSON.stringify(r.diagnostics));
    });
  }

  void it('null labels/annotations become absent, never null, in the pod (found by the hostile-input fuzz)', () => {
    const r = loadSources([{ file: 'p.yaml', text: 'kind: Pod\nmetadata:\n  name: a\n  labels: null\n  annotations: null\nspec: {containers: [{name: c}]}\n' }]);
    const pod = r.objects.find((o) => o.type === 'pod')?.pod;
    assert.ok(pod);
    assert.equal('annotations' in pod.metadata, false);
    assert.equal('labels' in pod.metadata, false);
  });

  void it('reports JSON syntax errors with a position', () => {
    const r = loadSources([{ file: 'x.json', text: '{\n  "a": 1,\n  "b": x\n}' }]);
    const d = r.diagnostics[0];
    assert.equal(d?.code, 'json-syntax');
    assert.ok(d.line >= 1);
  });

  void it('locates keys in JSON files', () => {
    const r = loadSources([{ file: 'p.json', text: '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {\n    "name": "p",\n    "annotations": {"post.hook.restore.velero.io/command": "x"}\n  },\n  "spec": {"containers": [{"name": "c"}]}\n}\n' }]);
    assert.deepEqual(r.objects[0]?.locate('post.hook.restore.velero.io/command'), { line: 6, column: 21 });
  });
});

void describe('parseKeyPath', () => {
  const cases: [string, (string | number)[] | undefined][] = [
    ['spec.hooks.resources[0].postHooks[1].exec.execTimeout', ['spec', 'hooks', 'resources', 0, 'postHooks', 1, 'exec', 'execTimeout']],
    ['metadata.annotations["a.b/c"]', ['metadata', 'annotations', 'a.b/c']],
    ['pre.hook.backup.velero.io/command', undefined],
    ['spec..x', undefined],
    ['', undefined],
  ];
  for (const [text, want] of cases) {
    void it(text || '(empty)', () => {
      assert.deepEqual(parseKeyPath(text), want);
      if (want !== undefined) assert.equal(formatKeyPath(want), text.replace(/\["a\.b\/c"\]/, '["a.b/c"]'));
    });
  }
});
