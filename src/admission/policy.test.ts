import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration } from '../duration/go-duration.ts';
import { lintHookAnnotationKeys } from '../velero/unknown-keys.ts';
import { commandArgvIssues, parseCommandAnnotation } from '../velero/command.ts';
import { GO_BOOLS, GO_DURATION_RE, JSON_COMMAND_RE, JSON_SHELL_LINE_RE, celString, knownHookKeys, policyValidations, typoTable, validatingAdmissionPolicy } from './policy.ts';

// The policy's regular expressions run in the API server (RE2); these patterns use nothing where RE2
// and JavaScript differ for ASCII input, so the lint engine is the oracle here. On the real API
// server they are checked by e2e/admission-policy.test.ts.

const DURATIONS = ['0', '30s', '1m30s', '1.5h', '-1s', '+2m', '.5s', '5.s', '300ms', '10us', '10µs', '1h2m3s4ms5us6ns', '300', '', '1d', '5 m', 's', '1.2.3s', '--1s', '1e3s', ' 30s'];

void test('policy: the Go-duration pattern accepts exactly what the Go grammar parser accepts', () => {
  const re = new RegExp(GO_DURATION_RE, 'u');
  for (const d of DURATIONS) assert.equal(re.test(d), parseGoDuration(d).ok, `duration ${JSON.stringify(d)}`);
});

const COMMANDS = [
  '["/bin/sync"]', '[ "/bin/sh" , "-c", "echo hi" ]', '["a", null]', '[]', '[ ]', '["a\\"b"]', '["\\u00e9"]', '["a"]\n',
  '["a",]', '["a"', '[1]', '["a", ["b"]]', '[/bin/sync]', "['a']", '["a" "b"]', '["\\x"]', '[null]', ' ["a"]',
];

void test('policy: the JSON-command pattern accepts exactly the arrays Velero decodes', () => {
  const re = new RegExp(JSON_COMMAND_RE);
  for (const c of COMMANDS.filter((c) => c.startsWith('['))) {
    const form = parseCommandAnnotation(c).form;
    assert.equal(re.test(c), form === 'json', `command ${JSON.stringify(c)} (lint: ${form})`);
  }
});

void test('policy: the shell-line pattern flags a JSON command whose program holds whitespace, as lint does', () => {
  const re = new RegExp(JSON_SHELL_LINE_RE);
  for (const c of ['["/bin/sh -c sync"]', '["/bin/sync"]', '[ "a\\tb" ]', '["a", "b c"]', '["x\\"y z"]', '["a\\\\ b"]', '["\\u0020a"]']) {
    const parsed = parseCommandAnnotation(c);
    const lint = parsed.form === 'json' && commandArgvIssues(parsed.argv, 'k').some((i) => i.code === 'command-shell-line');
    assert.equal(re.test(c), lint, `command ${JSON.stringify(c)}`);
  }
});

void test('policy: wait-for-ready accepts Go strconv.ParseBool values only', () => {
  assert.deepEqual([...GO_BOOLS].sort(), ['0', '1', 'F', 'FALSE', 'False', 'T', 'TRUE', 'True', 'f', 'false', 't', 'true']);
});

void test('policy: every typo in the table is one lint reports, with the key lint suggests; known keys are not typos', () => {
  const table = typoTable();
  assert.ok(table.size > 100);
  assert.equal(table.get('post.hook.restore.velero.io/wait-timout'), 'post.hook.restore.velero.io/wait-timeout');
  assert.equal(table.get('pre.hook.backup.velero.io/onError'), 'pre.hook.backup.velero.io/on-error');
  assert.equal(table.get('post.hook.restore.velero.io/timeout'), 'post.hook.restore.velero.io/exec-timeout');
  const known = new Set(knownHookKeys());
  for (const [typo, meant] of table) {
    if (typo === 'post.hook.restore.velero.io/timeout') continue;
    assert.ok(!known.has(typo), typo);
    assert.ok(known.has(meant), `${typo} -> ${meant}`);
    const hint = lintHookAnnotationKeys({ [typo]: 'x' })[0]?.hint;
    assert.ok(hint === `Did you mean ${meant}?` || hint === 'Did you mean post.hook.restore.velero.io/timeout?', `${typo}: ${hint}`);
  }
});

void test('policy: Warn+Audit by default, Deny on request; exactly the webhook kinds; kube-system excluded', () => {
  const [policy, binding] = validatingAdmissionPolicy();
  assert.deepEqual((binding['spec'] as { validationActions: string[] }).validationActions, ['Warn', 'Audit']);
  const [, deny] = validatingAdmissionPolicy({ validationActions: ['Deny', 'Audit'] });
  assert.deepEqual((deny['spec'] as { validationActions: string[] }).validationActions, ['Deny', 'Audit']);
  const spec = policy['spec'] as { matchConstraints: { resourceRules: { resources: string[] }[]; namespaceSelector: unknown }; failurePolicy: string };
  assert.deepEqual(spec.matchConstraints.resourceRules.flatMap((r) => r.resources).sort(), [
    'backups', 'cronjobs', 'daemonsets', 'deployments', 'jobs', 'pods', 'replicasets', 'restores', 'schedules', 'statefulsets',
  ]);
  assert.match(JSON.stringify(spec.matchConstraints.namespaceSelector), /"NotIn","values":\["kube-system"\]/);
  assert.equal(policy['apiVersion'], 'admissionregistration.k8s.io/v1');
  assert.equal(binding['kind'], 'ValidatingAdmissionPolicyBinding');
  const { validations } = policyValidations();
  assert.ok(validations.every((v) => v.messageExpression.length > 0));
});

void test('celString escapes quotes and backslashes', () => {
  assert.equal(celString("a'b\\c"), "'a\\'b\\\\c'");
});
