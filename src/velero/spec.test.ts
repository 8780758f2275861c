import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseBackupObject, parseRestoreObject } from './spec.ts';
import { INVALID_INIT_CONTAINER_MESSAGE } from './rules.ts';

const backup = (resources: unknown, kind = 'Backup'): unknown =>
  kind === 'Schedule'
    ? { apiVersion: 'velero.io/v1', kind, metadata: { name: 's', namespace: 'velero' }, spec: { template: { hooks: { resources } } } }
    : { apiVersion: 'velero.io/v1', kind, metadata: { name: 'b', namespace: 'velero' }, spec: { hooks: { resources } } };
const restore = (resources: unknown, namespaceMapping?: Record<string, string>): unknown => ({
  apiVersion: 'velero.io/v1',
  kind: 'Restore',
  metadata: { name: 'r', namespace: 'velero' },
  spec: { hooks: { resources }, ...(namespaceMapping === undefined ? {} : { namespaceMapping }) },
});
const codes = (issues: readonly { code: string }[]): string[] => issues.map((i) => i.code);

void test('backup: hooks converted with entry name, index and defaults', () => {
  const { backup: b, issues } = parseBackupObject(
    backup([
      {
        name: 'freeze',
        includedNamespaces: ['db-*'],
        labelSelector: { matchLabels: { app: 'db' } },
        pre: [
          { exec: { command: ['/bin/fsfreeze', '--freeze', '/data'], container: 'db', onError: 'Fail', timeout: '1m30s' } },
          { exec: { command: ['/bin/sync'] } },
        ],
        post: [{ exec: { command: ['/bin/fsfreeze', '--unfreeze', '/data'], container: '' } }],
      },
    ]),
  );
  assert.deepEqual(issues, []);
  assert.ok(b);
  assert.equal(b.name, 'b');
  assert.equal(b.namespace, 'velero');
  const r = b.resources[0]!;
  assert.equal(r.path, 'spec.hooks.resources[0]');
  assert.deepEqual(r.includedNamespaces, ['db-*']);
  assert.deepEqual(r.labelSelector?.matchLabels, { app: 'db' });
  assert.deepEqual(r.pre[0], {
    source: 'spec',
    name: 'freeze',
    index: 0,
    container: 'db',
    command: ['/bin/fsfreeze', '--freeze', '/data'],
    onError: 'Fail',
    execTimeoutMs: 90_000,
    waitTimeoutMs: 0,
    waitForReady: false,
  });
  assert.equal(r.pre[1]!.index, 1);
  assert.equal(r.pre[1]!.onError, undefined);
  assert.equal(r.post[0]!.container, undefined);
});

void test('schedule: hooks under spec.template.hooks', () => {
  const { backup: b, issues } = parseBackupObject(backup([{ name: 'x', pre: [{ exec: { command: ['/a'], timeout: 30 } }] }], 'Schedule'));
  assert.deepEqual(codes(issues), ['spec-schema-invalid']);
  assert.equal(issues[0]!.key, 'spec.template.hooks.resources[0].pre[0].exec.timeout');
  // The hook is kept (its other fields are still checked); the bad timeout reads as unset.
  assert.equal(b?.resources[0]?.pre[0]?.execTimeoutMs, 0);
  assert.ok(b.validationErrors.length > 0, 'the CRD schema refuses the object');
});

void test('one pass: a bad command does not hide the hook\'s other mistakes, and the hint gives the list to write', () => {
  const { backup: b, issues } = parseBackupObject(
    backup([{ name: 'redis', pre: [{ exec: { container: 'redis-server', command: 'redis-cli BGSAVE', onError: 'fail', timeout: 30 } }] }]),
  );
  assert.deepEqual(
    issues.map((i) => [i.code, i.key]),
    [
      ['spec-schema-invalid', 'spec.hooks.resources[0].pre[0].exec.command'],
      ['spec-schema-invalid', 'spec.hooks.resources[0].pre[0].exec.timeout'],
      ['on-error-invalid', 'spec.hooks.resources[0].pre[0].exec.onError'],
    ],
  );
  assert.match(issues[0]!.message, /expected array, received string "redis-cli BGSAVE"/);
  assert.match(issues[0]!.hint, /\["\/bin\/sh","-c","redis-cli BGSAVE"\]/);
  assert.match(issues[0]!.hint, /\["redis-cli","BGSAVE"\]/);
  assert.match(issues[1]!.hint, /"30s"/);
  assert.equal(issues[2]!.hint, 'Write "Fail" (case-sensitive).');
  // Still a hook, so the container is checked against the pods (lint's container-not-found).
  assert.equal(b?.resources[0]?.pre[0]?.container, 'redis-server');
});

