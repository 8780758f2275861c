import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartPolicyYaml } from './deploy.ts';
import { WEBHOOK_RULES } from './manifests.ts';

const chart = join(import.meta.dirname, '..', '..', 'deploy', 'helm', 'kubehooks');

void test('deploy: the Helm chart carries the generated policy unchanged', () => {
  const file = readFileSync(join(chart, 'files', 'policy.yaml'), 'utf8');
  assert.equal(file, chartPolicyYaml(), 'deploy/helm/kubehooks/files/policy.yaml is stale: run node scripts/gen-deploy.ts');
});

void test('deploy: the chart webhook has the rules, failure policy and selector of `kubehooks manifests webhook`', () => {
  const template = readFileSync(join(chart, 'templates', 'webhook.yaml'), 'utf8');
  for (const r of WEBHOOK_RULES) {
    const block = [
      '      - operations: [CREATE, UPDATE]',
      `        apiGroups: [${r.apiGroups.map((g) => (g === '' ? '""' : g)).join(', ')}]`,
      `        apiVersions: [${r.apiVersions.join(', ')}]`,
      `        resources: [${r.resources.join(', ')}]`,
      '        scope: Namespaced',
    ].join('\n');
    assert.ok(template.includes(block), `chart webhook rules lack:\n${block}`);
  }
  assert.equal((template.match(/- operations:/g) ?? []).length, WEBHOOK_RULES.length);
  for (const line of ['sideEffects: None', 'admissionReviewVersions: [v1]', 'path: /validate', 'name: hooks.kubehooks.dev', 'automountServiceAccountToken: false']) {
    assert.ok(template.includes(line), line);
  }
  const values = readFileSync(join(chart, 'values.yaml'), 'utf8');
  assert.match(values, /^ {2}failurePolicy: Ignore$/m);
  assert.match(values, /^ {2}timeoutSeconds: 2$/m);
  assert.match(values, /^webhook:\n {2}enabled: false$/m);
});
