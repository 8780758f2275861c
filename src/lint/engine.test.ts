/**
 * The lint engine over sources: parse issues and context rules as diagnostics, one pass, work
 * counted. Over 300 lines on purpose: its cases are YAML fixtures inline, each short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintSources } from './engine.ts';
import { stepCounter } from '../load/work-counter.ts';
import type { LintRule } from './rule.ts';

function pod(annotations: Record<string, string>, extra = ''): string {
  const ann = Object.entries(annotations).map(([k, v]) => `    ${k}: '${v.replaceAll("'", "''")}'`).join('\n');
  return `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ns
  annotations:
${ann}
spec:
  containers:
    - name: app
      image: busybox${extra}
    - name: side
      image: busybox
`;
}

interface Case {
  readonly name: string;
  readonly text: string;
  /** code@line (line 0 = any) expected among the diagnostics */
  readonly want: readonly string[];
  readonly notWant?: readonly string[];
}

const cases: Case[] = [
  {
    name: 'restore hook for a missing container',
    text: pod({ 'post.hook.restore.velero.io/command': '["/bin/true"]', 'post.hook.restore.velero.io/container': 'db' }),
    want: ['container-not-found@8'],
  },
  {
    name: 'backup pre hook (legacy family) for a missing container',
    text: pod({ 'hook.backup.velero.io/command': '["/bin/true"]', 'hook.backup.velero.io/container': 'db' }),
    want: ['container-not-found@8'],
  },
  {
    name: 'existing container is fine',
    text: pod({ 'pre.hook.backup.velero.io/command': '["/bin/true"]', 'pre.hook.backup.velero.io/container': 'side' }),
    want: [],
    notWant: ['container-not-found'],
  },
  {
    name: 'wait-for-ready without readinessProbe',
    text: pod({ 'post.hook.restore.velero.io/command': '["/bin/true"]', 'post.hook.restore.velero.io/wait-for-ready': 'true' }),
    want: ['wait-for-ready-no-probe@8'],
  },
  {
    name: 'wait-for-ready with a readinessProbe',
    text: pod({ 'post.hook.restore.velero.io/command': '["/bin/true"]', 'post.hook.restore.velero.io/wait-for-ready': 'true' },
      '\n      readinessProbe: {exec: {command: [pg_isready]}}'),
    want: [],
    notWant: ['wait-for-ready-no-probe'],
  },
  {
    name: 'wait timeout shorter than exec timeout',
    text: pod({ 'post.hook.restore.velero.io/command': '["/bin/true"]', 'post.hook.restore.velero.io/exec-timeout': '2m', 'post.hook.restore.velero.io/wait-timeout': '30s' }),
    want: ['wait-timeout-shorter-than-exec@9'],
  },
  {
    name: 'wait timeout with the default exec timeout is not flagged',
    text: pod({ 'post.hook.restore.velero.io/command': '["/bin/true"]', 'post.hook.restore.velero.io/wait-timeout': '10s' }),
    want: [],
    notWant: ['wait-timeout-shorter-than-exec'],
  },
  {
    name: 'init container name collides with an existing container',
    text: pod({ 'init.hook.restore.velero.io/container-image': 'busybox', 'init.hook.restore.velero.io/container-name': 'side', 'init.hook.restore.velero.io/command': '["/bin/true"]' }),
    want: ['init-container-name-collision@8'],
  },
  {
    name: 'core issues are positioned on their annotation',
    text: pod({ 'post.hook.restore.velero.io/command': '["/bin/true"]', 'post.hook.restore.velero.io/timeout': '30s', 'post.hook.restore.velero.io/on-error': 'fail' }),
    want: ['restore-timeout-ignored@8', 'on-error-invalid@9'],
  },
  {
    name: 'hook annotations on a Deployment instead of its template',
    text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    pre.hook.backup.velero.io/command: x\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n',
    want: ['annotation-on-non-pod@6'],
  },
  {
    name: 'hook annotations on a ConfigMap',
    text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    post.hook.restore.velero.io/command: x\n',
    want: ['annotation-on-non-pod@6'],
  },
];

for (const c of cases) {
  void test(`lint: ${c.name}`, () => {
    const { diagnostics } = lintSources([{ file: 'x.yaml', text: c.text }]);
    const got = diagnostics.map((d) => `${d.code}@${d.line}`);
    for (const w of c.want) assert.ok(got.includes(w), `want ${w}, got ${got.join(', ')}`);
    for (const n of c.notWant ?? []) assert.ok(!diagnostics.some((d) => d.code === n), `did not want ${n}, got ${got.join(', ')}`);
    for (const d of diagnostics) {
      assert.equal(d.file, 'x.yaml');
      assert.ok(d.message.length > 0 && d.hint.length > 0, `${d.code} needs a message and a hint`);
    }
  });
}

