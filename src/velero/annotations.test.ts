import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lintPodHookAnnotations, readBackupAnnotationHook, readRestoreExecAnnotationHook, readRestoreInitAnnotationHook } from './annotations.ts';
import { editDistance, lintHookAnnotationKeys } from './unknown-keys.ts';
import { parseGoBool } from './values.ts';

const gen = { generateName: () => 'velero-restore-init-abcdef12' };
const codes = (issues: readonly { code: string }[]): string[] => issues.map((i) => i.code);

interface BackupCase {
  readonly name: string;
  readonly annotations: Record<string, string> | undefined;
  readonly phase: 'pre' | 'post';
  readonly family: 'pre' | 'post' | 'legacy' | undefined;
  readonly command?: readonly string[];
  readonly container?: string | undefined;
  readonly onError?: 'Continue' | 'Fail' | undefined;
  readonly execTimeoutMs?: number;
  readonly issues: readonly string[];
}

const backupCases: readonly BackupCase[] = [
  { name: 'undefined annotations', annotations: undefined, phase: 'pre', family: undefined, issues: [] },
  { name: 'pre family', annotations: { 'pre.hook.backup.velero.io/command': '["a","b"]', 'pre.hook.backup.velero.io/container': 'c', 'pre.hook.backup.velero.io/on-error': 'Fail', 'pre.hook.backup.velero.io/timeout': '1m' }, phase: 'pre', family: 'pre', command: ['a', 'b'], container: 'c', onError: 'Fail', execTimeoutMs: 60_000, issues: [] },
  { name: 'legacy used for pre', annotations: { 'hook.backup.velero.io/command': '/bin/ls', 'hook.backup.velero.io/container': 'c' }, phase: 'pre', family: 'legacy', command: ['/bin/ls'], container: 'c', issues: [] },
  { name: 'legacy never used for post', annotations: { 'hook.backup.velero.io/command': '/bin/ls' }, phase: 'post', family: undefined, issues: [] },
  { name: 'pre wins over legacy, legacy keys flagged', annotations: { 'pre.hook.backup.velero.io/command': '/a', 'hook.backup.velero.io/command': '/b', 'hook.backup.velero.io/container': 'x' }, phase: 'pre', family: 'pre', command: ['/a'], container: undefined, issues: ['annotation-family-mixed', 'annotation-family-mixed'] },
  { name: 'pre container without pre command: legacy family, pre container ignored', annotations: { 'pre.hook.backup.velero.io/container': 'x', 'hook.backup.velero.io/command': '/b' }, phase: 'pre', family: 'legacy', command: ['/b'], container: undefined, issues: ['annotation-family-mixed'] },
  { name: 'empty pre command falls back to legacy', annotations: { 'pre.hook.backup.velero.io/command': '', 'hook.backup.velero.io/command': '/b' }, phase: 'pre', family: 'legacy', command: ['/b'], issues: ['annotation-family-mixed'] },
  { name: 'post family', annotations: { 'post.hook.backup.velero.io/command': '/x', 'post.hook.backup.velero.io/on-error': 'Continue' }, phase: 'post', family: 'post', command: ['/x'], onError: 'Continue', issues: [] },
  { name: 'lower-case fail ignored', annotations: { 'post.hook.backup.velero.io/command': '/x', 'post.hook.backup.velero.io/on-error': 'fail' }, phase: 'post', family: 'post', onError: undefined, issues: ['on-error-invalid'] },
  { name: 'timeout 5m3s', annotations: { 'pre.hook.backup.velero.io/command': '/x', 'pre.hook.backup.velero.io/timeout': '5m3s' }, phase: 'pre', family: 'pre', execTimeoutMs: 303_000, issues: [] },
  { name: 'timeout invalid → 0', annotations: { 'pre.hook.backup.velero.io/command': '/x', 'pre.hook.backup.velero.io/timeout': 'invalid' }, phase: 'pre', family: 'pre', execTimeoutMs: 0, issues: ['duration-invalid'] },
  { name: 'timeout 30 → 0', annotations: { 'pre.hook.backup.velero.io/command': '/x', 'pre.hook.backup.velero.io/timeout': '30' }, phase: 'pre', family: 'pre', execTimeoutMs: 0, issues: ['duration-invalid'] },
  { name: 'negative timeout kept', annotations: { 'pre.hook.backup.velero.io/command': '/x', 'pre.hook.backup.velero.io/timeout': '-1s' }, phase: 'pre', family: 'pre', execTimeoutMs: -1000, issues: ['duration-negative'] },
  { name: 'timeout above 4h', annotations: { 'pre.hook.backup.velero.io/command': '/x', 'pre.hook.backup.velero.io/timeout': '5h' }, phase: 'pre', family: 'pre', execTimeoutMs: 18_000_000, issues: ['duration-too-long'] },
  { name: 'shell line', annotations: { 'pre.hook.backup.velero.io/command': '/bin/sh -c "echo hi"' }, phase: 'pre', family: 'pre', command: ['/bin/sh -c "echo hi"'], issues: ['command-shell-line'] },
  { name: 'empty JSON command', annotations: { 'pre.hook.backup.velero.io/command': '[]' }, phase: 'pre', family: 'pre', command: [], issues: ['command-empty'] },
  { name: 'container without command', annotations: { 'post.hook.backup.velero.io/container': 'db' }, phase: 'post', family: undefined, issues: ['command-missing'] },
  { name: 'container "" → first container', annotations: { 'pre.hook.backup.velero.io/command': '/x', 'pre.hook.backup.velero.io/container': '' }, phase: 'pre', family: 'pre', container: undefined, issues: [] },
];

