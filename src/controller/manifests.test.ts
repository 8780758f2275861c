import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { main } from '../cli/main.ts';
import { captureIo } from '../testing/cli-io.ts';
import { chartControllerRulesYaml, chartCrdYaml, chartJournalCrdYaml } from './deploy.ts';
import { hookRunCrd } from './hookrun-crd.ts';
import { hookRunJournalCrd } from './hookrunjournal-crd.ts';
import { HOOKRUN_PHASES, HOOKRUN_RESULT_STATUSES, HOOKRUN_STATUS_PHASES } from './hookrun-types.ts';
import { CONTROLLER_RULES, controllerManifests } from './manifests.ts';

type Obj = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo('');
  const code = await main(args, { io: io.io });
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const chart = join(import.meta.dirname, '..', '..', 'deploy', 'helm', 'kubehooks');

void test('deploy: the Helm chart carries the generated CRD and controller rules unchanged', () => {
  const stale = 'is stale: run node scripts/gen-deploy.ts';
  assert.equal(readFileSync(join(chart, 'crds', 'hookruns.kubehooks.dev.yaml'), 'utf8'), chartCrdYaml(), `crds/hookruns.kubehooks.dev.yaml ${stale}`);
  assert.equal(readFileSync(join(chart, 'crds', 'hookrunjournals.kubehooks.dev.yaml'), 'utf8'), chartJournalCrdYaml(), `crds/hookrunjournals.kubehooks.dev.yaml ${stale}`);
  assert.equal(readFileSync(join(chart, 'files', 'controller-rules.yaml'), 'utf8'), chartControllerRulesYaml(), `files/controller-rules.yaml ${stale}`);
  const template = readFileSync(join(chart, 'templates', 'controller.yaml'), 'utf8');
  assert.equal((template.match(/Files\.Get "files\/controller-rules\.yaml"/g) ?? []).length, 2, 'ClusterRole and Role both take the generated rules');
  assert.match(readFileSync(join(chart, 'values.yaml'), 'utf8'), /^controller:\n {2}enabled: false$/m);
});

void test('RBAC: least privilege; nothing written but HookRun status, the run\'s HookRunJournal and Events; no pod or HookRun writes', () => {
  const verbs = (group: string, resource: string): string[] =>
    CONTROLLER_RULES.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => [...r.verbs]).sort();
  assert.deepEqual(verbs('kubehooks.dev', 'hookruns'), ['get', 'list', 'watch']);
  assert.deepEqual(verbs('kubehooks.dev', 'hookruns/status'), ['get', 'patch', 'update']);
  // ADR 0024: read by name, never listed or watched.
  assert.deepEqual(verbs('kubehooks.dev', 'hookrunjournals'), ['create', 'delete', 'get', 'update']);
  assert.deepEqual(verbs('', 'pods'), ['get', 'list', 'watch']);
  assert.deepEqual(verbs('', 'pods/exec'), ['create', 'get']);
  assert.deepEqual(verbs('', 'events'), ['create']);
  assert.deepEqual(verbs('velero.io', 'restores'), ['get']);
  for (const r of CONTROLLER_RULES) {
    assert.ok(!r.verbs.includes('*') && !r.resources.includes('*') && !r.apiGroups.includes('*'), JSON.stringify(r));
    assert.ok(!r.verbs.some((v) => v === 'deletecollection' || v === 'escalate' || v === 'bind' || v === 'impersonate'), JSON.stringify(r));
    if (r.verbs.includes('delete')) assert.deepEqual(r.resources, ['hookrunjournals'], 'delete only on the controller\'s own journals');
  }
  assert.ok(!CONTROLLER_RULES.some((r) => r.resources.includes('secrets')), 'no Secrets');
});

