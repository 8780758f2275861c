/**
 * The HookRun API and the controller's deployment on the real kube-apiserver: `kubehooks manifests
 * controller` and the Helm chart both pass `kubectl apply --dry-run=server` and render the same
 * objects; the CRD refuses invalid specs with messages that name the field; the spec is frozen once
 * the run has started.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { e2eContext } from './harness/index.ts';
import { kubectl, kubectlSkipReason, kubehooks, run } from './admission-support.ts';

const skip = kubectlSkipReason();
const REPO = resolve(import.meta.dirname, '..');
const CHART = resolve(REPO, 'deploy', 'helm', 'kubehooks');

type Obj = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

function docs(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** The pinned Helm, built from the Go module proxy on first use (scripts/cluster/build-helm.sh). */
function helmBinary(): string | undefined {
  const built = spawnSync('bash', [resolve(REPO, 'scripts', 'cluster', 'build-helm.sh')], { encoding: 'utf8', timeout: 900_000 });
  if (built.status === 0) return built.stdout.trim();
  const onPath = spawnSync('helm', ['version', '--short'], { encoding: 'utf8', timeout: 10_000 });
  return onPath.status === 0 ? 'helm' : undefined;
}

async function installCrd(kubeconfig: string): Promise<void> {
  const out = await kubehooks(['manifests', 'controller', '--image', 'kubehooks:e2e']);
  assert.equal(out.code, 0, out.stderr);
  const crd = docs(out.stdout).find((o) => o.kind === 'CustomResourceDefinition');
  assert.ok(crd !== undefined);
  const applied = await kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify(crd));
  assert.equal(applied.code, 0, applied.stderr);
  const established = await kubectl(kubeconfig, ['wait', '--for=condition=Established', '--timeout=30s', 'crd/hookruns.kubehooks.dev']);
  assert.equal(established.code, 0, established.stderr);
}

const BACKUP = { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'nightly' }, spec: {} };
const RESTORE = { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r1' }, spec: { backupName: 'nightly' } };

function hookRun(ns: string, name: string, spec: unknown): string {
  return JSON.stringify({ apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name, namespace: ns }, spec });
}

interface InvalidCase {
  readonly name: string;
  readonly spec: unknown;
  /** Must match kubectl's stderr: the field path and what is wrong. */
  readonly message: RegExp;
}

const INVALID: readonly InvalidCase[] = [
  { name: 'phase not in the set', spec: { phase: 'pre', backup: BACKUP }, message: /spec\.phase: Unsupported value: "pre": supported values: "pre-backup", "post-backup", "post-restore"/ },
  { name: 'phase missing', spec: { backup: BACKUP }, message: /spec\.phase: Required value/ },
  { name: 'no hook source', spec: { phase: 'pre-backup' }, message: /spec: Required value: exactly one of spec\.backup, spec\.backupRef, spec\.restore or spec\.restoreRef must be set/ },
  { name: 'two hook sources', spec: { phase: 'pre-backup', backup: BACKUP, backupRef: { name: 'nightly' } }, message: /exactly one of spec\.backup, spec\.backupRef/ },
  { name: 'a Backup for post-restore', spec: { phase: 'post-restore', backup: BACKUP }, message: /spec\.phase: Invalid value: phase post-restore takes spec\.restore or spec\.restoreRef, not a Backup/ },
  { name: 'a Restore for pre-backup', spec: { phase: 'pre-backup', restoreRef: { name: 'r1' } }, message: /spec\.phase: Invalid value: phase pre-backup takes spec\.backup or spec\.backupRef, not a Restore/ },
  { name: 'inline restore of the wrong kind', spec: { phase: 'post-restore', restore: { ...BACKUP } }, message: /spec\.restore\.kind: Invalid value: kind must be Restore/ },
  { name: 'inline backup of another API group', spec: { phase: 'pre-backup', backup: { ...BACKUP, apiVersion: 'v1' } }, message: /spec\.backup\.apiVersion: Invalid value: must be a velero\.io\/v1 object/ },
  { name: 'inline object without apiVersion', spec: { phase: 'post-restore', restore: { kind: 'Restore' } }, message: /spec\.restore\.apiVersion: Required value/ },
  { name: 'reference without a name', spec: { phase: 'post-restore', restoreRef: { namespace: 'velero' } }, message: /spec\.restoreRef\.name: Required value/ },
  { name: 'reference to an invalid namespace', spec: { phase: 'post-restore', restoreRef: { namespace: 'Velero', name: 'r1' } }, message: /spec\.restoreRef\.namespace: Invalid value: "Velero"/ },
  { name: 'deadline without a unit', spec: { phase: 'post-restore', restore: RESTORE, deadline: '30' }, message: /spec\.deadline: Invalid value: "30": spec\.deadline in body should match/ },
  { name: 'negative deadline', spec: { phase: 'post-restore', restore: RESTORE, deadline: '-5s' }, message: /spec\.deadline: Invalid value: "-5s": must not be negative/ },
  { name: 'concurrency 0', spec: { phase: 'post-restore', restore: RESTORE, concurrency: 0 }, message: /spec\.concurrency: Invalid value: 0: spec\.concurrency in body should be greater than or equal to 1/ },
  { name: 'concurrency over 1000', spec: { phase: 'post-restore', restore: RESTORE, concurrency: 1001 }, message: /spec\.concurrency: Invalid value: 1001/ },
  { name: 'namespace that is not a name', spec: { phase: 'pre-backup', backup: BACKUP, namespaces: ['Bad_NS'] }, message: /spec\.namespaces\[0\]: Invalid value: "Bad_NS"/ },
  { name: 'selector In without values', spec: { phase: 'pre-backup', backup: BACKUP, selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }, message: /spec\.selector\.matchExpressions\[0\]\.values: Invalid value: values must be non-empty for In and NotIn/ },
  { name: 'selector with an unknown operator', spec: { phase: 'pre-backup', backup: BACKUP, selector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['x'] }] } }, message: /spec\.selector\.matchExpressions\[0\]\.operator: Unsupported value: "Equals"/ },
  { name: 'noOutput not a boolean', spec: { phase: 'pre-backup', backup: BACKUP, noOutput: 'yes' }, message: /spec\.noOutput: Invalid value: "string": spec\.noOutput in body must be of type boolean/ },
  { name: 'a misspelt field', spec: { phase: 'pre-backup', backup: BACKUP, concurency: 2 }, message: /unknown field "spec\.concurency"/ },
];

