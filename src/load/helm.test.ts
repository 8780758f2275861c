import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSources } from './load.ts';
import { helmTemplateDiagnostic } from './helm.ts';

const TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "web.fullname" . }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicas }}
`;
const QUOTED = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "{{ .Values.name }}"\nspec:\n  containers: [{name: a, image: b}]\n';

interface Case {
  readonly name: string;
  readonly file: string;
  readonly text: string;
  readonly parseFailed: boolean;
  /** the hint, or undefined for no diagnostic */
  readonly hint: string | undefined;
}

const cases: readonly Case[] = [
  { name: 'chart template that does not parse', file: 'charts/web/templates/deploy.yaml', text: TEMPLATE, parseFailed: true, hint: 'Render the chart and lint the result: helm template web charts/web | kubehooks lint -' },
  { name: 'template that parses, under templates/', file: 'charts/web/templates/pod.yaml', text: QUOTED, parseFailed: false, hint: 'Render the chart and lint the result: helm template web charts/web | kubehooks lint -' },
  { name: 'on stdin, not parsing', file: '<stdin>', text: TEMPLATE, parseFailed: true, hint: 'Render the chart and lint the result: helm template RELEASE CHART | kubehooks lint -' },
  // A manifest that merely contains braces in a value (an Argo workflow parameter, a hook's own template) is linted as is.
  { name: 'braces in a plain manifest that parses', file: 'k8s/pod.yaml', text: QUOTED, parseFailed: false, hint: undefined },
  { name: 'no template action at all', file: 'charts/web/templates/x.yaml', text: 'a: [\n', parseFailed: true, hint: undefined },
];

for (const c of cases) {
  void test(`helm: ${c.name}`, () => {
    const d = helmTemplateDiagnostic(c.file, c.text, c.parseFailed);
    assert.equal(d?.hint, c.hint);
    if (d !== undefined) {
      assert.equal(d.code, 'helm-template');
      assert.equal(d.severity, 'warning');
      assert.equal(d.line, 4);
    }
  });
}

void test('helm: the loader reports one helm-template instead of YAML errors, and reads no objects from the file', () => {
  const r = loadSources([{ file: 'charts/web/templates/deploy.yaml', text: TEMPLATE }, { file: 'ok.yaml', text: QUOTED }]);
  assert.deepEqual(r.diagnostics.map((d) => d.code), ['helm-template']);
  assert.deepEqual(r.objects.map((o) => o.origin.file), ['ok.yaml']);
  assert.deepEqual(r.failedFiles, ['charts/web/templates/deploy.yaml']);
});