void test('diagnostics name the object and carry its reference', () => {
  const { diagnostics } = lintSources([{ file: 'x.yaml', text: pod({ 'post.hook.restore.velero.io/command': '["/bin/true"]', 'post.hook.restore.velero.io/container': 'db' }) }]);
  const d = diagnostics.find((x) => x.code === 'container-not-found');
  assert.ok(d);
  assert.match(d.message, /^Pod ns\/p: /);
  assert.deepEqual(d.object, { kind: 'Pod', namespace: 'ns', name: 'p' });
  assert.equal(d.key, 'post.hook.restore.velero.io/container');
  assert.equal(d.column, 5);
});

void test('a throwing rule becomes an internal-error diagnostic, not a crash', () => {
  const broken: LintRule = { code: 'broken', severity: 'error', summary: '', hint: '', check: () => { throw new Error('boom'); } };
  const { diagnostics } = lintSources([{ file: 'x.yaml', text: pod({}) }], { rules: [broken] });
  assert.deepEqual(diagnostics.map((d) => d.code), ['internal-error']);
});

const specPod = `apiVersion: v1
kind: Pod
metadata:
  name: pg-0
  namespace: db
  labels: {app: pg}
  annotations:
    pre.hook.backup.velero.io/command: '["/bin/sync"]'
spec:
  initContainers: [{name: restore-data, image: busybox}]
  containers: [{name: postgres, image: postgres}]
`;

const backup = `apiVersion: velero.io/v1
kind: Backup
metadata: {name: nightly, namespace: velero}
spec:
  hooks:
    resources:
      - name: freeze
        includedNamespaces: [db]
        labelSelector: {matchLabels: {app: pg}}
        pre:
          - exec: {container: pg, command: [/bin/true]}
        post:
          - exec: {container: pg, command: [/bin/true]}
      - name: elsewhere
        includedNamespaces: [other]
        post:
          - exec: {container: nope, command: [/bin/true]}
`;

const restore = `apiVersion: velero.io/v1
kind: Restore
metadata: {name: r1, namespace: velero}
spec:
  backupName: nightly
  namespaceMapping: {db: db-restored}
  hooks:
    resources:
      - name: warm
        includedNamespaces: [db-restored]
        postHooks:
          - init:
              initContainers:
                - {name: restore-data, image: busybox, command: [/bin/true]}
          - exec: {command: [/bin/true], waitForReady: true, waitTimeout: 10s, execTimeout: 1m}
      - name: source-namespace
        includedNamespaces: [db]
        postHooks:
          - exec: {container: nope, command: [/bin/true]}
`;

const specCases: Case[] = [
  {
    name: 'spec hook names a container the matching pod lacks (backup); non-matching entries are ignored',
    text: `${specPod}---\n${backup}`,
    want: ['container-not-found@25'],
  },
  {
    name: 'annotation pre hook overrides the matching spec pre hooks',
    text: `${specPod}---\n${backup}`,
    want: ['annotation-overrides-spec@8'],
  },
  {
    name: 'restore: init name collision, waitForReady without probe, wait < exec, namespaceMapping honoured',
    text: `${specPod}---\n${restore}`,
    want: ['init-container-name-collision@26', 'wait-for-ready-no-probe@27', 'wait-timeout-shorter-than-exec@27'],
  },
];

for (const c of specCases) {
  void test(`lint: ${c.name}`, () => {
    const { diagnostics } = lintSources([{ file: 'x.yaml', text: c.text }]);
    const got = diagnostics.map((d) => `${d.code}@${d.line}`);
    for (const w of c.want) assert.ok(got.includes(w), `want ${w}, got ${got.join(', ')}`);
  });
}

void test('a spec hook that an annotation hook replaces on a pod is not checked against that pod (no contradiction)', () => {
  const { diagnostics } = lintSources([{ file: 'x.yaml', text: `${specPod}---\n${backup}` }]);
  const got = diagnostics.map((d) => `${d.code}@${d.line}`);
  // pg-0's pre annotation replaces spec pre[0] (line 23): reported as replaced, not as a missing container.
  assert.ok(got.includes('annotation-overrides-spec@8'), got.join(', '));
  assert.ok(!got.includes('container-not-found@23'), got.join(', '));
  // Without the annotation the same spec hook is checked and its container is missing.
  const plain = specPod.replace(`  annotations:\n    pre.hook.backup.velero.io/command: '["/bin/sync"]'\n`, '');
  const again = lintSources([{ file: 'x.yaml', text: `${plain}---\n${backup}` }]).diagnostics.map((d) => `${d.code}@${d.line}`);
  assert.ok(again.includes('container-not-found@21') && again.includes('container-not-found@23'), again.join(', '));
});

