import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodManifest } from '../model/pod.ts';
import { lintSources } from '../lint/engine.ts';
import { planBackup } from '../plan/plan-backup.ts';
import { planToJson } from '../report/plan-json.ts';
import { renderPlanText } from '../report/plan-text.ts';
import { hookInjector, isVirtLauncherPod, readKubevirtFreezeHook } from './kubevirt.ts';

const freeze = '["/usr/bin/virt-freezer", "--freeze", "--name", "vm1", "--namespace", "vms"]';
const thaw = '["/usr/bin/virt-freezer", "--unfreeze", "--name", "vm1", "--namespace", "vms"]';

/** A virt-launcher pod with the annotations KubeVirt's virt-controller writes. */
function launcher(extra: Record<string, string> = {}, ns = 'vms'): PodManifest {
  return {
    metadata: {
      name: 'virt-launcher-vm1-abcde',
      namespace: ns,
      labels: { 'kubevirt.io': 'virt-launcher', 'vm.kubevirt.io/name': 'vm1' },
      annotations: {
        'pre.hook.backup.velero.io/container': 'compute',
        'pre.hook.backup.velero.io/command': freeze,
        'pre.hook.backup.velero.io/timeout': '60s',
        'post.hook.backup.velero.io/container': 'compute',
        'post.hook.backup.velero.io/command': thaw,
        ...extra,
      },
    },
    spec: { containers: [{ name: 'compute' }] },
  };
}

void test('virt-freezer hooks are recognised; anything else is not', () => {
  const cases: readonly [Parameters<typeof readKubevirtFreezeHook>[0], ReturnType<typeof readKubevirtFreezeHook>][] = [
    [{ source: 'annotation', command: ['/usr/bin/virt-freezer', '--freeze', '--name', 'vm1', '--namespace', 'vms'] }, { action: 'freeze', vmi: 'vm1', vmiNamespace: 'vms' }],
    [{ source: 'annotation', command: ['/usr/bin/virt-freezer', '--unfreeze', '--name', 'vm1'] }, { action: 'unfreeze', vmi: 'vm1', vmiNamespace: undefined }],
    [{ source: 'annotation', command: ['/usr/bin/virt-freezer'] }, undefined],
    [{ source: 'spec', command: ['/usr/bin/virt-freezer', '--freeze'] }, undefined],
    [{ source: 'annotation', command: ['virt-freezer', '--freeze'] }, undefined],
    [{ source: 'annotation', command: ['/bin/fsfreeze', '--freeze', '/data'] }, undefined],
  ];
  for (const [hook, want] of cases) {
    assert.deepEqual(readKubevirtFreezeHook(hook), want, hook.command.join(' '));
    assert.equal(hookInjector(hook), want === undefined ? undefined : 'kubevirt');
  }
  assert.equal(isVirtLauncherPod({ 'kubevirt.io': 'virt-launcher' }), true);
  assert.equal(isVirtLauncherPod({ 'kubevirt.io': 'virt-handler' }), false);
  assert.equal(isVirtLauncherPod(undefined), false);
});

void test('plan labels KubeVirt hooks injectedBy kubevirt (JSON and text), with KubeVirt\'s 60s pre and default post timeout', () => {
  const pre = planBackup([launcher()], undefined, 'pre');
  const post = planBackup([launcher()], undefined, 'post');
  const json = planToJson(pre);
  assert.equal(json.hooks[0]?.injectedBy, 'kubevirt');
  assert.equal(json.hooks[0].container, 'compute');
  assert.equal(json.hooks[0].execTimeoutMs, 60_000);
  assert.equal(post.hooks[0]?.injectedBy, 'kubevirt');
  assert.equal(post.hooks[0].execTimeoutMs, 30_000);
  const text = renderPlanText(pre);
  assert.match(text, /annotation \(KubeVirt\)/);
  assert.match(text, /injected by KubeVirt.*exit 0 does not prove a freeze/);
  // A user's own hook is not labelled.
  const own = planBackup([{ ...launcher(), metadata: { ...launcher().metadata, annotations: { 'pre.hook.backup.velero.io/command': '/bin/sync' } } }], undefined, 'pre');
  assert.equal(planToJson(own).hooks[0]?.injectedBy, undefined);
  assert.ok(!('injectedBy' in (planToJson(own).hooks[0] ?? {})));
});

function lintPod(pod: PodManifest) {
  const text = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod });
  return lintSources([{ file: 'p.json', text }]).diagnostics.filter((d) => d.code === 'kubevirt-freeze-hook');
}

void test('lint explains what virt-freezer\'s exit 0 can mean, and how to opt out', () => {
  const d = lintPod(launcher());
  assert.deepEqual(d.map((x) => [x.severity, x.key]), [['info', 'pre.hook.backup.velero.io/command'], ['info', 'post.hook.backup.velero.io/command']]);
  assert.match(d[0]?.message ?? '', /KubeVirt's own hook on this virt-launcher pod.*exits 0 without freezing anything when the VM has no guest agent or is paused/);
  assert.match(d[0]?.hint ?? '', /kubevirt\.io\/skip-backup-hooks: "true"/);
  assert.match(d[0]?.hint ?? '', /AgentConnected/);
});

void test('lint warns about KubeVirt hooks copied to the wrong container or namespace', () => {
  const wrong = lintPod(launcher({ 'pre.hook.backup.velero.io/container': 'app' }, 'other'));
  const warnings = wrong.filter((x) => x.severity === 'warning').map((x) => x.message);
  assert.equal(warnings.length, 3, warnings.join('\n'));
  assert.ok(warnings.some((m) => /"app": virt-freezer lives in KubeVirt's "compute" container/.test(m)));
  assert.ok(warnings.some((m) => /--namespace "vms" is not the pod's namespace "other"/.test(m)));
  assert.deepEqual(lintPod({ ...launcher(), metadata: { ...launcher().metadata, annotations: { 'pre.hook.backup.velero.io/command': '/bin/sync' } } }), []);
});
