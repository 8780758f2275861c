import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { parseRestoreObject, type RestoreHooks } from '../velero/spec.ts';
import { injectDocuments } from './inject-documents.ts';
import { loadSources } from './load.ts';

const gen = { generateName: () => 'velero-restore-init-00000000' };

function restore(spec: Record<string, unknown>): RestoreHooks {
  const r = parseRestoreObject({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' }, spec: { backupName: 'b', ...spec } }).restore;
  assert.ok(r);
  return r;
}

const seed = restore({
  namespaceMapping: { db: 'db-restored' },
  hooks: { resources: [{ name: 'seed', postHooks: [{ init: { initContainers: [{ name: 'seed', image: 'busybox', command: ['/bin/seed'] }] } }] }] },
});

function inject(text: string, r: RestoreHooks = seed): ReturnType<typeof injectDocuments> {
  const load = loadSources([{ file: 'in.yaml', text }]);
  assert.deepEqual(load.failedFiles, []);
  return injectDocuments(load.documents, r, gen);
}

/**
 * Each case is one text for both sides: a line starting with `+` is injected (output only), and
 * `«a|b»` is `a` in the input and `b` in the output. The output starts with `---`. So the injected
 * output with the injected lines removed and the namespace put back is the input.
 */
function sides(text: string): { input: string; output: string } {
  const lines = text.split('\n');
  const side = (pick: 0 | 1): string =>
    lines
      .filter((l) => pick === 1 || !l.startsWith('+'))
      .map((l) => (l.startsWith('+') ? l.slice(1) : l).replace(/«([^|»]*)\|([^»]*)»/g, (_m, a: string, b: string) => (pick === 0 ? a : b)))
      .join('\n');
  return { input: side(0), output: `---\n${side(1)}` };
}

const cases: readonly { name: string; text: string }[] = [
  {
    name: 'flow list of init containers, flow labels, quotes and comments kept',
    text: `# head
apiVersion: v1
kind: Pod
metadata:
  name: pg
  namespace: «db|db-restored»   # where
  labels: {app: pg, "tier": 'db'}
spec:
  initContainers: [«|{name: seed, image: busybox, command: [/bin/seed]}, »{name: setup, image: busybox}]  # keep
  containers: [{name: pg, image: "postgres:16"}]
`,
  },
  {
    name: 'block list: new items inserted with the same indentation; restore-wait stays first',
    text: `apiVersion: v1
kind: Pod
metadata:
  name: pg
  namespace: "«db|db-restored»"
spec:
  initContainers:
  - name: restore-wait
    image: velero
+  - name: seed
+    image: busybox
+    command:
+      - /bin/seed
  - {name: setup, image: busybox}
  containers: [{name: pg}]
`,
  },
  {
    name: 'only restore-wait: appended after it',
    text: `kind: Pod
apiVersion: v1
metadata: {name: pg, namespace: other}
spec:
  initContainers:
    - name: restore-wait
      image: velero
+    - name: seed
+      image: busybox
+      command:
+        - /bin/seed
  containers: [{name: pg}]
`,
  },
  {
    name: 'no initContainers key: added before containers; a Deployment template; a later document untouched',
    text: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: «db|db-restored»
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
+      initContainers:
+        - name: seed
+          image: busybox
+          command:
+            - /bin/seed
      containers:
        - name: web
          image: nginx
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: «db|db-restored»}
data: {a: "1"}
`,
  },
];

for (const c of cases) {
  void test(`inject output: ${c.name}`, () => {
    const { input, output } = sides(c.text);
    const result = inject(input);
    assert.deepEqual(result.problems, []);
    assert.equal(result.text, output);
    for (const d of parseAllDocuments(result.text)) assert.deepEqual(d.errors, []);
  });
}

void test('inject: a manifest without metadata.namespace is rebuilt as YAML, still correct', () => {
  const result = inject('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n', restore({
    namespaceMapping: { default: 'moved' },
    hooks: { resources: [{ name: 's', postHooks: [{ init: { initContainers: [{ name: 'i', image: 'b', command: ['/x'] }] } }] }] },
  }));
  const doc = parseAllDocuments(result.text)[0]?.toJS() as { metadata: { namespace?: string }; spec: { initContainers: { name: string }[] } };
  assert.equal(doc.metadata.namespace, undefined, 'no namespace was written: kubectl applies it to the current namespace');
  assert.deepEqual(doc.spec.initContainers.map((c) => c.name), ['i']);
});

void test('inject problems: what the API server would refuse, with object, container and key', async (t) => {
  const r = (container: Record<string, unknown>, extra: Record<string, unknown> = {}): RestoreHooks =>
    restore({ ...extra, hooks: { resources: [{ name: 's', postHooks: [{ init: { initContainers: [{ image: 'busybox', command: ['/x'], ...container }] } }] }] } });
  const pod = (spec: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: db}\nspec:\n${spec}`;
  const cases: readonly [string, string, RestoreHooks, string[]][] = [
    ['duplicate of a container', pod('  containers: [{name: app}]\n'), r({ name: 'app' }), ['spec.containers[0].name']],
    ['duplicate of an init container', pod('  initContainers: [{name: setup}]\n  containers: [{name: app}]\n'), r({ name: 'setup' }), ['spec.initContainers[1].name']],
    ['mount of an undefined volume', pod('  containers: [{name: app}]\n  volumes: [{name: data}]\n'), r({ name: 'seed', volumeMounts: [{ name: 'dta', mountPath: '/d' }] }), ['spec.initContainers[0].volumeMounts[0].name']],
    ['invalid container name', pod('  containers: [{name: app}]\n'), r({ name: 'Seed_1' }), ['spec.initContainers[0].name']],
    ['invalid target namespace', pod('  containers: [{name: app}]\n'), r({ name: 'seed' }, { namespaceMapping: { db: 'DB_Restored' } }), ['metadata.namespace']],
    ['mount of a defined volume is fine', pod('  containers: [{name: app}]\n  volumes: [{name: data}]\n'), r({ name: 'seed', volumeMounts: [{ name: 'data', mountPath: '/d' }] }), []],
  ];
  for (const [name, text, hooks, keys] of cases) {
    await t.test(name, () => {
      const result = inject(text, hooks);
      assert.deepEqual(result.problems.map((p) => p.key), keys, result.problems.map((p) => p.message).join('\n'));
      for (const p of result.problems) assert.equal(p.object.ref.name, 'p');
    });
  }
  const [dup] = inject(pod('  containers: [{name: app}]\n'), r({ name: 'app' })).problems;
  assert.ok(dup);
  assert.equal(dup.container, 'app');
  assert.match(dup.message, /Duplicate value: "app"/);
});
