import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodManifest } from '../model/pod.ts';
import { planBackup } from '../plan/plan-backup.ts';
import { planRestore } from '../plan/plan-restore.ts';
import { lintSources } from '../lint/engine.ts';
import { readBackupAnnotationHook, readRestoreExecAnnotationHook } from './annotations.ts';
import {
  DEFAULT_VELERO_VERSION,
  VELERO_PROFILES,
  effectiveOnError,
  parseVeleroVersion,
  veleroExecTimeoutMs,
  veleroProfile,
  type VeleroVersion,
} from './profiles.ts';
import { parseBackupObject, parseRestoreObject } from './spec.ts';

const H = 3_600_000;
const p18 = VELERO_PROFILES['1.18'];
const p19 = VELERO_PROFILES['1.19'];

void test('the default profile is 1.18 (the latest release)', () => {
  assert.equal(DEFAULT_VELERO_VERSION, '1.18');
  assert.equal(veleroProfile(undefined), p18);
});

void test('--velero-version values', () => {
  const cases: readonly [string, VeleroVersion | undefined][] = [
    ['1.18', '1.18'], ['1.18.3', '1.18'], ['v1.18.2', '1.18'], ['1.19', '1.19'], ['1.19.0', '1.19'], ['main', '1.19'],
    ['1.17', undefined], ['1.2', undefined], ['18', undefined], ['', undefined], ['1.18.x', undefined], ['latest', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseVeleroVersion(text), want, text);
});

void test('exec timeout per profile (PR #10125): <= 0 and the 4h cap', () => {
  // [declared ms, 1.18.x, 1.19]; null = no timer at all.
  const cases: readonly [number, number | null, number | null][] = [
    [0, 30_000, 30_000],
    [-1000, null, 30_000],
    [-0.001, null, 30_000],
    [45_000, 45_000, 45_000],
    [4 * H, 4 * H, 4 * H],
    [100_000 * H, 100_000 * H, 4 * H],
  ];
  for (const [ms, want18, want19] of cases) {
    assert.equal(veleroExecTimeoutMs(p18, ms), want18, `1.18 ${ms}`);
    assert.equal(veleroExecTimeoutMs(p19, ms), want19, `1.19 ${ms}`);
  }
});

void test('onError as Velero acts on it, per phase (FailBlock: pre only)', () => {
  const cases: readonly [Parameters<typeof effectiveOnError>[0], Parameters<typeof effectiveOnError>[1], string][] = [
    [undefined, 'pre', 'Continue'], ['Fail', 'post', 'Fail'], ['Continue', 'restore', 'Continue'],
    ['FailBlock', 'pre', 'FailBlock'], ['FailBlock', 'post', 'Fail'], ['FailBlock', 'restore', 'Continue'],
  ];
  for (const [declared, phase, want] of cases) assert.equal(effectiveOnError(declared, phase), want, `${String(declared)} ${phase}`);
});

void test('FailBlock in annotations: 1.18 ignores it (Continue, warning), 1.19 reads it (post/restore: no-effect warning)', () => {
  const backup = (version: VeleroVersion, phase: 'pre' | 'post') => {
    const prefix = `${phase}.hook.backup.velero.io/`;
    const r = readBackupAnnotationHook({ [`${prefix}command`]: '/bin/freeze', [`${prefix}on-error`]: 'FailBlock' }, phase, { veleroVersion: version });
    return { onError: r.hook?.onError, codes: r.issues.map((i) => i.code), messages: r.issues.map((i) => i.message) };
  };
  const restore = (version: VeleroVersion) => {
    const r = readRestoreExecAnnotationHook({ 'post.hook.restore.velero.io/command': '/bin/warm', 'post.hook.restore.velero.io/on-error': 'FailBlock' }, { veleroVersion: version });
    return { onError: r.hook?.onError, codes: r.issues.map((i) => i.code), messages: r.issues.map((i) => i.message) };
  };
  const pre18 = backup('1.18', 'pre');
  assert.equal(pre18.onError, undefined);
  assert.deepEqual(pre18.codes, ['on-error-invalid']);
  assert.match(pre18.messages[0] ?? '', /not known to Velero 1\.18\.x.*behaves as Continue.*--velero-version 1\.19/);
  const pre19 = backup('1.19', 'pre');
  assert.equal(pre19.onError, 'FailBlock');
  assert.deepEqual(pre19.codes, ['on-error-failblock']);
  assert.match(pre19.messages[0] ?? '', /Velero 1\.19 leaves the pod's whole ItemBlock out.*Velero 1\.18\.x does not know the value/);
  const post19 = backup('1.19', 'post');
  assert.equal(post19.onError, 'FailBlock');
  assert.deepEqual(post19.codes, ['on-error-failblock-no-effect']);
  assert.match(post19.messages[0] ?? '', /nothing more than "Fail" on a post hook/);
  const r19 = restore('1.19');
  assert.deepEqual(r19.codes, ['on-error-failblock-no-effect']);
  assert.match(r19.messages[0] ?? '', /does nothing on a restore hook.*Continue/);
  assert.deepEqual(restore('1.18').codes, ['on-error-invalid']);
  // Lower case is still a typo under 1.19, with the right suggestion.
  const typo = readBackupAnnotationHook({ 'pre.hook.backup.velero.io/command': '/x', 'pre.hook.backup.velero.io/on-error': 'failblock' }, 'pre', { veleroVersion: '1.19' });
  assert.equal(typo.issues[0]?.hint, 'Write "FailBlock" (case-sensitive).');
  assert.match(typo.issues[0].message, /"Continue", "Fail" or "FailBlock"/);
});

const backupObject = (onError: string, list: 'pre' | 'post' = 'pre'): unknown => ({
  apiVersion: 'velero.io/v1',
  kind: 'Backup',
  metadata: { name: 'b', namespace: 'velero' },
  spec: { hooks: { resources: [{ name: 'freeze', [list]: [{ exec: { command: ['/bin/freeze'], onError } }] }] } },
});

void test('FailBlock in spec.hooks: the 1.18 CRD rejects the object (error, validation error); 1.19 accepts it', () => {
  const b18 = parseBackupObject(backupObject('FailBlock'), { veleroVersion: '1.18' });
  assert.deepEqual(b18.issues.map((i) => [i.code, i.severity, i.key]), [['on-error-invalid', 'error', 'spec.hooks.resources[0].pre[0].exec.onError']]);
  assert.match(b18.issues[0]?.message ?? '', /not in the Velero 1\.18\.x CRD enum \("Continue" or "Fail"\)/);
  assert.ok((b18.backup?.validationErrors.length ?? 0) > 0);
  const b19 = parseBackupObject(backupObject('FailBlock'), { veleroVersion: '1.19' });
  assert.deepEqual(b19.issues.map((i) => [i.code, i.severity]), [['on-error-failblock', 'info']]);
  assert.match(b19.issues[0]?.message ?? '', /the Velero 1\.18\.x CRD rejects the value/);
  assert.equal(b19.backup?.resources[0]?.pre[0]?.onError, 'FailBlock');
  assert.deepEqual(b19.backup.validationErrors, []);
  const post19 = parseBackupObject(backupObject('FailBlock', 'post'), { veleroVersion: '1.19' });
  assert.deepEqual(post19.issues.map((i) => [i.code, i.severity]), [['on-error-failblock-no-effect', 'warning']]);
  const restore = {
    apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' },
    spec: { hooks: { resources: [{ name: 'warm', postHooks: [{ exec: { command: ['/w'], onError: 'FailBlock' } }] }] } },
  };
  assert.deepEqual(parseRestoreObject(restore, { veleroVersion: '1.19' }).issues.map((i) => i.code), ['on-error-failblock-no-effect']);
  assert.deepEqual(parseRestoreObject(restore, { veleroVersion: '1.18' }).issues.map((i) => [i.code, i.severity]), [['on-error-invalid', 'error']]);
  // Other values are refused the same way under both.
  for (const v of ['1.18', '1.19'] as const) assert.equal(parseBackupObject(backupObject('fail'), { veleroVersion: v }).issues[0]?.hint, 'Write "Fail" (case-sensitive).');
});

function pod(o: { containers?: string[]; sidecars?: string[]; annotations?: Record<string, string>; labels?: Record<string, string>; ns?: string } = {}): PodManifest {
  return {
    metadata: { name: 'p', namespace: o.ns ?? 'db', ...(o.annotations === undefined ? {} : { annotations: o.annotations }), ...(o.labels === undefined ? {} : { labels: o.labels }) },
    spec: {
      containers: (o.containers ?? ['app']).map((name) => ({ name })),
      ...(o.sidecars === undefined ? {} : { initContainers: o.sidecars.map((name) => ({ name, restartPolicy: 'Always' })) }),
    },
  };
}

void test('plan: hooks[].velero per profile (timeouts, sidecar targets, FailBlock, missing restore container)', () => {
  const spec = (exec: Record<string, unknown>, list: 'pre' | 'post' = 'pre') =>
    parseBackupObject({ apiVersion: 'velero.io/v1', kind: 'Backup', spec: { hooks: { resources: [{ name: 'h', [list]: [{ exec: { command: ['/x'], ...exec } }] }] } } }, { veleroVersion: '1.19' }).backup;
  const cases: readonly {
    name: string; version: VeleroVersion; exec: Record<string, unknown>; list?: 'pre' | 'post'; pod?: PodManifest;
    kubehooks: { execTimeoutMs: number; onError: string }; velero: { execTimeoutMs: number | null; onError: string; runs: boolean }; note?: RegExp;
  }[] = [
    { name: 'negative 1.18', version: '1.18', exec: { timeout: '-1s' }, kubehooks: { execTimeoutMs: 30_000, onError: 'Continue' }, velero: { execTimeoutMs: null, onError: 'Continue', runs: true }, note: /on Velero 1\.18\.x this negative exec timeout means no timeout at all.*Velero 1\.19 \(main\) the default 30s; kubehooks applies 30s/ },
    { name: 'negative 1.19', version: '1.19', exec: { timeout: '-1s' }, kubehooks: { execTimeoutMs: 30_000, onError: 'Continue' }, velero: { execTimeoutMs: 30_000, onError: 'Continue', runs: true }, note: /on Velero 1\.19 \(main\) this negative exec timeout means the default 30s; on Velero 1\.18\.x no timeout at all/ },
    { name: 'huge 1.18', version: '1.18', exec: { timeout: '100000h' }, kubehooks: { execTimeoutMs: 4 * H, onError: 'Continue' }, velero: { execTimeoutMs: 100_000 * H, onError: 'Continue', runs: true }, note: /over-4h exec timeout means the value as written; on Velero 1\.19 \(main\) the 4h cap/ },
    { name: 'huge 1.19', version: '1.19', exec: { timeout: '100000h' }, kubehooks: { execTimeoutMs: 4 * H, onError: 'Continue' }, velero: { execTimeoutMs: 4 * H, onError: 'Continue', runs: true }, note: /this over-4h exec timeout means the 4h cap; on Velero 1\.18\.x the value as written; kubehooks applies 4h0m0s/ },
    { name: 'zero', version: '1.18', exec: { timeout: '0s' }, kubehooks: { execTimeoutMs: 30_000, onError: 'Continue' }, velero: { execTimeoutMs: 30_000, onError: 'Continue', runs: true } },
    { name: 'sidecar 1.18', version: '1.18', exec: { container: 'proxy' }, pod: pod({ sidecars: ['proxy'] }), kubehooks: { execTimeoutMs: 30_000, onError: 'Continue' }, velero: { execTimeoutMs: 30_000, onError: 'Continue', runs: false }, note: /Velero 1\.18\.x fails it with no such container: "proxy".*PR #9403\); kubehooks runs it/ },
    { name: 'sidecar 1.19', version: '1.19', exec: { container: 'proxy' }, pod: pod({ sidecars: ['proxy'] }), kubehooks: { execTimeoutMs: 30_000, onError: 'Continue' }, velero: { execTimeoutMs: 30_000, onError: 'Continue', runs: true }, note: /Velero 1\.19 \(main\) execs in it; Velero 1\.18\.x fails it/ },
    { name: 'missing container', version: '1.19', exec: { container: 'nope' }, kubehooks: { execTimeoutMs: 30_000, onError: 'Continue' }, velero: { execTimeoutMs: 30_000, onError: 'Continue', runs: false } },
    { name: 'FailBlock pre', version: '1.19', exec: { onError: 'FailBlock' }, kubehooks: { execTimeoutMs: 30_000, onError: 'FailBlock' }, velero: { execTimeoutMs: 30_000, onError: 'FailBlock', runs: true }, note: /whole ItemBlock/ },
    { name: 'FailBlock post', version: '1.19', exec: { onError: 'FailBlock' }, list: 'post', kubehooks: { execTimeoutMs: 30_000, onError: 'Fail' }, velero: { execTimeoutMs: 30_000, onError: 'Fail', runs: true } },
  ];
  for (const c of cases) {
    const b = spec(c.exec, c.list);
    assert.ok(b, c.name);
    const plan = planBackup([c.pod ?? pod()], b, c.list ?? 'pre', { veleroVersion: c.version });
    assert.equal(plan.veleroVersion, c.version, c.name);
    const h = plan.hooks[0];
    assert.ok(h, c.name);
    assert.deepEqual({ execTimeoutMs: h.execTimeoutMs, onError: h.onError }, c.kubehooks, c.name);
    assert.deepEqual({ execTimeoutMs: h.velero?.execTimeoutMs, onError: h.velero?.onError, runs: h.velero?.runs }, c.velero, c.name);
    assert.equal(h.velero?.version, c.version, c.name);
    if (c.note === undefined) assert.deepEqual(h.velero.notes, [], c.name);
    else assert.match(h.velero.notes.join(' | '), c.note, c.name);
  }
});

void test('plan: the default profile is 1.18 and annotation FailBlock is Continue there', () => {
  const annotated = pod({ annotations: { 'pre.hook.backup.velero.io/command': '/x', 'pre.hook.backup.velero.io/on-error': 'FailBlock' } });
  const d = planBackup([annotated], undefined, 'pre');
  assert.equal(d.veleroVersion, '1.18');
  assert.equal(d.hooks[0]?.onError, 'Continue');
  assert.equal(planBackup([annotated], undefined, 'pre', { veleroVersion: '1.19' }).hooks[0]?.onError, 'FailBlock');
});

void test('plan: a restore hook for a missing container or a sidecar says what each Velero does (#9749)', () => {
  const r = parseRestoreObject({
    apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' },
    spec: { hooks: { resources: [{ name: 'warm', postHooks: [{ exec: { command: ['/w'], container: 'gone' } }, { exec: { command: ['/w'], container: 'proxy' } }] }] } },
  }).restore;
  const gen = { generateName: () => 'velero-restore-init-00000000' };
  for (const [version, missing] of [['1.18', /Finalizing forever.*#9749/], ['1.19', /--resource-timeout.*PartiallyFailed.*PR #9750/]] as const) {
    const plan = planRestore([pod({ sidecars: ['proxy'] })], r, { ...gen, policy: { veleroVersion: version } });
    const [gone, proxy] = plan.hooks;
    assert.equal(gone?.velero?.runs, false);
    assert.match(gone.velero.notes[0] ?? '', missing);
    assert.match(gone.velero.notes[0] ?? '', /kubehooks fails it at once/);
    assert.equal(proxy?.velero?.runs, false);
    assert.match(proxy.velero.notes[0] ?? '', /native sidecar "proxy".*kubehooks runs it once the sidecar is started/);
  }
});

void test('lint --velero-version: the sidecar and FailBlock messages follow the profile', () => {
  const yaml = [
    'apiVersion: v1', 'kind: Pod', 'metadata: {name: p, namespace: db, annotations: {pre.hook.backup.velero.io/command: /x, pre.hook.backup.velero.io/container: proxy, post.hook.backup.velero.io/command: /y, post.hook.backup.velero.io/on-error: FailBlock}}',
    'spec: {containers: [{name: app}], initContainers: [{name: proxy, restartPolicy: Always}]}',
  ].join('\n');
  const run = (veleroVersion: VeleroVersion) =>
    lintSources([{ file: 'p.yaml', text: yaml }], { veleroVersion }).diagnostics.map((d) => [d.code, d.severity, d.message] as const);
  const l18 = run('1.18');
  const side18 = l18.find((d) => d[0] === 'container-not-found');
  assert.equal(side18?.[1], 'warning');
  assert.match(side18[2], /Velero 1\.18\.x fails the hook with no such container.*kubehooks runs it/);
  assert.deepEqual(l18.filter((d) => d[0].startsWith('on-error')).map((d) => d[0]), ['on-error-invalid']);
  const l19 = run('1.19');
  const side19 = l19.find((d) => d[0] === 'container-not-found');
  assert.equal(side19?.[1], 'info');
  assert.match(side19[2], /Velero 1\.19 \(main\) and kubehooks exec in it; Velero 1\.18\.x fails the hook/);
  assert.deepEqual(l19.filter((d) => d[0].startsWith('on-error')).map((d) => d[0]), ['on-error-failblock-no-effect']);
});

void test('lint: a negative or over-4h exec timeout names both versions', () => {
  const yaml = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {pre.hook.backup.velero.io/command: /x, pre.hook.backup.velero.io/timeout: -5s, post.hook.backup.velero.io/command: /y, post.hook.backup.velero.io/timeout: 100000h}}\nspec: {containers: [{name: app}]}\n';
  const d = lintSources([{ file: 'p.yaml', text: yaml }]).diagnostics;
  assert.match(d.find((x) => x.code === 'duration-negative')?.message ?? '', /on Velero 1\.18\.x this negative exec timeout disables the timer.*Velero 1\.19 and kubehooks use the default 30s/);
  assert.match(d.find((x) => x.code === 'duration-too-long')?.message ?? '', /Velero 1\.19 and kubehooks cap it to 4h; Velero 1\.18\.x applies it as written/);
});
