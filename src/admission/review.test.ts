import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from '../model/diagnostic.ts';
import {
  AdmissionRequestError,
  MAX_WARNING_CHARS,
  MAX_WARNINGS_TOTAL_CHARS,
  formatWarnings,
  reviewAdmission,
} from './review.ts';

function review(object: unknown, extra: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', operation: 'CREATE', namespace: 'prod', object, ...extra },
  };
}

const pod = (annotations: Record<string, string>, containers = ['db']): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'pg-0', annotations },
  spec: { containers: containers.map((name) => ({ name, image: 'x' })) },
});

const template = (kind: string, annotations: Record<string, string>): Record<string, unknown> => {
  const t = { metadata: { annotations }, spec: { containers: [{ name: 'web', image: 'x' }] } };
  return {
    apiVersion: kind === 'CronJob' || kind === 'Job' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name: 'web' },
    spec: kind === 'CronJob' ? { schedule: '* * * * *', jobTemplate: { spec: { template: t } } } : { template: t },
  };
};

const restore = (hooks: unknown): Record<string, unknown> => ({
  apiVersion: 'velero.io/v1',
  kind: 'Restore',
  metadata: { name: 'r1' },
  spec: { backupName: 'b', hooks },
});

interface Case {
  readonly name: string;
  readonly object: unknown;
  /** Codes expected at the start of the warnings, in order (subset match per warning). */
  readonly codes: readonly string[];
}

const CASES: readonly Case[] = [
  { name: 'good pod', object: pod({ 'pre.hook.backup.velero.io/command': '["/bin/sync"]', 'pre.hook.backup.velero.io/timeout': '30s' }), codes: [] },
  { name: 'typo key', object: pod({ 'post.hook.restore.velero.io/command': '["/x"]', 'post.hook.restore.velero.io/timeout': '5m' }), codes: ['restore-timeout-ignored'] },
  { name: 'lower-case fail', object: pod({ 'pre.hook.backup.velero.io/command': '["/bin/sync"]', 'pre.hook.backup.velero.io/on-error': 'fail' }), codes: ['on-error-invalid'] },
  { name: 'duration without unit', object: pod({ 'pre.hook.backup.velero.io/command': '["/bin/sync"]', 'pre.hook.backup.velero.io/timeout': '300' }), codes: ['duration-invalid'] },
  { name: 'shell line', object: pod({ 'post.hook.restore.velero.io/command': '/usr/local/bin/warm --all' }), codes: ['command-shell-line'] },
  { name: 'missing container (knows the container list)', object: pod({ 'pre.hook.backup.velero.io/command': '["/bin/sync"]', 'pre.hook.backup.velero.io/container': 'pg' }), codes: ['container-not-found'] },
  { name: 'deployment template', object: template('Deployment', { 'pre.hook.backup.velero.io/command': 'fsfreeze --freeze /data' }), codes: ['command-shell-line'] },
  { name: 'cronjob template', object: template('CronJob', { 'pre.hook.backup.velero.io/on-error': 'fail', 'pre.hook.backup.velero.io/command': '["/x"]' }), codes: ['on-error-invalid'] },
  { name: 'good restore', object: restore({ resources: [{ name: 'warm', postHooks: [{ exec: { command: ['/bin/warm'], execTimeout: '30s' } }] }] }), codes: [] },
  { name: 'restore spec hooks', object: restore({ resources: [{ name: 'warm', postHooks: [{ exec: { command: ['/bin/warm --all'], execTimeout: '30' } }] }] }), codes: ['command-shell-line', 'duration-invalid'] },
  { name: 'other kinds pass', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } }, codes: [] },
];

for (const c of CASES) {
  void test(`review: ${c.name}`, () => {
    const out = reviewAdmission(review(c.object), { denyOn: 'none' });
    const r = out.review.response;
    assert.equal(r.uid, 'u-1');
    assert.equal(r.allowed, true);
    const warnings = r.warnings ?? [];
    assert.deepEqual([...new Set(warnings.map((w) => w.split(/[ :]/)[0]))].sort(), [...c.codes].sort(), warnings.join('\n'));
    for (const w of warnings) {
      assert.ok(w.length <= MAX_WARNING_CHARS, `too long: ${w}`);
      assert.ok(!/^warning:/i.test(w), 'no "Warning:" prefix');
      assert.ok(!w.includes('Pod prod/pg-0:'), 'the object name is left out');
    }
    assert.equal(out.result, c.codes.length === 0 ? 'allowed' : 'warned');
  });
}

