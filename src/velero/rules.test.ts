import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerSpec } from '../model/hook.ts';
import type { PodManifest } from '../model/pod.ts';
import {
  DEFAULT_NAMESPACE,
  describeContainers,
  entryApplies,
  hasRegularContainer,
  initContainerMissingFields,
  INVALID_INIT_CONTAINER_MESSAGE,
  isExecTarget,
  isNativeSidecar,
  podNamespace,
  resolveExecTimeoutMs,
  sidecarNames,
  validateInitContainer,
} from './rules.ts';
import type { HookResourceSelector } from './spec.ts';

const H = 3_600_000;

void describe('resolveExecTimeoutMs (§8.3, Velero main)', () => {
  const cases: [string, number, number][] = [
    ['unset (0) → 30s', 0, 30_000],
    ['negative → 30s (main; 1.18.x would apply none)', -1000, 30_000],
    ['-Infinity → 30s', Number.NEGATIVE_INFINITY, 30_000],
    ['NaN (no Go duration is) → 30s, as unset', Number.NaN, 30_000],
    ['fractional ms kept', 1.5, 1.5],
    ['10s as given', 10_000, 10_000],
    ['exactly 4h kept', 4 * H, 4 * H],
    ['V61: 100000h → 4h', 100_000 * H, 4 * H],
    // Infinity is "above 4h" like any huge value, not "unset": capped, never the 30s default.
    ['Infinity → 4h', Number.POSITIVE_INFINITY, 4 * H],
  ];
  for (const [name, input, want] of cases) {
    void it(name, () => { assert.equal(resolveExecTimeoutMs(input), want); });
  }
});

function pod(o: { ns?: unknown; labels?: Record<string, string>; containers?: string[]; init?: ContainerSpec[] } = {}): PodManifest {
  return {
    metadata: { name: 'p', ...(o.ns === undefined ? {} : { namespace: o.ns as string }), ...(o.labels === undefined ? {} : { labels: o.labels }) },
    spec: { containers: (o.containers ?? ['app']).map((name) => ({ name })), ...(o.init === undefined ? {} : { initContainers: o.init }) },
  };
}

void describe('podNamespace', () => {
  const cases: [string, unknown, string][] = [
    ['named', 'db', 'db'],
    ['none → default', undefined, DEFAULT_NAMESPACE],
    ['empty → default', '', DEFAULT_NAMESPACE],
    ['not a string (`namespace: 0` in a file) → default', 0, DEFAULT_NAMESPACE],
  ];
  for (const [name, ns, want] of cases) void it(name, () => { assert.equal(podNamespace(pod({ ns })), want); });
});

void describe('hook targets: regular containers and native sidecars (§5.3)', () => {
  const p = pod({
    containers: ['app', 'db'],
    init: [{ name: 'setup' }, { name: 'proxy', restartPolicy: 'Always' }, { name: 'once', restartPolicy: 'OnFailure' }],
  });
  const cases: [string, boolean, boolean][] = [
    // name, regular container, exec target
    ['app', true, true],
    ['db', true, true],
    ['proxy', false, true],
    ['setup', false, false],
    ['once', false, false],
    ['missing', false, false],
  ];
  for (const [name, regular, target] of cases) {
    void it(`${name}: regular ${regular}, target ${target}`, () => {
      assert.equal(hasRegularContainer(p, name), regular);
      assert.equal(isExecTarget(p, name), target);
    });
  }
  void it('sidecars are exactly the init containers with restartPolicy Always', () => {
    assert.deepEqual(sidecarNames(p), ['proxy']);
    assert.equal(isNativeSidecar({ name: 'x', restartPolicy: 'Always' }), true);
    assert.equal(isNativeSidecar({ name: 'x', restartPolicy: 'always' }), false);
    assert.equal(isNativeSidecar({ name: 'x' }), false);
  });
  void it('describeContainers names every kind', () => {
    assert.equal(describeContainers(p), 'containers: app, db; sidecars: proxy; init containers (never hook targets): setup, once');
    assert.equal(describeContainers(pod({ containers: [] })), 'containers: none');
  });
});

void describe('spec init containers (§4)', () => {
  const cases: [string, unknown, string[] | 'not-object'][] = [
    ['valid', { name: 'n', image: 'i', command: ['c'] }, []],
    ['no name', { image: 'i', command: ['c'] }, ['name']],
    ['empty image', { name: 'n', image: '', command: ['c'] }, ['image']],
    ['empty command', { name: 'n', image: 'i', command: [] }, ['command']],
    ['command not strings', { name: 'n', image: 'i', command: [1] }, ['command']],
    ['nothing', {}, ['name', 'image', 'command']],
    ['not an object', ['x'], 'not-object'],
    ['null', null, 'not-object'],
  ];
  for (const [name, container, missing] of cases) {
    void it(name, () => {
      if (missing !== 'not-object') assert.deepEqual(initContainerMissingFields(container as Record<string, unknown>), missing);
      assert.equal(validateInitContainer(container), missing !== 'not-object' && missing.length === 0 ? undefined : INVALID_INIT_CONTAINER_MESSAGE);
    });
  }
});

void describe('entryApplies (§3.4)', () => {
  const entry = (o: Partial<HookResourceSelector> = {}): HookResourceSelector => ({
    entryIndex: 0, path: 'spec.hooks.resources[0]', name: 'e',
    includedNamespaces: [], excludedNamespaces: [], includedResources: [], excludedResources: [], labelSelector: undefined, ...o,
  });
  const cases: [string, HookResourceSelector, 'backup' | 'restore', boolean][] = [
    ['everything', entry(), 'backup', true],
    ['namespace excluded', entry({ excludedNamespaces: ['ns'] }), 'restore', false],
    ['namespace not included', entry({ includedNamespaces: ['other'] }), 'backup', false],
    ['backup: resources leave out pods', entry({ includedResources: ['deployments'] }), 'backup', false],
    ['restore: resource lists ignored', entry({ includedResources: ['deployments'] }), 'restore', true],
    ['labels match', entry({ labelSelector: { matchLabels: { a: 'b' } } }), 'backup', true],
    ['labels differ', entry({ labelSelector: { matchLabels: { a: 'c' } } }), 'restore', false],
  ];
  for (const [name, e, kind, want] of cases) {
    void it(`${kind}: ${name}`, () => {
      const verdict = entryApplies(e, pod({ labels: { a: 'b' } }), 'ns', kind);
      assert.equal(verdict.ok, want);
      if (!verdict.ok) assert.match(verdict.reason, /spec\.hooks\.resources\[0\] "e"/);
    });
  }
});