const replacingPod = `apiVersion: v1
kind: Pod
metadata:
  name: app-0
  namespace: db
  labels: {app: pg}
  annotations:
    post.hook.restore.velero.io/command: '["/bin/true"]'
    init.hook.restore.velero.io/container-image: busybox
    init.hook.restore.velero.io/container-name: restore-data
    init.hook.restore.velero.io/command: '["/bin/true"]'
spec:
  containers: [{name: app, image: app}]
`;

void test('restore: an exec or init annotation replaces the spec hooks, so they are not checked against the pod', () => {
  const restoreSpec = `apiVersion: velero.io/v1
kind: Restore
metadata: {name: r2, namespace: velero}
spec:
  backupName: nightly
  hooks:
    resources:
      - name: warm
        postHooks:
          - init:
              initContainers:
                - {name: app, image: busybox, command: [/bin/true]}
          - exec: {container: nope, command: [/bin/true]}
          - exec: {command: [/bin/true], waitForReady: true}
`;
  const got = lintSources([{ file: 'x.yaml', text: `${replacingPod}---\n${restoreSpec}` }]).diagnostics.map((d) => d.code);
  assert.ok(got.includes('annotation-overrides-spec'), got.join(', '));
  const checked = ['container-not-found', 'init-container-name-collision', 'wait-for-ready-no-probe'];
  for (const code of checked) assert.ok(!got.includes(code), `${code}: ${got.join(', ')}`);
  // The same spec hooks on a pod without those annotations get every one of these diagnostics.
  const plain = replacingPod.replace(/ {2}annotations:\n( {4}.*\n)+/, '');
  const again = lintSources([{ file: 'x.yaml', text: `${plain}---\n${restoreSpec}` }]).diagnostics.map((d) => d.code);
  for (const code of checked) assert.ok(again.includes(code), `${code}: ${again.join(', ')}`);
});

void test('restore selectors use the target namespace: the source-namespace entry does not match', () => {
  const { diagnostics } = lintSources([{ file: 'x.yaml', text: `${specPod}---\n${restore}` }]);
  assert.ok(!diagnostics.some((d) => d.code === 'container-not-found'), diagnostics.map((d) => d.message).join('\n'));
});

void test('hostile sizes: a 1 MiB name, value and key give short messages that still name the object and key', () => {
  const MIB = 1024 * 1024;
  const name = `web-${'n'.repeat(MIB)}`;
  const value = `fail${'v'.repeat(MIB)}`;
  const container = `db-${'c'.repeat(MIB)}`;
  const unknownKey = `pre.hook.backup.velero.io/${'k'.repeat(MIB)}`;
  const text = `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ns
  annotations:
    post.hook.restore.velero.io/command: '["/bin/true"]'
    post.hook.restore.velero.io/on-error: ${value}
    post.hook.restore.velero.io/container: ${container}
    ? ${unknownKey}
    : x
spec:
  containers: [{name: app, image: busybox}]
`;
  const { diagnostics } = lintSources([{ file: 'x.yaml', text }]);
  const byCode = new Map(diagnostics.map((d) => [d.code, d]));
  assert.deepEqual([...byCode.keys()].sort(), ['annotation-key-unknown', 'command-missing', 'container-not-found', 'on-error-invalid']);
  for (const d of diagnostics) {
    assert.ok(d.message.length < 1100 && d.hint.length < 1100, `${d.code}: ${d.message.length} / ${d.hint.length} characters`);
    assert.ok(d.message.startsWith(`Pod ns/web-nnn`), d.message.slice(0, 40));
    assert.ok(d.message.includes(`…(${name.length} bytes)…`), 'the name is elided and its size given');
      // The JSON contract fields are the data, unshortened.
    assert.equal(d.object.name, name);
  }
  const onError = byCode.get('on-error-invalid');
  assert.equal(onError?.key, 'post.hook.restore.velero.io/on-error');
  assert.match(onError.message, /: on-error "failvvv[^"]*…\(1048580 bytes\)…v+" is not "Continue" or "Fail"/);
  assert.equal(onError.line, 8);
  const missing = byCode.get('container-not-found');
  assert.equal(missing?.key, 'post.hook.restore.velero.io/container');
  assert.match(missing.message, /post\.hook\.restore\.velero\.io\/container names container "db-ccc[^"]*…\(1048579 bytes\)…c+", which the pod does not have/);
  const unknown = byCode.get('annotation-key-unknown');
  assert.equal(unknown?.key, unknownKey);
  assert.equal(unknown.line, 10);
  assert.match(unknown.message, /: pre\.hook\.backup\.velero\.io\/kkk[^ ]*…\(1048602 bytes\)…k+ is not a Velero hook annotation/);
});