void test('review: --deny-on error denies errors, lists them, and still allows warning-only objects', () => {
  const bad = reviewAdmission(review(pod({ 'post.hook.restore.velero.io/command': '/usr/local/bin/warm --all' })), { denyOn: 'error' });
  assert.equal(bad.review.response.allowed, false);
  assert.equal(bad.result, 'denied');
  assert.match(bad.review.response.status?.message ?? '', /^kubehooks: 1 error in Velero hook settings: command-shell-line/);
  assert.equal(bad.review.response.status?.code, 422);
  const warnOnly = reviewAdmission(
    review(pod({ 'pre.hook.backup.velero.io/command': '["/bin/sync"]', 'pre.hook.backup.velero.io/on-error': 'fail' })),
    { denyOn: 'error' },
  );
  assert.equal(warnOnly.review.response.allowed, true);
  assert.equal(warnOnly.result, 'warned');
});

void test('review: an ignore-check.kubehooks.dev/<code> opt-out with a reason holds at admission; one without a reason is denied', () => {
  const command = { 'post.hook.restore.velero.io/command': '/usr/local/bin/warm --all' };
  const waived = reviewAdmission(review(pod({ ...command, 'ignore-check.kubehooks.dev/command-shell-line': 'the image has this binary' })), { denyOn: 'error' });
  assert.equal(waived.review.response.allowed, true);
  const unexplained = reviewAdmission(review(pod({ ...command, 'ignore-check.kubehooks.dev/command-shell-line': '' })), { denyOn: 'error' });
  assert.equal(unexplained.review.response.allowed, false);
  assert.match(unexplained.review.response.status?.message ?? '', /command-shell-line/);
  assert.match(unexplained.review.response.status?.message ?? '', /ignore-check-reason-missing/);
});

void test('review: the namespace of the request is used (spec hooks and messages see prod)', () => {
  const out = reviewAdmission(review(pod({ 'pre.hook.backup.velero.io/command': 'a b' })), { denyOn: 'none' });
  assert.equal(out.diagnostics[0]?.object.namespace, 'prod');
});

void test('review: DELETE, subresources and a missing object are allowed without linting', () => {
  const bad = pod({ 'pre.hook.backup.velero.io/command': 'a b' });
  for (const extra of [{ operation: 'DELETE' }, { subResource: 'status' }, { object: null }]) {
    const out = reviewAdmission(review(bad, extra), { denyOn: 'error' });
    assert.deepEqual(out.review.response, { uid: 'u-1', allowed: true });
  }
});

void test('review: requests that are not an admission.k8s.io/v1 AdmissionReview are refused with a reason', () => {
  const cases: [unknown, RegExp][] = [
    [null, /not a JSON object/],
    [{ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } }, /admissionReviewVersions: \[v1\]/],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }, /request.uid/],
  ];
  for (const [body, re] of cases) {
    assert.throws(() => reviewAdmission(body, { denyOn: 'none' }), (e: unknown) => e instanceof AdmissionRequestError && re.test(e.message));
  }
});

void test('warnings: each ≤ 120 characters, total under 4096, the rest collapsed into "+N more"', () => {
  const base: Diagnostic = {
    code: 'annotation-key-unknown', severity: 'warning', message: `Pod a/b: ${'x'.repeat(300)}`, hint: '', file: '<admission>',
    line: 0, column: 0, object: { kind: 'Pod', namespace: 'a', name: 'b' }, key: 'k',
  };
  const many = Array.from({ length: 200 }, (_, i) => ({ ...base, key: `pre.hook.backup.velero.io/k${i}` }));
  const warnings = formatWarnings(many);
  const total = warnings.reduce((n, w) => n + w.length, 0);
  assert.ok(total < MAX_WARNINGS_TOTAL_CHARS, `total ${total}`);
  assert.ok(warnings.every((w) => w.length <= MAX_WARNING_CHARS));
  const last = warnings.at(-1) ?? '';
  const shown = warnings.length - 1;
  assert.equal(last, `+${200 - shown} more: run kubehooks lint`);
  assert.ok(shown > 10);
  // A few fit whole: no collapsing.
  assert.equal(formatWarnings(many.slice(0, 3)).length, 3);
  // Control characters cannot reach the Warning header.
  const hostile = formatWarnings([{ ...base, message: 'Pod a/b: line1\nline2\u0007' }]);
  // eslint-disable-next-line no-control-regex -- looking for control characters
  assert.ok(!/[\u0000-\u001f]/.test(hostile[0] ?? ''), JSON.stringify(hostile));
});