void describe('HookRun API and controller manifests on kube-apiserver', () => {
  void test('manifests controller: kubectl apply --dry-run=server accepts every object (cluster-wide and per namespace)', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    for (const extra of [[], ['--watch-namespace', ctx.namespace]]) {
      const out = await kubehooks(['manifests', 'controller', '--image', 'registry.example/kubehooks:0.1.0', '-n', ctx.namespace, ...extra]);
      assert.equal(out.code, 0, out.stderr);
      const objects = docs(out.stdout);
      const applied = await kubectl(ctx.kubeconfigPath, ['apply', '--dry-run=server', '-f', '-'], out.stdout);
      assert.equal(applied.code, 0, applied.stderr);
      for (const o of objects) assert.match(applied.stdout, new RegExp(`${o.metadata.name}.*\\(server dry run\\)`), `${o.kind} ${o.metadata.name} not applied`);
      const deployment = objects.find((o) => o.kind === 'Deployment');
      assert.match(JSON.stringify(deployment), /"image":"registry\.example\/kubehooks:0\.1\.0"/);
      const kinds = objects.map((o) => o.kind);
      assert.deepEqual(kinds.includes('ClusterRole'), extra.length === 0, kinds.join(','));
    }
  });

  void test('the Helm chart renders the same controller objects and passes kubectl apply --dry-run=server', { skip: skip === false ? (helmBinary() === undefined ? 'helm not available and not buildable (needs Go)' : false) : skip }, async (t) => {
    const ctx = await e2eContext(t);
    const helm = helmBinary() ?? 'helm';
    for (const watch of [[], [ctx.namespace]]) {
      const set = ['--set', 'controller.enabled=true', '--set', 'controller.image.repository=registry.example/kubehooks', '--set', 'controller.image.tag=0.1.0'];
      if (watch.length > 0) set.push('--set', `controller.watchNamespaces={${watch.join(',')}}`);
      const rendered = await run(helm, ['template', 'kubehooks', CHART, '-n', ctx.namespace, '--kube-version', '1.36.3', '--include-crds', ...set]);
      assert.equal(rendered.code, 0, rendered.stderr);
      const applied = await kubectl(ctx.kubeconfigPath, ['apply', '--dry-run=server', '-f', '-'], rendered.stdout);
      assert.equal(applied.code, 0, applied.stderr);
      const printed = await kubehooks(['manifests', 'controller', '--image', 'registry.example/kubehooks:0.1.0', '-n', ctx.namespace, ...watch.flatMap((n) => ['--watch-namespace', n])]);
      const fromChart = docs(rendered.stdout);
      // The chart leaves the Namespace to `helm install --create-namespace`; everything else is the same set.
      const fromCli = docs(printed.stdout).filter((o) => o.kind !== 'Namespace');
      const id = (o: Obj): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      assert.deepEqual(fromChart.map(id).sort(), fromCli.map(id).sort());
      const same = (kind: string, pick: (o: Obj) => unknown): void => {
        for (const o of fromCli.filter((x) => x.kind === kind)) {
          const c = fromChart.find((x) => id(x) === id(o));
          assert.ok(c !== undefined, id(o));
          assert.deepEqual(pick(c), pick(o), `${id(o)} differs between the chart and manifests controller`);
        }
      };
      same('CustomResourceDefinition', (o) => o['spec']);
      same('ClusterRole', (o) => o['rules']);
      same('Role', (o) => o['rules']);
      same('ClusterRoleBinding', (o) => [o['roleRef'], o['subjects']]);
      same('RoleBinding', (o) => [o['roleRef'], o['subjects']]);
      const podSpec = (o: Obj): unknown => {
        const spec = (o['spec'] as { template: { spec: { containers: Record<string, unknown>[]; serviceAccountName: string; securityContext: unknown } } }).template.spec;
        return { sa: spec.serviceAccountName, securityContext: spec.securityContext, containers: spec.containers.map((c) => ({ image: c['image'], args: c['args'], env: c['env'], securityContext: c['securityContext'] })) };
      };
      same('Deployment', podSpec);
    }
  });

  void test('the CRD refuses invalid HookRuns with messages that name the field', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    await installCrd(ctx.kubeconfigPath);
    const good = await kubectl(ctx.kubeconfigPath, ['create', '--dry-run=server', '-f', '-'], hookRun(ctx.namespace, 'good', { phase: 'pre-backup', backup: BACKUP, namespaces: [ctx.namespace], selector: { matchLabels: { app: 'db' } }, concurrency: 4, deadline: '1m30s', noOutput: true }));
    assert.equal(good.code, 0, good.stderr);
    const failures: string[] = [];
    for (const c of INVALID) {
      const r = await kubectl(ctx.kubeconfigPath, ['create', '--dry-run=server', '-f', '-'], hookRun(ctx.namespace, 'bad', c.spec));
      if (r.code === 0) failures.push(`${c.name}: accepted`);
      else if (!c.message.test(r.stderr)) failures.push(`${c.name}: ${r.stderr.trim()}`);
    }
    assert.deepEqual(failures, []);
  });

  void test('the spec may change until the run starts, then the API server refuses it; metadata stays editable', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    await installCrd(ctx.kubeconfigPath);
    const created = await kubectl(ctx.kubeconfigPath, ['create', '-f', '-'], hookRun(ctx.namespace, 'frozen', { phase: 'post-restore', restore: RESTORE }));
    assert.equal(created.code, 0, created.stderr);
    const patch = (body: unknown, sub?: string): ReturnType<typeof kubectl> =>
      kubectl(ctx.kubeconfigPath, ['patch', 'hookrun', 'frozen', '-n', ctx.namespace, '--type', 'merge', ...(sub === undefined ? [] : ['--subresource', sub]), '-p', JSON.stringify(body)]);
    const before = await patch({ spec: { concurrency: 3 } });
    assert.equal(before.code, 0, before.stderr);
    const started = await patch({ status: { phase: 'Running', startTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } }, 'status');
    assert.equal(started.code, 0, started.stderr);
    const after = await patch({ spec: { concurrency: 4 } });
    assert.notEqual(after.code, 0);
    assert.match(after.stderr, /spec: Forbidden: spec cannot change once the run has started \(status\.startTime is set\)/);
    const labels = await patch({ metadata: { labels: { team: 'db' } } });
    assert.equal(labels.code, 0, labels.stderr);
    const got = await kubectl(ctx.kubeconfigPath, ['get', 'hookrun', 'frozen', '-n', ctx.namespace, '-o', 'json']);
    assert.equal((JSON.parse(got.stdout) as { spec: { concurrency: number } }).spec.concurrency, 3);
    // The printer columns.
    const table = await kubectl(ctx.kubeconfigPath, ['get', 'hookruns', '-n', ctx.namespace]);
    assert.match(table.stdout.split('\n')[0] ?? '', /^NAME\s+PHASE\s+ATTEMPTED\s+FAILED\s+AGE$/);
    assert.match(table.stdout, /frozen\s+Running\s+/);
  });
});