void test('many hook annotations on one pod: lint work per key is constant (counted, not timed)', () => {
  const stepsFor = (n: number): number => {
    const keys = Array.from({ length: n }, (_, i) => `    post.hook.restore.velero.io/k${i}: "v"`).join('\n');
    const text = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n${keys}\nspec:\n  containers: [{name: app}]\n`;
    const counter = stepCounter();
    const { diagnostics } = lintSources([{ file: 'x.yaml', text }], { counter });
    // One unknown-key warning per annotation, each located at its own line, plus command-missing.
    assert.equal(diagnostics.filter((d) => d.code === 'annotation-key-unknown').length, n);
    assert.equal(diagnostics.find((d) => d.key === `post.hook.restore.velero.io/k${n - 1}`)?.line, 5 + n);
    const missing = diagnostics.find((d) => d.code === 'command-missing');
    assert.match(missing?.message ?? '', new RegExp(`and ${n - 5} more$`));
    return counter.steps;
  };
  const small = stepsFor(500);
  const large = stepsFor(4000);
  assert.ok(large <= 10 * 4000, `${large} steps for 4000 keys`);
  assert.ok(large <= 8 * small * 1.1, `8x the keys took ${(large / small).toFixed(1)}x the steps`);
});

void test('lint: the Restore fixture names source namespace db in an entry: did you mean db-restored?', () => {
  const { diagnostics } = lintSources([{ file: 'x.yaml', text: `${specPod}---\n${restore}` }]);
  const found = diagnostics.filter((d) => d.code === 'hook-entry-source-namespace');
  assert.equal(found.length, 1);
  assert.equal(found[0]?.key, 'spec.hooks.resources[1].includedNamespaces[0]');
  assert.match(found[0].message, /did you mean db-restored\?/);
});

void test('lint: hook entries that can never match a pod the Backup/Restore takes', async (t) => {
  const backupWith = (scope: string, entry: string): string => `apiVersion: velero.io/v1
kind: Backup
metadata: {name: b}
spec:
${scope}
  hooks:
    resources:
      - name: freeze
${entry}
        pre:
          - exec: {command: [/bin/true]}
`;
  const cases: readonly [string, string, string, boolean][] = [
    ['entry namespace excluded by the Backup', '  excludedNamespaces: [db]', '        includedNamespaces: [db]', true],
    ['entry namespace not in the Backup\'s includes', '  includedNamespaces: [shop]', '        includedNamespaces: [db]', true],
    ['entry namespace in the Backup\'s includes', '  includedNamespaces: [db, shop]', '        includedNamespaces: [db]', false],
    ['entry without namespaces', '  includedNamespaces: [db]', '        labelSelector: {matchLabels: {a: b}}', false],
    ['Backup includes a glob: left open', '  includedNamespaces: ["d*"]', '        includedNamespaces: [db]', false],
    ['entry excludes every Backup namespace', '  includedNamespaces: [db]', '        excludedNamespaces: [db]', true],
    ['Backup takes no pods', '  excludedResources: [pods]', '        includedNamespaces: [db]', true],
  ];
  for (const [name, scope, entry, warned] of cases) {
    await t.test(name, () => {
      const { diagnostics } = lintSources([{ file: 'b.yaml', text: backupWith(scope, entry) }]);
      assert.equal(diagnostics.some((d) => d.code === 'hook-entry-out-of-scope'), warned, diagnostics.map((d) => `${d.code}: ${d.message}`).join('\n'));
    });
  }
  const restoreText = `apiVersion: velero.io/v1
kind: Restore
metadata: {name: r}
spec:
  includedNamespaces: [db]
  namespaceMapping: {db: db-restored}
  hooks:
    resources:
      - name: a
        includedNamespaces: [shop]
        postHooks: [{exec: {command: [/x]}}]
      - name: b
        includedNamespaces: [db-restored]
        postHooks: [{exec: {command: [/x]}}]
`;
  const keys = lintSources([{ file: 'r.yaml', text: restoreText }]).diagnostics.filter((d) => d.code === 'hook-entry-out-of-scope').map((d) => d.key);
  assert.deepEqual(keys, ['spec.hooks.resources[0].includedNamespaces']);
});

void test('lint: context rules only look at pods inside the Backup\'s own scope', () => {
  const text = `${specPod}---
apiVersion: velero.io/v1
kind: Backup
metadata: {name: b}
spec:
  includedNamespaces: [elsewhere]
  hooks:
    resources:
      - name: any
        pre:
          - exec: {container: nope, command: [/bin/true]}
`;
  const { diagnostics } = lintSources([{ file: 'x.yaml', text }]);
  assert.ok(!diagnostics.some((d) => d.code === 'container-not-found'), diagnostics.map((d) => d.message).join('\n'));
});