for (const c of backupCases) {
  void test(`readBackupAnnotationHook: ${c.name}`, () => {
    const r = readBackupAnnotationHook(c.annotations, c.phase);
    assert.equal(r.family, c.family);
    assert.deepEqual(codes(r.issues), c.issues);
    if (c.family === undefined) {
      assert.equal(r.hook, undefined);
      return;
    }
    assert.ok(r.hook);
    assert.equal(r.hook.source, 'annotation');
    assert.equal(r.hook.name, '<from-annotation>');
    assert.equal(r.hook.index, 0);
    if (c.command !== undefined) assert.deepEqual(r.hook.command, c.command);
    if ('container' in c) assert.equal(r.hook.container, c.container);
    if ('onError' in c) assert.equal(r.hook.onError, c.onError);
    if (c.execTimeoutMs !== undefined) assert.equal(r.hook.execTimeoutMs, c.execTimeoutMs);
  });
}

const P = 'post.hook.restore.velero.io/';

void test('readRestoreExecAnnotationHook: table', async (t) => {
  const cases: readonly {
    name: string;
    a: Record<string, string>;
    hook: boolean;
    exec?: number;
    wait?: number;
    ready?: boolean;
    issues: readonly string[];
  }[] = [
    { name: 'none', a: {}, hook: false, issues: [] },
    { name: 'empty command', a: { [`${P}command`]: '' }, hook: false, issues: ['command-missing'] },
    { name: 'basic', a: { [`${P}command`]: '/x' }, hook: true, exec: 0, wait: 0, ready: false, issues: [] },
    { name: 'timeouts', a: { [`${P}command`]: '/x', [`${P}exec-timeout`]: '45s', [`${P}wait-timeout`]: '1h' }, hook: true, exec: 45_000, wait: 3_600_000, issues: [] },
    { name: 'none durations', a: { [`${P}command`]: '/x', [`${P}exec-timeout`]: 'none', [`${P}wait-timeout`]: 'none' }, hook: true, exec: 0, wait: 0, issues: ['duration-invalid', 'duration-invalid'] },
    { name: 'negative wait', a: { [`${P}command`]: '/x', [`${P}wait-timeout`]: '-1s' }, hook: true, wait: -1000, issues: ['duration-negative'] },
    { name: 'ready TRUE', a: { [`${P}command`]: '/x', [`${P}wait-for-ready`]: 'TRUE' }, hook: true, ready: true, issues: [] },
    { name: 'ready 1', a: { [`${P}command`]: '/x', [`${P}wait-for-ready`]: '1' }, hook: true, ready: true, issues: [] },
    { name: 'ready False', a: { [`${P}command`]: '/x', [`${P}wait-for-ready`]: 'False' }, hook: true, ready: false, issues: [] },
    { name: 'ready yes', a: { [`${P}command`]: '/x', [`${P}wait-for-ready`]: 'yes' }, hook: true, ready: false, issues: ['wait-for-ready-invalid'] },
    { name: 'timeout key ignored', a: { [`${P}command`]: '/x', [`${P}timeout`]: '2m' }, hook: true, exec: 0, issues: ['restore-timeout-ignored'] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const r = readRestoreExecAnnotationHook(c.a);
      assert.deepEqual(codes(r.issues), c.issues);
      assert.equal(r.hook !== undefined, c.hook);
      if (r.hook === undefined) return;
      if (c.exec !== undefined) assert.equal(r.hook.execTimeoutMs, c.exec);
      if (c.wait !== undefined) assert.equal(r.hook.waitTimeoutMs, c.wait);
      if (c.ready !== undefined) assert.equal(r.hook.waitForReady, c.ready);
    });
  }
});

