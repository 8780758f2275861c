import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintSources } from './engine.ts';
import { lintCodeCatalog } from './catalog.ts';
import { applySuppressions } from './suppress.ts';

const known = new Set(lintCodeCatalog().map((c) => c.code));

function pod(annotations: Record<string, string>, kind: 'Pod' | 'Deployment' = 'Pod', own: Record<string, string> = {}): string {
  const lines = (a: Record<string, string>, indent: string): string =>
    Object.entries(a).map(([k, v]) => `${indent}${k}: '${v.replaceAll("'", "''")}'`).join('\n');
  if (kind === 'Pod') {
    return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\n  annotations:\n${lines({ ...own, ...annotations }, '    ')}\nspec:\n  containers: [{name: app, image: x}]\n`;
  }
  const ownBlock = Object.keys(own).length === 0 ? '' : `  annotations:\n${lines(own, '    ')}\n`;
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ns\n${ownBlock}spec:\n  template:\n    metadata:\n      annotations:\n${lines(annotations, '        ')}\n    spec:\n      containers: [{name: app, image: x}]\n`;
}

const SHELL = { 'pre.hook.backup.velero.io/command': '/bin/fsfreeze --freeze /data', 'pre.hook.backup.velero.io/on-error': 'fail' };

interface Case {
  readonly name: string;
  readonly text: string;
  readonly disabled?: readonly string[];
  /** codes that still count, sorted */
  readonly active: readonly string[];
  /** code:kind of the suppressed ones, sorted */
  readonly suppressed: readonly string[];
}

const cases: readonly Case[] = [
  { name: 'no opt-out', text: pod(SHELL), active: ['command-shell-line', 'on-error-invalid'], suppressed: [] },
  {
    name: 'annotation with a reason suppresses that code only, on that object',
    text: pod({ ...SHELL, 'ignore-check.kubehooks.dev/command-shell-line': 'the image has a binary with this name' }),
    active: ['on-error-invalid'],
    suppressed: ['command-shell-line:annotation'],
  },
  {
    name: 'an empty or blank reason suppresses nothing and is an error',
    text: pod({ ...SHELL, 'ignore-check.kubehooks.dev/command-shell-line': '  ' }),
    active: ['command-shell-line', 'ignore-check-reason-missing', 'on-error-invalid'],
    suppressed: [],
  },
  {
    name: 'an unknown code is reported, not obeyed',
    text: pod({ ...SHELL, 'ignore-check.kubehooks.dev/command-shel-line': 'typo' }),
    active: ['command-shell-line', 'ignore-check-unknown-code', 'on-error-invalid'],
    suppressed: [],
  },
  {
    name: 'workload: the opt-out may sit on the pod template',
    text: pod({ ...SHELL, 'ignore-check.kubehooks.dev/on-error-invalid': 'Continue is what we want' }, 'Deployment'),
    active: ['command-shell-line'],
    suppressed: ['on-error-invalid:annotation'],
  },
  {
    name: 'workload: or on its own metadata',
    text: pod(SHELL, 'Deployment', { 'ignore-check.kubehooks.dev/on-error-invalid': 'Continue is what we want' }),
    active: ['command-shell-line'],
    suppressed: ['on-error-invalid:annotation'],
  },
  {
    name: 'config disables a code everywhere',
    text: `${pod(SHELL)}---\n${pod(SHELL, 'Deployment')}`,
    disabled: ['on-error-invalid'],
    active: ['command-shell-line', 'command-shell-line'],
    suppressed: ['on-error-invalid:config', 'on-error-invalid:config'],
  },
  {
    name: 'config can turn off the opt-out problems themselves',
    text: pod({ ...SHELL, 'ignore-check.kubehooks.dev/nope': 'x' }),
    disabled: ['ignore-check-unknown-code'],
    active: ['command-shell-line', 'on-error-invalid'],
    suppressed: ['ignore-check-unknown-code:config'],
  },
];

for (const c of cases) {
  void test(`suppression: ${c.name}`, () => {
    const { diagnostics, objects } = lintSources([{ file: 'x.yaml', text: c.text }]);
    const disabled = c.disabled === undefined ? undefined : { file: '/repo/.kubehooks.yaml', codes: new Map(c.disabled.map((d) => [d, 'not for us'])) };
    const r = applySuppressions(diagnostics, objects, known, disabled);
    assert.deepEqual(r.active.map((d) => d.code).sort(), [...c.active].sort());
    assert.deepEqual(r.suppressed.map((d) => `${d.code}:${d.suppression.kind}`).sort(), [...c.suppressed].sort());
    for (const s of r.suppressed) assert.ok(s.suppression.reason.length > 0 && s.suppression.source.length > 0);
  });
}

void test('suppression: the opt-out diagnostics point at the annotation and name it', () => {
  const text = pod({ ...SHELL, 'ignore-check.kubehooks.dev/command-shell-line': '' });
  const { diagnostics, objects } = lintSources([{ file: 'x.yaml', text }]);
  const d = applySuppressions(diagnostics, objects, known).active.find((x) => x.code === 'ignore-check-reason-missing');
  assert.ok(d);
  assert.equal(d.key, 'ignore-check.kubehooks.dev/command-shell-line');
  assert.equal(d.line, 9);
  assert.match(d.message, /^Pod ns\/p: .*no reason.*command-shell-line is still reported/);
});
