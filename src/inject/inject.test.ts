import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PodManifest } from '../model/pod.ts';
import { parseRestoreObject, type RestoreHooks } from '../velero/spec.ts';
import { injectInitHooks } from './inject.ts';

const restore = (resources: unknown, extra: Record<string, unknown> = {}): RestoreHooks => {
  const r = parseRestoreObject({ apiVersion: 'velero.io/v1', kind: 'Restore', spec: { hooks: { resources }, ...extra } }).restore;
  assert.ok(r);
  return r;
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const basePod = (): PodManifest => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', labels: { app: 'db' }, annotations: {} },
  spec: { containers: [{ name: 'main', image: 'db' }], initContainers: [{ name: 'restore-wait', image: 'velero' }, { name: 'step', image: 'x' }] },
});

void test('pure: input (deep-frozen) untouched, output is a new object', () => {
  const input = deepFreeze(basePod());
  const snapshot = structuredClone(input);
  const r = restore([{ name: 'h', postHooks: [{ init: { initContainers: [{ name: 'seed', image: 'busybox', command: ['/seed'] }] } }] }]);
  const out = injectInitHooks(input, r, { generateName: () => 'n' });
  assert.deepEqual(input, snapshot);
  assert.notEqual(out.pod, input);
  assert.notEqual(out.pod.spec, input.spec);
  assert.deepEqual(
    out.pod.spec.initContainers?.map((c) => c.name),
    ['restore-wait', 'seed', 'step'],
  );
  // Mutating the output does not reach the parsed restore.
  (out.pod.spec.initContainers[1] as { name: string }).name = 'changed';
  const again = injectInitHooks(input, r, { generateName: () => 'n' });
  assert.equal(again.pod.spec.initContainers?.[1]?.name, 'seed');
});

void test('annotation init hook uses generateName; annotation wins even when spec is invalid', () => {
  const annotated: PodManifest = { ...basePod(), metadata: { name: 'p', namespace: 'default', annotations: { 'init.hook.restore.velero.io/container-image': 'alpine' } } };
  const bad = restore([{ name: 'h', postHooks: [{ init: { initContainers: [{ name: 'x', image: 'y' }] } }] }]);
  // A bad spec init container fails restore validation as a whole.
  assert.match(injectInitHooks(annotated, bad, { generateName: () => 'gen-1' }).error ?? '', /restore fails validation/);
  const ok = restore([{ name: 'h', includedNamespaces: ['other'], postHooks: [{ init: { initContainers: [{ name: 'x', image: 'y', command: ['z'] }] } }] }]);
  const out = injectInitHooks(annotated, ok, { generateName: () => 'gen-1' });
  assert.equal(out.error, undefined);
  assert.deepEqual(out.pod.spec.initContainers?.[1], { name: 'gen-1', image: 'alpine' });
});

void test('namespaceMapping uses sourceNamespace when given', () => {
  const r = restore([{ name: 'h', includedNamespaces: ['target'], postHooks: [{ init: { initContainers: [{ name: 'x', image: 'y', command: ['z'] }] } }] }], {
    namespaceMapping: { source: 'target' },
  });
  const p = basePod();
  assert.equal(injectInitHooks(p, r, { generateName: () => 'n' }).pod.spec.initContainers?.length, 2);
  assert.equal(injectInitHooks(p, r, { generateName: () => 'n', sourceNamespace: 'source' }).pod.spec.initContainers?.length, 3);
});

void test('property: inject never throws, never mutates, and keeps original init containers in order', () => {
  const container = fc.record({ name: fc.constantFrom('restore-wait', 'a', 'b', 'c'), image: fc.constant('i') });
  fc.assert(
    fc.property(
      fc.array(container, { maxLength: 4 }),
      fc.dictionary(fc.constantFrom('init.hook.restore.velero.io/container-image', 'init.hook.restore.velero.io/command', 'init.hook.restore.velero.io/container-name'), fc.string()),
      fc.anything(),
      (inits, annotations, resources) => {
        const input = deepFreeze<PodManifest>({ metadata: { name: 'p', namespace: 'default', annotations }, spec: { containers: [{ name: 'm' }], initContainers: inits } });
        const parsed = parseRestoreObject({ apiVersion: 'velero.io/v1', kind: 'Restore', spec: { hooks: { resources } } }).restore;
        const out = injectInitHooks(input, parsed, { generateName: () => 'gen' });
        const names = (out.pod.spec.initContainers ?? []).map((c) => c.name);
        const originalRest = inits[0]?.name === 'restore-wait' ? inits.slice(1) : inits;
        assert.deepEqual(names.slice(names.length - originalRest.length), originalRest.map((c) => c.name));
      },
    ),
    { numRuns: 300 },
  );
});