const I = 'init.hook.restore.velero.io/';

void test('readRestoreInitAnnotationHook: table', async (t) => {
  const cases: readonly {
    name: string;
    a: Record<string, string>;
    container: Record<string, unknown> | undefined;
    issues: readonly string[];
  }[] = [
    { name: 'no image', a: { [`${I}container-name`]: 'n' }, container: undefined, issues: ['init-image-missing'] },
    { name: 'empty image', a: { [`${I}container-image`]: '' }, container: undefined, issues: ['init-image-missing'] },
    { name: 'full', a: { [`${I}container-image`]: 'nginx', [`${I}container-name`]: 'n', [`${I}command`]: '["a","b","c"]' }, container: { name: 'n', image: 'nginx', command: ['a', 'b', 'c'] }, issues: [] },
    { name: 'generated name', a: { [`${I}container-image`]: 'nginx', [`${I}command`]: '/x' }, container: { name: 'velero-restore-init-abcdef12', image: 'nginx', command: ['/x'] }, issues: ['init-name-generated'] },
    { name: 'no command (DEVIATION: Velero panics)', a: { [`${I}container-image`]: 'nginx', [`${I}container-name`]: 'n' }, container: { name: 'n', image: 'nginx' }, issues: ['init-command-missing'] },
    { name: '[] command = entrypoint, no issue', a: { [`${I}container-image`]: 'nginx', [`${I}container-name`]: 'n', [`${I}command`]: '[]' }, container: { name: 'n', image: 'nginx' }, issues: [] },
    { name: 'shell line', a: { [`${I}container-image`]: 'i', [`${I}container-name`]: 'n', [`${I}command`]: '/usr/bin/data-populator /user-data full' }, container: { name: 'n', image: 'i', command: ['/usr/bin/data-populator /user-data full'] }, issues: ['command-shell-line'] },
    { name: 'bad JSON', a: { [`${I}container-image`]: 'i', [`${I}container-name`]: 'n', [`${I}command`]: '[foobarbaz' }, container: { name: 'n', image: 'i', command: ['[foobarbaz'] }, issues: ['command-json-invalid'] },
    { name: 'timeout unused', a: { [`${I}container-image`]: 'i', [`${I}container-name`]: 'n', [`${I}command`]: '/x', [`${I}timeout`]: '1m' }, container: { name: 'n', image: 'i', command: ['/x'] }, issues: ['init-timeout-unused'] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const r = readRestoreInitAnnotationHook(c.a, gen);
      assert.deepEqual(codes(r.issues), c.issues);
      assert.deepEqual(r.hook?.initContainers[0], c.container);
    });
  }
});

void test('parseGoBool', () => {
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(v), true);
  for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(v), false);
  for (const v of ['yes', 'tRUE', '', ' true']) assert.equal(parseGoBool(v), undefined);
});