interface CommandHintCase {
  readonly command: unknown;
  readonly key: string;
  readonly hint: RegExp;
}

const commandHintCases: readonly CommandHintCase[] = [
  { command: '/bin/sync', key: 'exec.command', hint: /^Write it as a list: \["\/bin\/sync"\]\.$/ },
  // Shell syntax: splitting on spaces would change the meaning, so only the shell form is offered.
  { command: 'pg_dump "my db" > /tmp/x', key: 'exec.command', hint: /^Write it as a list; to run it through a shell: \["\/bin\/sh","-c","pg_dump \\"my db\\" > \/tmp\/x"\]\.$/ },
  { command: ['/bin/sleep', 5], key: 'exec.command[1]', hint: /Quote the element/ },
  { command: { a: 1 }, key: 'exec.command', hint: /list of strings/ },
  { command: undefined, key: 'exec.command', hint: /Add the command/ },
];

for (const c of commandHintCases) {
  void test(`spec command ${c.command === undefined ? 'missing' : JSON.stringify(c.command)}: one spec-schema-invalid with a ready fix`, () => {
    const { issues } = parseRestoreObject(restore([{ name: 'h', postHooks: [{ exec: { command: c.command, waitForReady: 'true' } }] }]));
    const command = issues.filter((i) => i.key.includes('.exec.command'));
    assert.deepEqual(command.map((i) => [i.code, i.key]), [['spec-schema-invalid', `spec.hooks.resources[0].postHooks[0].${c.key}`]]);
    assert.match(command[0]!.hint, c.hint);
    // The other field's mistake is reported in the same pass.
    const ready = issues.find((i) => i.key.endsWith('.exec.waitForReady'));
    assert.equal(ready?.hint, 'Write true without quotes.');
  });
}

void test('one pass: an entry without a name still has its hooks read and checked', () => {
  const { issues } = parseBackupObject(backup([{ pre: [{ exec: { command: ['/a'], onError: 'fail' } }] }]));
  assert.deepEqual(
    issues.map((i) => [i.code, i.key]),
    [
      ['spec-schema-invalid', 'spec.hooks.resources[0].name'],
      ['on-error-invalid', 'spec.hooks.resources[0].pre[0].exec.onError'],
    ],
  );
});

void test('one pass: an entry whose selection fields are malformed is reported but matches no pod', () => {
  const { backup: b, issues } = parseBackupObject(backup([{ name: 'x', includedNamespaces: 'db', pre: [{ exec: { command: ['/a'] } }] }]));
  assert.deepEqual(issues.map((i) => [i.code, i.key]), [['spec-schema-invalid', 'spec.hooks.resources[0].includedNamespaces']]);
  assert.match(issues[0]!.hint, /\["db"\]/);
  assert.equal(b?.resources.length, 0);
});

interface IssueCase {
  readonly name: string;
  readonly obj: unknown;
  readonly issues: readonly (readonly [string, string])[];
}