void test('manifests: cluster-wide by default; --watch-namespace gives a Role + RoleBinding per namespace and --namespace args', () => {
  const wide = controllerManifests({ image: 'img:1' }) as Obj[];
  assert.deepEqual(wide.map((o) => o.kind), ['CustomResourceDefinition', 'CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment']);
  const single = controllerManifests({ image: 'img:1', leaderElect: false }) as Obj[];
  assert.deepEqual(single.map((o) => o.kind), ['CustomResourceDefinition', 'CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment']);
  const singleDep = single.at(-1) as unknown as { spec: { replicas: number; strategy: { type: string }; template: { spec: { containers: { args: string[] }[] } } } };
  assert.equal(singleDep.spec.replicas, 1);
  assert.equal(singleDep.spec.strategy.type, 'Recreate');
  assert.deepEqual(singleDep.spec.template.spec.containers[0]?.args, ['controller', '--metrics-addr=:8080']);
  const narrow = controllerManifests({ image: 'img:1', namespace: 'ops', watchNamespaces: ['a', 'b'] }) as Obj[];
  assert.deepEqual(narrow.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}`), [
    'CustomResourceDefinition/', 'CustomResourceDefinition/', 'Namespace/', 'ServiceAccount/ops', 'Role/a', 'RoleBinding/a', 'Role/b', 'RoleBinding/b', 'Role/ops', 'RoleBinding/ops', 'Deployment/ops',
  ]);
  const dep = narrow.at(-1) as unknown as { spec: { replicas: number; strategy: { type: string }; template: { spec: { serviceAccountName: string; containers: { image: string; args: string[] }[] } } } };
  assert.equal(dep.spec.template.spec.serviceAccountName, 'kubehooks-controller');
  const [container] = dep.spec.template.spec.containers;
  assert.ok(container !== undefined);
  assert.deepEqual(container.args, ['controller', '--metrics-addr=:8080', '--namespace=a', '--namespace=b', '--leader-elect', '--leader-election-namespace=ops', '--leader-election-id=kubehooks-controller']);
  assert.equal(container.image, 'img:1');
  assert.equal(dep.spec.replicas, 2);
  assert.equal(dep.spec.strategy.type, 'RollingUpdate');
});

void test('leader election RBAC: create on leases, get and update on the one Lease by name; probes on the metrics port', () => {
  const objects = controllerManifests({ image: 'img:1', namespace: 'ops', name: 'khc' }) as Obj[];
  const role = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'khc-leader-election') as unknown as { metadata: { namespace: string }; rules: Record<string, unknown>[] };
  assert.equal(role.metadata.namespace, 'ops', 'only in the controller\'s namespace');
  assert.deepEqual(role.rules, [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['khc'], verbs: ['get', 'update'] },
  ]);
  const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'khc-leader-election') as unknown as { roleRef: { name: string }; subjects: { name: string; namespace: string }[] };
  assert.equal(binding.roleRef.name, 'khc-leader-election');
  assert.deepEqual(binding.subjects.map((x) => `${x.namespace}/${x.name}`), ['ops/khc']);
  const dep = objects.at(-1) as unknown as { spec: { template: { spec: { containers: { args: string[]; env: { name: string }[]; ports: unknown[]; livenessProbe: { httpGet: unknown }; readinessProbe: { httpGet: unknown } }[] } } } };
  const c = dep.spec.template.spec.containers[0];
  assert.ok(c !== undefined);
  assert.ok(c.args.includes('--leader-election-id=khc'));
  assert.deepEqual(c.env.map((e) => e.name), ['POD_NAMESPACE', 'POD_NAME']);
  assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
  assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
});

void test('CRD: enums are the API constants; printer columns phase, attempted, failed, age; status subresource', () => {
  const crd = hookRunCrd() as { spec: { versions: { name: string; subresources: unknown; additionalPrinterColumns: { name: string; jsonPath: string; priority?: number }[]; schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, { enum?: string[] }> }; status: { properties: Record<string, { enum?: string[]; items?: { properties: Record<string, { enum?: string[] }> } }> } } } } }[] } };
  const v = crd.spec.versions[0];
  assert.ok(v !== undefined);
  assert.equal(v.name, 'v1alpha1');
  assert.deepEqual(v.subresources, { status: {} });
  assert.deepEqual(v.additionalPrinterColumns.filter((c) => c.priority === undefined).map((c) => [c.name, c.jsonPath]), [
    ['Phase', '.status.phase'], ['Attempted', '.status.summary.attempted'], ['Failed', '.status.summary.failed'], ['Age', '.metadata.creationTimestamp'],
  ]);
  const schema = v.schema.openAPIV3Schema.properties;
  assert.deepEqual(schema.spec.properties['phase']?.enum, [...HOOKRUN_PHASES]);
  assert.deepEqual(schema.status.properties['phase']?.enum, [...HOOKRUN_STATUS_PHASES]);
  assert.deepEqual(schema.status.properties['results']?.items?.properties['status']?.enum, [...HOOKRUN_RESULT_STATUSES]);
  for (const f of ['backup', 'restore', 'backupRef', 'restoreRef', 'namespaces', 'selector', 'concurrency', 'deadline', 'noAnnotationHooks', 'noOutput', 'allowNamespaces', 'denyNamespaces']) {
    assert.ok(f in schema.spec.properties, f);
  }
  for (const f of ['phase', 'conditions', 'observedGeneration', 'startTime', 'completionTime', 'summary', 'results', 'skipped']) assert.ok(f in schema.status.properties, f);
});

void test('manifests controller (CLI): YAML stream; bad flags are usage errors naming the flag', async () => {
  const out = await cli(['manifests', 'controller', '--image', 'registry.example/kubehooks:0.1.0', '-n', 'velero', '--watch-namespace', 'db']);
  assert.equal(out.code, 0, out.stderr);
  const objects = parseAllDocuments(out.stdout).map((d) => d.toJS() as Obj);
  assert.deepEqual(objects.map((o) => o.kind), ['CustomResourceDefinition', 'CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'Role', 'RoleBinding', 'Deployment']);
  assert.equal(objects[3]?.metadata.namespace, 'velero');
  const single = await cli(['manifests', 'controller', '--image', 'x', '--no-leader-elect']);
  assert.equal(single.code, 0, single.stderr);
  assert.deepEqual(parseAllDocuments(single.stdout).map((d) => (d.toJS() as Obj).kind), ['CustomResourceDefinition', 'CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment']);
  const cases: readonly (readonly [string[], RegExp])[] = [
    [[], /--image/],
    [['--image', 'a b'], /--image must be an image reference/],
    [['--image', 'x', '-n', 'Bad'], /--namespace "Bad" is not a valid namespace name/],
    [['--image', 'x', '--watch-namespace', 'a_b'], /--watch-namespace "a_b"/],
    [['--image', 'x', '--name', 'UP'], /--name "UP"/],
    [['--image', 'x', '--replicas', '0'], /--replicas must be a whole number from 1 to 10 \(got "0"\)/],
    [['--image', 'x', '--no-leader-elect', '--replicas', '2'], /--replicas 2 with --no-leader-elect would run HookRuns twice/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(['manifests', 'controller', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
});

void test('HookRunJournal CRD (ADR 0024): namespaced, no subresources, a structural schema of the journal entries', () => {
  const crd = hookRunJournalCrd() as { metadata: { name: string }; spec: { scope: string; names: { kind: string }; versions: { name: string; subresources?: unknown; schema: { openAPIV3Schema: { properties: { spec: { required: string[]; properties: { entries: { items: { required: string[]; properties: Record<string, { enum?: string[]; properties?: Record<string, { enum?: string[] }> }> } } } } } } } }[] } };
  assert.equal(crd.metadata.name, 'hookrunjournals.kubehooks.dev');
  assert.equal(crd.spec.scope, 'Namespaced');
  assert.equal(crd.spec.names.kind, 'HookRunJournal');
  const v = crd.spec.versions[0];
  assert.ok(v !== undefined);
  assert.equal(v.name, 'v1alpha1');
  assert.equal(v.subresources, undefined);
  const spec = v.schema.openAPIV3Schema.properties.spec;
  assert.deepEqual(spec.required, ['hookRunUID', 'holder', 'entries']);
  assert.deepEqual(spec.properties.entries.items.required, ['namespace', 'pod', 'container', 'source', 'name', 'phase', 'index', 'startedAt']);
  assert.deepEqual(spec.properties.entries.items.properties['outcome']?.properties?.['status']?.enum, ['succeeded', 'failed', 'timed-out', 'not-run']);
  const hookRunStatus = (hookRunCrd() as { spec: { versions: { schema: { openAPIV3Schema: { properties: { status: { properties: Record<string, unknown> } } } } }[] } }).spec.versions[0]?.schema.openAPIV3Schema.properties.status.properties;
  assert.ok(hookRunStatus !== undefined && 'journalUID' in hookRunStatus, 'status.journalUID');
});