void test('lintHookAnnotationKeys: suggestions', async (t) => {
  const cases: readonly { key: string; hint: RegExp | undefined }[] = [
    { key: 'post.hook.restore.velero.io/exec-timeout', hint: undefined },
    { key: 'post.hook.restore.velero.io/timeout', hint: undefined }, // reported by the reader
    { key: 'init.hook.restore.velero.io/timeout', hint: undefined }, // reported by the reader
    { key: 'post.hook.restore.velero.io/execTimeout', hint: /post\.hook\.restore\.velero\.io\/exec-timeout/ },
    { key: 'pre.hook.backup.velero.io/comand', hint: /pre\.hook\.backup\.velero\.io\/command\?/ },
    { key: 'pre.hook.backup.velero.io/exec-timeout', hint: /pre\.hook\.backup\.velero\.io\/timeout\?/ },
    { key: 'post.hook.backup.velero.io/onError', hint: /post\.hook\.backup\.velero\.io\/on-error\?/ },
    { key: 'init.hook.restore.velero.io/image', hint: /container-image/ },
    { key: 'hook.backup.velero.io/contianer', hint: /hook\.backup\.velero\.io\/container\?/ },
    { key: 'pre.hooks.backup.velero.io/command', hint: /pre\.hook\.backup\.velero\.io\/command/ },
    { key: 'backup.velero.io/backup-volumes', hint: undefined },
    { key: 'init.hook.backup.velero.io/container-image', hint: /Did you mean init\.hook\.restore\.velero\.io\/container-image\?/ },
    { key: 'velero.io/hook-command', hint: undefined },
    { key: 'app.kubernetes.io/name', hint: undefined },
  ];
  for (const c of cases) {
    await t.test(c.key, () => {
      const issues = lintHookAnnotationKeys({ [c.key]: 'x' });
      if (c.hint === undefined) {
        assert.deepEqual(issues, []);
        return;
      }
      assert.equal(issues.length, 1);
      assert.equal(issues[0]!.code, 'annotation-key-unknown');
      assert.equal(issues[0]!.key, c.key);
      assert.match(issues[0]!.hint, c.hint);
    });
  }
});

void test('lintPodHookAnnotations de-duplicates and combines', () => {
  const issues = lintPodHookAnnotations({
    'post.hook.restore.velero.io/command': '/x',
    'post.hook.restore.velero.io/timeout': '1m',
    'pre.hook.backup.velero.io/on-error': 'fail',
  });
  assert.deepEqual(codes(issues).sort(), ['command-missing', 'restore-timeout-ignored']);
});

void test('editDistance', () => {
  assert.equal(editDistance('comand', 'command'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

void test('property: annotation readers never throw on random maps', () => {
  const keys = fc.oneof(
    fc.string(),
    fc.constantFrom(
      'pre.hook.backup.velero.io/command',
      'pre.hook.backup.velero.io/timeout',
      'pre.hook.backup.velero.io/on-error',
      'hook.backup.velero.io/command',
      'post.hook.backup.velero.io/container',
      'post.hook.restore.velero.io/command',
      'post.hook.restore.velero.io/wait-timeout',
      'post.hook.restore.velero.io/wait-for-ready',
      'post.hook.restore.velero.io/timeout',
      'init.hook.restore.velero.io/container-image',
      'init.hook.restore.velero.io/command',
      'init.hook.restore.velero.io/foo',
    ),
  );
  fc.assert(
    fc.property(fc.dictionary(keys, fc.oneof(fc.string(), fc.json())), (a) => {
      readBackupAnnotationHook(a, 'pre');
      readBackupAnnotationHook(a, 'post');
      readRestoreExecAnnotationHook(a);
      readRestoreInitAnnotationHook(a, gen);
      lintHookAnnotationKeys(a);
      lintPodHookAnnotations(a);
    }),
    { numRuns: 1000 },
  );
});

void test('property: non-object annotations are tolerated', () => {
  fc.assert(
    fc.property(fc.anything(), (a) => {
      const annotations = a as Record<string, string>;
      readBackupAnnotationHook(annotations, 'pre');
      readRestoreExecAnnotationHook(annotations);
      readRestoreInitAnnotationHook(annotations, gen);
      lintPodHookAnnotations(annotations);
    }),
  );
});