const backupIssueCases: readonly IssueCase[] = [
  { name: 'duration without unit', obj: backup([{ name: 'x', pre: [{ exec: { command: ['/a'], timeout: '30' } }] }]), issues: [['duration-invalid', 'spec.hooks.resources[0].pre[0].exec.timeout']] },
  { name: 'onError lower case', obj: backup([{ name: 'x', post: [{ exec: { command: ['/a'], onError: 'fail' } }] }]), issues: [['on-error-invalid', 'spec.hooks.resources[0].post[0].exec.onError']] },
  { name: 'empty command', obj: backup([{ name: 'x', pre: [{ exec: { command: [] } }] }]), issues: [['command-empty', 'spec.hooks.resources[0].pre[0].exec.command']] },
  { name: 'shell line', obj: backup([{ name: 'x', pre: [{ exec: { command: ['/bin/sh -c sync'] } }] }]), issues: [['command-shell-line', 'spec.hooks.resources[0].pre[0].exec.command']] },
  { name: 'command is a string', obj: backup([{ name: 'x', pre: [{ exec: { command: '/bin/sync' } }] }]), issues: [['spec-schema-invalid', 'spec.hooks.resources[0].pre[0].exec.command']] },
  { name: 'missing exec', obj: backup([{ name: 'x', pre: [{}] }]), issues: [['spec-hook-empty', 'spec.hooks.resources[0].pre[0]']] },
  { name: 'empty name', obj: backup([{ name: '', pre: [{ exec: { command: ['/a'] } }] }]), issues: [['spec-hook-name-empty', 'spec.hooks.resources[0].name']] },
  { name: 'missing name', obj: backup([{ pre: [{ exec: { command: ['/a'] } }] }]), issues: [['spec-schema-invalid', 'spec.hooks.resources[0].name']] },
  { name: 'bad selector', obj: backup([{ name: 'x', labelSelector: { matchExpressions: [{ key: 'a', operator: 'nonexistent-operator' }] }, pre: [{ exec: { command: ['/a'] } }] }]), issues: [['label-selector-invalid', 'spec.hooks.resources[0].labelSelector']] },
  { name: 'resources exclude pods', obj: backup([{ name: 'x', includedResources: ['deployments'], pre: [{ exec: { command: ['/a'] } }] }]), issues: [['resources-exclude-pods', 'spec.hooks.resources[0].includedResources']] },
  { name: 'bad glob', obj: backup([{ name: 'x', excludedNamespaces: ['[a'], pre: [{ exec: { command: ['/a'] } }] }]), issues: [['namespace-glob-invalid', 'spec.hooks.resources[0].excludedNamespaces[0]']] },
  { name: 'no hooks', obj: backup([{ name: 'x' }]), issues: [['spec-entry-no-hooks', 'spec.hooks.resources[0]']] },
  { name: 'negative timeout', obj: backup([{ name: 'x', pre: [{ exec: { command: ['/a'], timeout: '-1s' } }] }]), issues: [['duration-negative', 'spec.hooks.resources[0].pre[0].exec.timeout']] },
  { name: 'resources not a list', obj: backup('nope'), issues: [['spec-schema-invalid', 'spec.hooks.resources']] },
  { name: 'wrong kind', obj: { apiVersion: 'velero.io/v1', kind: 'Restore' }, issues: [['object-invalid', 'kind']] },
  { name: 'not an object', obj: 42, issues: [['object-invalid', '']] },
];

for (const c of backupIssueCases) {
  void test(`parseBackupObject issues: ${c.name}`, () => {
    const { issues } = parseBackupObject(c.obj);
    assert.deepEqual(
      issues.map((i) => [i.code, i.key]),
      c.issues,
    );
  });
}

void test('backup: label selector error is a validation error and drops the entry', () => {
  const { backup: b } = parseBackupObject(backup([{ name: 'x', labelSelector: { matchExpressions: [{ key: 'a', operator: 'nonexistent-operator' }] } }]));
  assert.deepEqual(b?.validationErrors, ['"nonexistent-operator" is not a valid label selector operator']);
  assert.equal(b.resources.length, 0);
});

void test('restore: exec and init hooks keep their postHooks index; namespaceMapping', () => {
  const { restore: r, issues } = parseRestoreObject(
    restore(
      [
        {
          name: 'h',
          postHooks: [
            { init: { initContainers: [{ name: 'i', image: 'busybox', command: ['pwd'] }] } },
            { exec: { command: ['/a'], execTimeout: '45s', waitTimeout: '1h', waitForReady: true } },
            { exec: { command: ['/b'], container: 'c2' }, init: { initContainers: [{ name: 'j', image: 'busybox', command: ['ls'] }] } },
          ],
        },
      ],
      { default: 'new' },
    ),
  );
  assert.deepEqual(issues, []);
  assert.ok(r);
  assert.deepEqual(r.namespaceMapping, { default: 'new' });
  const hooks = r.resources[0]!.postHooks;
  assert.deepEqual(
    hooks.map((h) => [h.kind, h.hook.index]),
    [
      ['init', 0],
      ['exec', 1],
      ['init', 2],
      ['exec', 2],
    ],
  );
  const exec = hooks[1]!;
  if (exec.kind !== 'exec') assert.fail('expected an exec hook');
  assert.equal(exec.hook.execTimeoutMs, 45_000);
  assert.equal(exec.hook.waitTimeoutMs, 3_600_000);
  assert.equal(exec.hook.waitForReady, true);
});

