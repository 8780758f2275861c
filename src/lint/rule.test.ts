/** defineRule: each check sees every thing of its kind once, findings in object, pod, hook-object order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintSources } from './engine.ts';
import { defineRule, specExecHooksOn } from './rule.ts';

const manifests = `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: db, labels: {app: pg}}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: db}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: velero.io/v1
kind: Backup
metadata: {name: nightly, namespace: velero}
spec:
  hooks:
    resources:
      - name: sync
        includedNamespaces: [db]
        labelSelector: {matchLabels: {app: pg}}
        pre:
          - exec: {command: [/bin/sync]}
`;

const seen = (label: string, name: string): string => `${label} ${name}`;

void test('defineRule runs every check over its kind, objects first, then pods, then Backups/Restores', () => {
  const rule = defineRule({ code: 'probe', severity: 'info', summary: 's', hint: 'default hint' }, {
    *hookObject(o) { yield { object: o, key: 'k', message: seen('hookObject', o.ref.name) }; },
    *pod(p) { yield { object: p, key: 'k', message: seen('pod', p.ref.name), severity: 'warning' }; },
    *object(o) { yield { object: o, key: 'k', message: seen('object', o.ref.name), hint: 'own hint' }; },
  });
  const { diagnostics } = lintSources([{ file: 'x.yaml', text: manifests }], { rules: [rule] });
  const got = diagnostics.filter((d) => d.code === 'probe');
  assert.deepEqual(got.map((d) => d.message.replace(/^.*?: /, '')), [
    'object a', 'object web', 'object nightly',
    'pod a', 'pod web',
    'hookObject nightly',
  ]);
  assert.deepEqual(got.map((d) => d.severity), ['info', 'info', 'info', 'warning', 'warning', 'info']);
  assert.deepEqual(got.map((d) => d.hint), ['own hint', 'own hint', 'own hint', 'default hint', 'default hint', 'default hint']);
});

void test('a rule without a check for a kind reports nothing for it', () => {
  const rule = defineRule({ code: 'probe', severity: 'info', summary: 's', hint: 'h' }, {});
  const { diagnostics } = lintSources([{ file: 'x.yaml', text: manifests }], { rules: [rule] });
  assert.deepEqual(diagnostics.filter((d) => d.code === 'probe'), []);
});

void test('specExecHooksOn gives the spec hooks that run on a pod, each with its Backup', () => {
  const rule = defineRule({ code: 'probe', severity: 'info', summary: 's', hint: 'h' }, {
    *pod(p, ctx) {
      for (const m of specExecHooksOn(ctx, p)) yield { object: m.hookObject, key: m.path, message: seen(m.phase, p.ref.name) };
    },
  });
  const { diagnostics } = lintSources([{ file: 'x.yaml', text: manifests }], { rules: [rule] });
  const got = diagnostics.filter((d) => d.code === 'probe');
  assert.deepEqual(got.map((d) => [d.object.name, d.key, d.message.replace(/^.*?: /, '')]), [
    ['nightly', 'spec.hooks.resources[0].pre[0]', 'pre a'],
  ]);
});
