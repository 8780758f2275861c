/**
 * Velero's numbered test vectors (the behaviour in docs/velero-behaviour.md) for parsing, selectors,
 * precedence, validation, planning/grouping and init injection — one table, each case named by its
 * vector. Execution and tracking vectors (39–49, 54, 58–62, 86–111) are tested by the runners.
 * `DEVIATION:` marks a case where kubehooks differs from Velero on purpose (docs/compatibility.md).
 *
 * Over 300 lines on purpose: one table of vectors, so a vector is found by its number in one place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSpec, DeclaredExecHook } from './model/hook.ts';
import type { Plan } from './model/plan.ts';
import type { PodManifest } from './model/pod.ts';
import { injectInitHooks } from './inject/inject.ts';
import { planExecHook } from './plan/common.ts';
import { entryApplies, validateInitContainer, INVALID_INIT_CONTAINER_MESSAGE } from './velero/rules.ts';
import { planBackup, planBackupDetailed } from './plan/plan-backup.ts';
import { planRestore, planRestoreDetailed } from './plan/plan-restore.ts';
import { resourceIncluded } from './select/resources.ts';
import {
  readBackupAnnotationHook,
  readRestoreExecAnnotationHook,
  readRestoreInitAnnotationHook,
} from './velero/annotations.ts';
import { parseBackupObject, parseRestoreObject, type BackupHooks, type RestoreHooks } from './velero/spec.ts';

// ---------- fixtures ----------

const gen = { generateName: () => 'velero-restore-init-abcdef12' };

interface PodOptions {
  readonly name?: string;
  readonly ns?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly containers?: readonly string[];
  readonly init?: readonly ContainerSpec[];
  readonly extraSpec?: Record<string, unknown>;
}

function pod(o: PodOptions = {}): PodManifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name ?? 'my-pod',
      namespace: o.ns ?? 'default',
      ...(o.labels === undefined ? {} : { labels: o.labels }),
      ...(o.annotations === undefined ? {} : { annotations: o.annotations }),
    },
    spec: {
      ...(o.extraSpec ?? {}),
      containers: (o.containers ?? ['container1']).map((name) => ({ name, image: 'busybox' })),
      ...(o.init === undefined ? {} : { initContainers: o.init }),
    },
  };
}

function backupHooks(resources: unknown[]): BackupHooks {
  const { backup } = parseBackupObject({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: { hooks: { resources } } });
  assert.ok(backup);
  return backup;
}

function restoreHooks(resources: unknown, namespaceMapping?: Record<string, string>): RestoreHooks {
  const { restore } = parseRestoreObject({
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: 'r' },
    spec: { hooks: { resources }, ...(namespaceMapping === undefined ? {} : { namespaceMapping }) },
  });
  assert.ok(restore);
  return restore;
}

const exec = (command: string[], extra: Record<string, unknown> = {}): unknown => ({ exec: { command, ...extra } });
const initC = (name: string, image = 'busybox', command: string[] = ['pwd']): ContainerSpec => ({ name, image, command });
const summary = (plan: Plan): string[] => plan.hooks.map((h) => `${h.pod}/${h.container}:${h.type}:${h.source}:${h.name}#${h.index}:${h.command.join(' ')}`);
const initNames = (p: PodManifest): string[] => (p.spec.initContainers ?? []).map((c) => c.name);

const BPRE = 'pre.hook.backup.velero.io/';
const BPOST = 'post.hook.backup.velero.io/';
const LEGACY = 'hook.backup.velero.io/';
const REXEC = 'post.hook.restore.velero.io/';
const RINIT = 'init.hook.restore.velero.io/';

interface Vector {
  readonly name: string;
  readonly run: () => void;
}

const vectors: Vector[] = [];
const v = (name: string, run: () => void): void => {
  vectors.push({ name, run });
};

// ---------- Annotation parsing — backup (1–12) ----------

for (const phase of ['pre', 'post'] as const) {
  const P = phase === 'pre' ? BPRE : BPOST;
  const read = (a: Record<string, string>): DeclaredExecHook | undefined => readBackupAnnotationHook(a, phase).hook;
  v(`V1: no command annotation → no hook (${phase})`, () => {
    assert.equal(read({}), undefined);
    assert.equal(read({ [`${P}container`]: 'c' }), undefined);
  });
  v(`V2: command "[blarg" → ["[blarg"] (${phase})`, () => { assert.deepEqual(read({ [`${P}command`]: '[blarg' })?.command, ['[blarg']); });
  v(`V3: command JSON array (${phase})`, () => { assert.deepEqual(read({ [`${P}command`]: '["a","b","c"]' })?.command, ['a', 'b', 'c']); });
  v(`V4: command /usr/bin/foo (${phase})`, () => { assert.deepEqual(read({ [`${P}command`]: '/usr/bin/foo' })?.command, ['/usr/bin/foo']); });
  v(`V5: on-error Continue / Fail (${phase})`, () => {
    assert.equal(read({ [`${P}command`]: '/x', [`${P}on-error`]: 'Continue' })?.onError, 'Continue');
    assert.equal(read({ [`${P}command`]: '/x', [`${P}on-error`]: 'Fail' })?.onError, 'Fail');
  });
  v(`V6: timeout 5m3s → 303s (${phase})`, () => { assert.equal(read({ [`${P}command`]: '/x', [`${P}timeout`]: '5m3s' })?.execTimeoutMs, 303_000); });
  v(`V7: timeout "invalid" → 0, hook still returned, issue (${phase})`, () => {
    const r = readBackupAnnotationHook({ [`${P}command`]: '/x', [`${P}timeout`]: 'invalid' }, phase);
    assert.equal(r.hook?.execTimeoutMs, 0);
    assert.deepEqual(r.issues.map((i) => i.code), ['duration-invalid']);
  });
  v(`V8: container set / absent (${phase})`, () => {
    assert.equal(read({ [`${P}command`]: '/x', [`${P}container`]: 'some-container' })?.container, 'some-container');
    assert.equal(read({ [`${P}command`]: '/x' })?.container, undefined);
  });
}

v('V9: on-error "fail" (lower case) → unset, reported', () => {
  const r = readBackupAnnotationHook({ [`${BPRE}command`]: '/x', [`${BPRE}on-error`]: 'fail' }, 'pre');
  assert.equal(r.hook?.onError, undefined);
  assert.deepEqual(r.issues.map((i) => [i.code, i.severity]), [['on-error-invalid', 'warning']]);
  const plan = planBackup([pod({ annotations: { [`${BPRE}command`]: '/x', [`${BPRE}on-error`]: 'fail' } })], undefined, 'pre');
  assert.equal(plan.hooks[0]?.onError, 'Continue');
});
v('V10: shell line stays one argv element, reported', () => {
  const r = readBackupAnnotationHook({ [`${BPRE}command`]: '/bin/sh -c "echo hi"' }, 'pre');
  assert.deepEqual(r.hook?.command, ['/bin/sh -c "echo hi"']);
  assert.deepEqual(r.issues.map((i) => i.code), ['command-shell-line']);
});
v('V11: command [] → empty command kept, reported as error', () => {
  const r = readBackupAnnotationHook({ [`${BPRE}command`]: '[]' }, 'pre');
  assert.deepEqual(r.hook?.command, []);
  assert.deepEqual(r.issues.map((i) => [i.code, i.severity]), [['command-empty', 'error']]);
});
v('V12: timeout "30" → invalid (missing unit) → default 30s', () => {
  const r = readBackupAnnotationHook({ [`${BPRE}command`]: '/x', [`${BPRE}timeout`]: '30' }, 'pre');
  assert.equal(r.hook?.execTimeoutMs, 0);
  assert.match(r.issues[0]?.message ?? '', /time: missing unit in duration "30"/);
  const plan = planBackup([pod({ annotations: { [`${BPRE}command`]: '/x', [`${BPRE}timeout`]: '30' } })], undefined, 'pre');
  assert.equal(plan.hooks[0]?.execTimeoutMs, 30_000);
});

// ---------- Annotation parsing — restore exec (13–19) ----------

v('V13: no annotations / command "" → no hook', () => {
  assert.equal(readRestoreExecAnnotationHook({}).hook, undefined);
  assert.equal(readRestoreExecAnnotationHook({ [`${REXEC}command`]: '' }).hook, undefined);
});
v('V14: command string → [cmd], waitForReady false', () => {
  const h = readRestoreExecAnnotationHook({ [`${REXEC}command`]: '/usr/bin/foo' }).hook;
  assert.deepEqual(h?.command, ['/usr/bin/foo']);
  assert.equal(h.waitForReady, false);
});
v('V15: JSON array command, waitForReady false', () => {
  const h = readRestoreExecAnnotationHook({ [`${REXEC}command`]: '["a","b"]' }).hook;
  assert.deepEqual(h?.command, ['a', 'b']);
  assert.equal(h.waitForReady, false);
});
v('V16: exec-timeout 45s, wait-timeout 1h', () => {
  const h = readRestoreExecAnnotationHook({ [`${REXEC}command`]: '/x', [`${REXEC}exec-timeout`]: '45s', [`${REXEC}wait-timeout`]: '1h' }).hook;
  assert.equal(h?.execTimeoutMs, 45_000);
  assert.equal(h.waitTimeoutMs, 3_600_000);
});
v('V17: exec-timeout / wait-timeout "none" → 0, reported', () => {
  const r = readRestoreExecAnnotationHook({ [`${REXEC}command`]: '/x', [`${REXEC}exec-timeout`]: 'none', [`${REXEC}wait-timeout`]: 'none' });
  assert.equal(r.hook?.execTimeoutMs, 0);
  assert.equal(r.hook.waitTimeoutMs, 0);
  assert.deepEqual(r.issues.map((i) => i.key), [`${REXEC}exec-timeout`, `${REXEC}wait-timeout`]);
});
v('V18: wait-for-ready TRUE or 1 → true; yes → false + warning', () => {
  assert.equal(readRestoreExecAnnotationHook({ [`${REXEC}command`]: '/x', [`${REXEC}wait-for-ready`]: 'TRUE' }).hook?.waitForReady, true);
  assert.equal(readRestoreExecAnnotationHook({ [`${REXEC}command`]: '/x', [`${REXEC}wait-for-ready`]: '1' }).hook?.waitForReady, true);
  const r = readRestoreExecAnnotationHook({ [`${REXEC}command`]: '/x', [`${REXEC}wait-for-ready`]: 'yes' });
  assert.equal(r.hook?.waitForReady, false);
  assert.deepEqual(r.issues.map((i) => [i.code, i.severity]), [['wait-for-ready-invalid', 'warning']]);
});
v('V19: post.hook.restore.velero.io/timeout ignored → exec timeout stays 30s', () => {
  const a = { [`${REXEC}command`]: '/x', [`${REXEC}timeout`]: '5m' };
  const r = readRestoreExecAnnotationHook(a);
  assert.equal(r.hook?.execTimeoutMs, 0);
  assert.deepEqual(r.issues.map((i) => i.code), ['restore-timeout-ignored']);
  assert.equal(planRestore([pod({ annotations: a })], undefined, gen).hooks[0]?.execTimeoutMs, 30_000);
});

// ---------- Annotation parsing — restore init (20–24) ----------

v('V20: image empty or missing → no init container', () => {
  assert.equal(readRestoreInitAnnotationHook({}, gen).hook, undefined);
  assert.equal(readRestoreInitAnnotationHook({ [`${RINIT}container-image`]: '' }, gen).hook, undefined);
});
v('V21: name empty or missing → generated name', () => {
  for (const a of [{ [`${RINIT}container-image`]: 'nginx', [`${RINIT}command`]: '/x' }, { [`${RINIT}container-image`]: 'nginx', [`${RINIT}container-name`]: '', [`${RINIT}command`]: '/x' }]) {
    assert.equal(readRestoreInitAnnotationHook(a, gen).hook?.initContainers[0]?.name, 'velero-restore-init-abcdef12');
  }
});
v('V22: command with spaces → single element', () => {
  const h = readRestoreInitAnnotationHook({ [`${RINIT}container-image`]: 'i', [`${RINIT}command`]: '/usr/bin/data-populator /user-data full' }, gen).hook;
  assert.deepEqual(h?.initContainers[0]?.command, ['/usr/bin/data-populator /user-data full']);
});
v('V23: JSON command → array; "[foobarbaz" → ["[foobarbaz"]', () => {
  assert.deepEqual(readRestoreInitAnnotationHook({ [`${RINIT}container-image`]: 'i', [`${RINIT}command`]: '["a","b","c"]' }, gen).hook?.initContainers[0]?.command, ['a', 'b', 'c']);
  assert.deepEqual(readRestoreInitAnnotationHook({ [`${RINIT}container-image`]: 'i', [`${RINIT}command`]: '[foobarbaz' }, gen).hook?.initContainers[0]?.command, ['[foobarbaz']);
});
v('V24: DEVIATION: image set, command missing → container without command (Velero 1.18.x panics)', () => {
  const r = readRestoreInitAnnotationHook({ [`${RINIT}container-image`]: 'nginx', [`${RINIT}container-name`]: 'n' }, gen);
  assert.deepEqual(r.hook?.initContainers, [{ name: 'n', image: 'nginx' }]);
  assert.deepEqual(r.issues.map((i) => [i.code, i.severity]), [['init-command-missing', 'error']]);
});

// ---------- Selector (25–33) ----------

const entry = (fields: Record<string, unknown>): BackupHooks['resources'][number] => {
  const r = backupHooks([{ name: 'h', pre: [exec(['/x'])], ...fields }]).resources[0];
  assert.ok(r);
  return r;
};

v('V25: no filters → applies to any namespace and resource', () => {
  const e = entry({});
  for (const ns of ['default', 'kube-system', 'x']) assert.equal(entryApplies(e, pod({ ns }), ns, 'backup').ok, true);
  assert.equal(resourceIncluded('anything.group', [], []), true);
});
v('V26: includedNamespaces [a,b] / excludedNamespaces [c,d]', () => {
  const e = entry({ includedNamespaces: ['a', 'b'], excludedNamespaces: ['c', 'd'] });
  assert.equal(entryApplies(e, pod(), 'b', 'backup').ok, true);
  assert.equal(entryApplies(entry({ includedNamespaces: ['a', 'b'] }), pod(), 'c', 'backup').ok, false);
  assert.equal(entryApplies(entry({ excludedNamespaces: ['a', 'b'] }), pod(), 'a', 'backup').ok, false);
});
v('V27: includedResources [foo.a, bar.b] / excludedResources', () => {
  assert.equal(resourceIncluded('foo.a', ['foo.a', 'bar.b'], []), true);
  assert.equal(resourceIncluded('baz.c', ['foo.a', 'bar.b'], []), false);
  assert.equal(resourceIncluded('bar.b', [], ['foo.a', 'bar.b']), false);
});
v('V28: labelSelector a=b', () => {
  const e = entry({ labelSelector: { matchLabels: { a: 'b' } } });
  assert.equal(entryApplies(e, pod({ labels: { a: 'b' } }), 'default', 'backup').ok, true);
  assert.equal(entryApplies(e, pod({ labels: { a: 'c' } }), 'default', 'backup').ok, false);
});
v('V29: backup entries that do not apply → no hooks, no error', () => {
  const cases: unknown[][] = [
    [{ name: 'h', excludedNamespaces: ['ns'], pre: [exec(['/x'])] }],
    [{ name: 'h', includedResources: ['widgets.group'], pre: [exec(['/x'])] }],
    [{ name: 'h', labelSelector: { matchLabels: { color: 'green' } }, pre: [exec(['/x'])] }],
    [{ name: 'h', pre: [{}, {}] }],
  ];
  for (const resources of cases) {
    const plan = planBackup([pod({ ns: 'ns', labels: { color: 'blue' } })], backupHooks(resources), 'pre');
    assert.deepEqual(plan.hooks, []);
    assert.equal(plan.skipped.length, 1);
  }
});
v('V31: includedNamespaces [app-*] matches app-1; excludedNamespaces [*] excludes everything', () => {
  assert.equal(entryApplies(entry({ includedNamespaces: ['app-*'] }), pod(), 'app-1', 'backup').ok, true);
  assert.equal(entryApplies(entry({ excludedNamespaces: ['*'] }), pod(), 'app-1', 'backup').ok, false);
});
v('V32: backup includedResources [deployments] → pod hooks never run (reported)', () => {
  const resources = [{ name: 'h', includedResources: ['deployments'], pre: [exec(['/x'])] }];
  const { issues } = parseBackupObject({ apiVersion: 'velero.io/v1', kind: 'Backup', spec: { hooks: { resources } } });
  assert.deepEqual(issues.map((i) => i.code), ['resources-exclude-pods']);
  const plan = planBackup([pod()], backupHooks(resources), 'pre');
  assert.deepEqual(plan.hooks, []);
  assert.match(plan.skipped[0]?.reason ?? '', /does not apply to pods \(includedResources: deployments\)/);
});
v('V33: restore includedResources [deployments] → ignored, hooks still run (reported as info)', () => {
  const resources = [{ name: 'h', includedResources: ['deployments'], postHooks: [exec(['/x'])] }];
  const { issues } = parseRestoreObject({ apiVersion: 'velero.io/v1', kind: 'Restore', spec: { hooks: { resources } } });
  assert.deepEqual(issues.map((i) => [i.code, i.severity]), [['resources-filter-ignored', 'info']]);
  assert.equal(planRestore([pod()], restoreHooks(resources), gen).hooks.length, 1);
});

// ---------- Backup handler (34–38, 43, 50, 52, 53) ----------

const twoByTwo = (phase: 'pre' | 'post'): unknown[] => [
  { name: 'hook1', [phase]: [exec(['1a']), exec(['1b'])] },
  { name: 'hook2', [phase]: [exec(['2a']), exec(['2b'])] },
];
for (const [n, phase] of [
  [34, 'pre'],
  [35, 'post'],
] as const) {
  v(`V${n}: two entries × two ${phase} hooks → four hooks in order with entry names`, () => {
    const plan = planBackup([pod()], backupHooks(twoByTwo(phase)), phase);
    assert.deepEqual(summary(plan), [
      'my-pod/container1:exec:spec:hook1#0:1a',
      'my-pod/container1:exec:spec:hook1#1:1b',
      'my-pod/container1:exec:spec:hook2#0:2a',
      'my-pod/container1:exec:spec:hook2#1:2b',
    ]);
    assert.ok(plan.hooks.every((h) => h.phase === phase));
  });
}
v('V36: legacy hook.backup.velero.io/{container,command} with phase pre', () => {
  const plan = planBackup([pod({ containers: ['x', 'c'], annotations: { [`${LEGACY}container`]: 'c', [`${LEGACY}command`]: '/bin/ls' } })], undefined, 'pre');
  assert.deepEqual(summary(plan), ['my-pod/c:exec:annotation:<from-annotation>#0:/bin/ls']);
  assert.deepEqual(planBackup([pod({ annotations: { [`${LEGACY}command`]: '/bin/ls' } })], undefined, 'post').hooks, []);
});
v('V37: pre. annotations with pre, post. annotations with post', () => {
  const a = { [`${BPRE}container`]: 'c', [`${BPRE}command`]: '/bin/ls', [`${BPOST}container`]: 'c', [`${BPOST}command`]: '/bin/ps' };
  assert.deepEqual(summary(planBackup([pod({ containers: ['c'], annotations: a })], undefined, 'pre')), ['my-pod/c:exec:annotation:<from-annotation>#0:/bin/ls']);
  assert.deepEqual(summary(planBackup([pod({ containers: ['c'], annotations: a })], undefined, 'post')), ['my-pod/c:exec:annotation:<from-annotation>#0:/bin/ps']);
});
v('V38 / V43: annotation + spec hooks → only the annotation hook (one attempted), override noted', () => {
  const detailed = planBackupDetailed([pod({ annotations: { [`${BPRE}command`]: '/ann' } })], backupHooks(twoByTwo('pre')), 'pre');
  assert.deepEqual(summary(detailed.plan), ['my-pod/container1:exec:annotation:<from-annotation>#0:/ann']);
  assert.deepEqual(detailed.notes.map((n) => n.kind), ['annotation-overrides-spec']);
  assert.match(detailed.notes[0]?.message ?? '', /replaces 4 pre spec hooks/);
});
v('V50: label selector operator "nonexistent-operator" → backup error, no hooks', () => {
  const b = backupHooks([{ name: 'h', labelSelector: { matchExpressions: [{ key: 'a', operator: 'nonexistent-operator', values: ['x'] }] }, pre: [exec(['/x'])] }]);
  assert.deepEqual(b.validationErrors, ['"nonexistent-operator" is not a valid label selector operator']);
  const plan = planBackup([pod({ annotations: { [`${BPRE}command`]: '/ann' } })], b, 'pre');
  assert.deepEqual(plan.hooks, []);
  assert.match(plan.skipped[0]?.reason ?? '', /"nonexistent-operator" is not a valid label selector operator/);
});
v('V52: annotation pre + spec pre and post → pre from annotation, post from spec', () => {
  const b = backupHooks([{ name: 'h', pre: [exec(['/spec-pre'])], post: [exec(['/spec-post'])] }]);
  const p = pod({ annotations: { [`${BPRE}command`]: '/ann-pre' } });
  assert.deepEqual(summary(planBackup([p], b, 'pre')), ['my-pod/container1:exec:annotation:<from-annotation>#0:/ann-pre']);
  assert.deepEqual(summary(planBackup([p], b, 'post')), ['my-pod/container1:exec:spec:h#0:/spec-post']);
});
v('V53: spec entry name "" → planned with empty name (runner fails "hookName is required"), reported', () => {
  const resources = [{ name: '', pre: [exec(['/x'])] }];
  const { issues } = parseBackupObject({ apiVersion: 'velero.io/v1', kind: 'Backup', spec: { hooks: { resources } } });
  assert.deepEqual(issues.map((i) => [i.code, i.severity]), [['spec-hook-name-empty', 'error']]);
  assert.equal(planBackup([pod()], backupHooks(resources), 'pre').hooks[0]?.name, '');
});

// ---------- Executor, pure parts (55–57) ----------

v('V55: missing container kept and noted; empty command reported; caller\'s hook not overwritten', () => {
  const b = backupHooks([{ name: 'h', pre: [exec(['/x'], { container: 'missing' })] }]);
  const detailed = planBackupDetailed([pod({ containers: ['foo'] })], b, 'pre');
  assert.equal(detailed.plan.hooks[0]?.container, 'missing');
  assert.deepEqual(detailed.notes.map((n) => n.kind), ['container-missing']);
  const { issues } = parseBackupObject({ apiVersion: 'velero.io/v1', kind: 'Backup', spec: { hooks: { resources: [{ name: 'h', pre: [exec([], { container: 'foo' })] }] } } });
  assert.deepEqual(issues.map((i) => i.code), ['command-empty']);
  const declared = backupHooks([{ name: 'h', pre: [exec(['/x'])] }]).resources[0]!.pre[0]!;
  const planned = planExecHook(declared, pod({ containers: ['foo'] }), 'default', 'pre');
  assert.equal(planned.container, 'foo');
  assert.equal(declared.container, undefined);
});
v('V56: defaults: container "" → first container, onError unset → Continue, timeout → 30s', () => {
  const b = backupHooks([{ name: 'h', pre: [exec(['some', 'command'], { container: '' })] }]);
  const h = planBackup([pod({ containers: ['foo', 'bar'] })], b, 'pre').hooks[0];
  assert.equal(h?.container, 'foo');
  assert.equal(h.onError, 'Continue');
  assert.equal(h.execTimeoutMs, 30_000);
  assert.deepEqual(h.command, ['some', 'command']);
});
v('V57: container bar, Continue, 10s → used as given', () => {
  const b = backupHooks([{ name: 'h', pre: [exec(['/x'], { container: 'bar', onError: 'Continue', timeout: '10s' })] }]);
  const h = planBackup([pod({ containers: ['foo', 'bar'] })], b, 'pre').hooks[0];
  assert.equal(h?.container, 'bar');
  assert.equal(h.onError, 'Continue');
  assert.equal(h.execTimeoutMs, 10_000);
});
v('V61 (pure part): DEVIATION from 1.18.x, as Velero main: timeout -1s → 30s, 100000h → 4h', () => {
  const b = backupHooks([
    { name: 'h', pre: [exec(['/a'], { timeout: '-1s' }), exec(['/b'], { timeout: '100000h' })] },
  ]);
  assert.deepEqual(planBackup([pod()], b, 'pre').hooks.map((h) => h.execTimeoutMs), [30_000, 14_400_000]);
});

// ---------- Restore grouping (63–72) ----------

const execHooksOf = (plan: Plan): Plan['hooks'] => plan.hooks.filter((h) => h.type === 'exec');

v('V63: no spec hooks, no annotations → nothing, pod skipped with reason', () => {
  const plan = planRestore([pod()], restoreHooks([]), gen);
  assert.deepEqual(plan.hooks, []);
  assert.deepEqual(plan.skipped, [{ namespace: 'default', pod: 'my-pod', reason: 'no hook annotations and no spec.hooks entries', code: 'no-hooks' }]);
});
v('V64: annotation hook (container1, Continue, 1s, 1m, wait-for-ready true)', () => {
  const a = {
    [`${REXEC}container`]: 'container1',
    [`${REXEC}command`]: '/usr/bin/foo',
    [`${REXEC}on-error`]: 'Continue',
    [`${REXEC}exec-timeout`]: '1s',
    [`${REXEC}wait-timeout`]: '1m',
    [`${REXEC}wait-for-ready`]: 'true',
  };
  assert.deepEqual(planRestore([pod({ annotations: a })], undefined, gen).hooks, [
    {
      namespace: 'default',
      pod: 'my-pod',
      container: 'container1',
      type: 'exec',
      source: 'annotation',
      name: '<from-annotation>',
      phase: 'restore',
      index: 0,
      command: ['/usr/bin/foo'],
      onError: 'Continue',
      execTimeoutMs: 1000,
      waitTimeoutMs: 60_000,
      waitForReady: true,
      velero: { version: '1.18', execTimeoutMs: 1000, onError: 'Continue', runs: true, notes: [] },
    },
  ]);
});
v('V65: annotation without container → first container', () => {
  assert.equal(planRestore([pod({ containers: ['c1', 'c2'], annotations: { [`${REXEC}command`]: '/x' } })], undefined, gen).hooks[0]?.container, 'c1');
});
v('V66: spec hook without waitForReady → false; without container → first container', () => {
  const h = planRestore([pod({ containers: ['c1', 'c2'] })], restoreHooks([{ name: 'h', postHooks: [exec(['/x'])] }]), gen).hooks[0];
  assert.equal(h?.waitForReady, false);
  assert.equal(h.container, 'c1');
});
v('V67: annotation + spec → only the annotation hook', () => {
  const d = planRestoreDetailed([pod({ annotations: { [`${REXEC}command`]: '/ann' } })], restoreHooks([{ name: 'h', postHooks: [exec(['/x'])] }]), gen);
  assert.deepEqual(summary(d.plan), ['my-pod/container1:exec:annotation:<from-annotation>#0:/ann']);
  assert.deepEqual(d.notes.map((n) => n.kind), ['annotation-overrides-spec']);
});
v('V68: only init hooks in spec → no exec hooks', () => {
  const plan = planRestore([pod()], restoreHooks([{ name: 'h', postHooks: [{ init: { initContainers: [initC('i')] } }] }]), gen);
  assert.deepEqual(execHooksOf(plan), []);
  assert.deepEqual(summary(plan), ['my-pod/i:init:spec:h#0:pwd']);
});
v('V69: spec entry for namespace "other", pod in "default" → nothing', () => {
  const plan = planRestore([pod()], restoreHooks([{ name: 'h', includedNamespaces: ['other'], postHooks: [exec(['/x'])] }]), gen);
  assert.deepEqual(plan.hooks, []);
  assert.equal(plan.skipped[0]?.reason, 'namespace "default" is not included by spec.hooks.resources[0] "h" (includedNamespaces: other)');
});
v('V70: grouping per container, spec-entry order then postHooks order', () => {
  const r = restoreHooks([
    {
      name: 'hook1',
      postHooks: [exec(['foo'], { container: 'c1', onError: 'Fail' }), exec(['baz'], { container: 'c2' }), exec(['bar'], { container: 'c1' })],
    },
    { name: 'hook2', postHooks: [exec(['aaa'], { container: 'c1', waitForReady: true })] },
  ]);
  assert.deepEqual(summary(planRestore([pod({ containers: ['c1', 'c2'] })], r, gen)), [
    'my-pod/c1:exec:spec:hook1#0:foo',
    'my-pod/c1:exec:spec:hook1#2:bar',
    'my-pod/c1:exec:spec:hook2#0:aaa',
    'my-pod/c2:exec:spec:hook1#1:baz',
  ]);
});
v('V71: hook counts after grouping: annotation 1; two spec hooks on two containers 2; annotation + spec 1', () => {
  const two = restoreHooks([{ name: 'h', postHooks: [exec(['/a'], { container: 'c1' }), exec(['/b'], { container: 'c2' })] }]);
  const p = pod({ containers: ['c1', 'c2'] });
  const ann = pod({ containers: ['c1', 'c2'], annotations: { [`${REXEC}command`]: '/x' } });
  assert.equal(planRestore([ann], undefined, gen).hooks.length, 1);
  assert.equal(planRestore([p], two, gen).hooks.length, 2);
  assert.equal(planRestore([ann], two, gen).hooks.length, 1);
});
v('V72: restore undefined, resources null, resources [] → nothing, no error', () => {
  for (const r of [undefined, restoreHooks(null), restoreHooks([])]) {
    const plan = planRestore([pod()], r, gen);
    assert.deepEqual(plan.hooks, []);
    assert.equal(plan.skipped.length, 1);
  }
});

// ---------- Restore init-container mutation (73–85) ----------

const annInit = { [`${RINIT}container-image`]: 'nginx', [`${RINIT}container-name`]: 'restore-init-container', [`${RINIT}command`]: '["a","b","c"]' };
const specInit = (extra: Record<string, unknown> = {}): RestoreHooks =>
  restoreHooks([{ name: 'h', includedNamespaces: ['default'], ...extra, postHooks: [{ init: { initContainers: [initC('hook1'), initC('hook2')] } }] }]);

v('V73: annotation hook on pod without init containers', () => {
  const r = injectInitHooks(pod({ annotations: annInit }), undefined, gen);
  assert.deepEqual(r.pod.spec.initContainers, [{ name: 'restore-init-container', image: 'nginx', command: ['a', 'b', 'c'] }]);
});
v('V74: annotation hook on pod with init steps → hook first, then steps', () => {
  const r = injectInitHooks(pod({ annotations: annInit, init: [initC('step1'), initC('step2'), initC('step3')] }), undefined, gen);
  assert.deepEqual(initNames(r.pod), ['restore-init-container', 'step1', 'step2', 'step3']);
});
v('V75: annotation + matching spec hook → only the annotation container', () => {
  assert.deepEqual(initNames(injectInitHooks(pod({ annotations: annInit }), specInit(), gen).pod), ['restore-init-container']);
});
v('V76: spec hook on pod without init containers → spec containers in order', () => {
  assert.deepEqual(initNames(injectInitHooks(pod(), specInit(), gen).pod), ['hook1', 'hook2']);
});
v('V77: spec hook + existing init containers → spec containers first', () => {
  assert.deepEqual(initNames(injectInitHooks(pod({ init: [initC('step1')] }), specInit(), gen).pod), ['hook1', 'hook2', 'step1']);
});
v('V78: spec hook whose namespace selector excludes "default" → unchanged', () => {
  const input = pod({ init: [initC('step1')] });
  const r = injectInitHooks(input, specInit({ includedNamespaces: [], excludedNamespaces: ['default'] }), gen);
  assert.deepEqual(r, { pod: input });
});
v('V79: existing [restore-wait] → [restore-wait, hook1, hook2]', () => {
  assert.deepEqual(initNames(injectInitHooks(pod({ init: [initC('restore-wait')] }), specInit(), gen).pod), ['restore-wait', 'hook1', 'hook2']);
});
v('V80: existing [restore-wait, step1, step2] → [restore-wait, hook1, hook2, step1, step2]', () => {
  const r = injectInitHooks(pod({ init: [initC('restore-wait'), initC('step1'), initC('step2')] }), specInit(), gen);
  assert.deepEqual(initNames(r.pod), ['restore-wait', 'hook1', 'hook2', 'step1', 'step2']);
  // Only index 0 is special: a later restore-wait stays where it is.
  const later = injectInitHooks(pod({ init: [initC('step1'), initC('restore-wait')] }), specInit(), gen);
  assert.deepEqual(initNames(later.pod), ['hook1', 'hook2', 'step1', 'restore-wait']);
});
v('V81: hooks undefined or empty → unchanged', () => {
  const input = pod({ init: [initC('step1')] });
  assert.deepEqual(injectInitHooks(input, undefined, gen), { pod: input });
  assert.deepEqual(injectInitHooks(input, restoreHooks([]), gen), { pod: input });
});
v('V82: namespaceMapping default→new: selector "default" no longer matches, "new" does', () => {
  const hook = (ns: string): unknown[] => [{ name: 'h', includedNamespaces: [ns], postHooks: [{ init: { initContainers: [initC('hook1')] } }] }];
  assert.deepEqual(initNames(injectInitHooks(pod(), restoreHooks(hook('default'), { default: 'new' }), gen).pod), []);
  assert.deepEqual(initNames(injectInitHooks(pod(), restoreHooks(hook('new'), { default: 'new' }), gen).pod), ['hook1']);
  assert.deepEqual(initNames(injectInitHooks(pod({ ns: 'elsewhere' }), restoreHooks(hook('new'), { default: 'new' }), { ...gen, sourceNamespace: 'default' }).pod), ['hook1']);
});
v('V83: spec init container missing command/name/image → error, pod not changed', () => {
  for (const bad of [{ name: 'x', image: 'i' }, { name: 'x', command: ['c'] }, { image: 'i', command: ['c'] }]) {
    const r = restoreHooks([{ name: 'h', postHooks: [{ init: { initContainers: [bad] } }] }]);
    const input = pod();
    const out = injectInitHooks(input, r, gen);
    assert.match(out.error ?? '', /invalid InitContainer in restore hook, it doesn't have Command, Name or Image field/);
    assert.deepEqual(out.pod, input);
  }
});
v('V84: ValidateContainer', () => {
  assert.equal(validateInitContainer({ name: 'test', image: 'busybox', command: ['pwd'] }), undefined);
  for (const bad of [{ image: 'busybox', command: ['pwd'] }, { name: 'test', command: ['pwd'] }, { name: 'test', image: 'busybox' }, { name: 'test', image: 'busybox', command: [] }]) {
    assert.equal(validateInitContainer(bad), INVALID_INIT_CONTAINER_MESSAGE);
  }
});
v('V85: only the init list changes (annotations); spec with ns default adds two containers', () => {
  const extra = { serviceAccountName: 'sa', volumes: [{ name: 'data', emptyDir: {} }] };
  const input = pod({ annotations: annInit, extraSpec: extra });
  const out = injectInitHooks(input, undefined, gen).pod;
  assert.deepEqual({ ...out, spec: { ...out.spec, initContainers: undefined } }, { ...input, spec: { ...input.spec, initContainers: undefined } });
  assert.equal(out.spec.serviceAccountName, 'sa');
  assert.equal(input.spec.initContainers, undefined); // input untouched
  const spec = restoreHooks([{ name: 'h', includedNamespaces: ['default'], includedResources: ['pods'], postHooks: [{ init: { initContainers: [initC('a'), initC('b')] } }] }]);
  assert.deepEqual(initNames(injectInitHooks(pod({ extraSpec: extra }), spec, gen).pod), ['a', 'b']);
});

for (const vector of vectors) void test(vector.name, vector.run);