const restoreIssueCases: readonly IssueCase[] = [
  { name: 'init container without command', obj: restore([{ name: 'h', postHooks: [{ init: { initContainers: [{ name: 'i', image: 'busybox' }] } }] }]), issues: [['init-container-invalid', 'spec.hooks.resources[0].postHooks[0].init.initContainers[0]']] },
  { name: 'init timeout unused', obj: restore([{ name: 'h', postHooks: [{ init: { timeout: '1m', initContainers: [{ name: 'i', image: 'b', command: ['x'] }] } }] }]), issues: [['init-timeout-unused', 'spec.hooks.resources[0].postHooks[0].init.timeout']] },
  { name: 'resources ignored', obj: restore([{ name: 'h', includedResources: ['deployments'], postHooks: [{ exec: { command: ['/a'] } }] }]), issues: [['resources-filter-ignored', 'spec.hooks.resources[0].includedResources']] },
  { name: 'waitForReady string', obj: restore([{ name: 'h', postHooks: [{ exec: { command: ['/a'], waitForReady: 'true' } }] }]), issues: [['spec-schema-invalid', 'spec.hooks.resources[0].postHooks[0].exec.waitForReady']] },
  { name: 'execTimeout invalid', obj: restore([{ name: 'h', postHooks: [{ exec: { command: ['/a'], execTimeout: '1d' } }] }]), issues: [['duration-invalid', 'spec.hooks.resources[0].postHooks[0].exec.execTimeout']] },
  { name: 'empty element', obj: restore([{ name: 'h', postHooks: [{}] }]), issues: [['spec-hook-empty', 'spec.hooks.resources[0].postHooks[0]']] },
  { name: 'bad mapping', obj: restore([], { a: 1 } as unknown as Record<string, string>), issues: [['spec-schema-invalid', 'spec.namespaceMapping.a']] },
];

for (const c of restoreIssueCases) {
  void test(`parseRestoreObject issues: ${c.name}`, () => {
    const { issues } = parseRestoreObject(c.obj);
    assert.deepEqual(
      issues.map((i) => [i.code, i.key]),
      c.issues,
    );
  });
}

void test('restore: invalid init container message is exact and a validation error', () => {
  const { restore: r, issues } = parseRestoreObject(restore([{ name: 'h', postHooks: [{ init: { initContainers: [{ image: 'b', command: ['x'] }] } }] }]));
  assert.deepEqual(r?.validationErrors, [INVALID_INIT_CONTAINER_MESSAGE]);
  assert.match(issues[0]!.message, /invalid InitContainer in restore hook, it doesn't have Command, Name or Image field/);
});

void test('property: random JSON never makes the spec parsers throw', () => {
  const hookish = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.json().map((j) => JSON.parse(j) as unknown),
      fc.constantFrom('30s', '30', 'Fail', 'fail', ['/a'], [], null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(
        fc.constantFrom('name', 'pre', 'post', 'postHooks', 'exec', 'init', 'command', 'timeout', 'execTimeout', 'waitForReady', 'labelSelector', 'matchLabels', 'matchExpressions', 'initContainers', 'includedNamespaces', 'includedResources', 'image', 'operator', 'key', 'values'),
        tie('value'),
        { maxKeys: 5 },
      ),
    ),
  })).value;
  fc.assert(
    fc.property(hookish, fc.anything(), (resources, anything) => {
      parseBackupObject(backup(resources));
      parseBackupObject(backup(resources, 'Schedule'));
      parseRestoreObject(restore(resources));
      parseBackupObject(anything);
      parseRestoreObject(anything);
    }),
    { numRuns: 500 },
  );
});
