import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParseIssue } from './issue.ts';
import { parseBackupObject, parseRestoreObject } from './spec.ts';
import { lintExtensionKeys, readPodStage, readStageText, readStageValue } from './stages.ts';

const codes = (issues: readonly ParseIssue[]): string[] => issues.map((i) => i.code);

void describe('stage values (ADR 0019)', () => {
  const texts: [string, number | undefined, string[], RegExp?][] = [
    ['0', 0, []],
    ['1', 1, []],
    ['999', 999, []],
    ['1000', undefined, ['stage-out-of-range']],
    ['-1', undefined, ['stage-negative']],
    [' -3 ', undefined, ['stage-negative']],
    ['', undefined, ['stage-invalid']],
    ['first', undefined, ['stage-invalid']],
    ['1.5', undefined, ['stage-invalid']],
    ['2.0', undefined, ['stage-invalid'], /Write "2"/],
    [' 2', undefined, ['stage-invalid'], /Write "2"/],
    ['+2', undefined, ['stage-invalid'], /Write "2"/],
    ['02', undefined, ['stage-invalid'], /Write "2"/],
    ['0x2', undefined, ['stage-invalid']],
    ['1e2', undefined, ['stage-invalid']],
    ['99999999999999999999', undefined, ['stage-out-of-range']],
  ];
  for (const [text, stage, want, hint] of texts) {
    void it(`annotation ${JSON.stringify(text)} -> ${String(stage)} ${want.join(',')}`, () => {
      const issues: ParseIssue[] = [];
      assert.equal(readStageText(text, 'kubehooks.dev/stage', issues), stage);
      assert.deepEqual(codes(issues), want);
      for (const i of issues) {
        assert.equal(i.severity, 'error');
        assert.equal(i.key, 'kubehooks.dev/stage');
        assert.match(i.message, /kubehooks\.dev\/stage/);
      }
      if (hint !== undefined) assert.match(issues[0]?.hint ?? '', hint);
    });
  }

  const values: [unknown, number | undefined, string[], RegExp?][] = [
    [0, 0, []],
    [3, 3, []],
    [-2, undefined, ['stage-negative']],
    [1000, undefined, ['stage-out-of-range']],
    [1.5, undefined, ['stage-invalid']],
    ['2', undefined, ['stage-invalid'], /Write 2 without quotes/],
    [null, undefined, ['stage-invalid']],
    [true, undefined, ['stage-invalid']],
    [[1], undefined, ['stage-invalid']],
  ];
  for (const [value, stage, want, hint] of values) {
    void it(`field ${JSON.stringify(value)} -> ${String(stage)} ${want.join(',')}`, () => {
      const issues: ParseIssue[] = [];
      assert.equal(readStageValue(value, 'spec.hooks.resources[0].stage', issues), stage);
      assert.deepEqual(codes(issues), want);
      if (hint !== undefined) assert.match(issues[0]?.hint ?? '', hint);
    });
  }

  void it('a pod without the annotation has no stage and no issue; an invalid one is marked invalid', () => {
    assert.deepEqual(readPodStage({ a: 'b' }), { stage: undefined, invalid: false, issues: [] });
    assert.deepEqual(readPodStage(undefined), { stage: undefined, invalid: false, issues: [] });
    assert.equal(readPodStage({ 'kubehooks.dev/stage': '2' }).stage, 2);
    const bad = readPodStage({ 'kubehooks.dev/stage': 'x' });
    assert.equal(bad.invalid, true);
    assert.deepEqual(codes(bad.issues), ['stage-invalid']);
  });

  void it('lint knows the extension keys: kubehooks.dev/stage is not unknown; typos and per-container forms are', () => {
    assert.deepEqual(lintExtensionKeys({ 'kubehooks.dev/stage': '1', 'ignore-check.kubehooks.dev/x': 'why', 'example.com/stage': '1' }), []);
    const typo = lintExtensionKeys({ 'kubehooks.dev/stgae': '1' });
    assert.deepEqual(codes(typo), ['extension-key-unknown']);
    assert.match(typo[0]?.hint ?? '', /Did you mean kubehooks\.dev\/stage\?/);
    const perContainer = lintExtensionKeys({ 'kubehooks.dev/stage.postgres': '1' });
    assert.match(perContainer[0]?.hint ?? '', /no per-container form/);
    assert.equal(perContainer[0]?.severity, 'warning');
  });
});

const backup = (resources: unknown[], annotations?: Record<string, string>): unknown => ({
  apiVersion: 'velero.io/v1',
  kind: 'Backup',
  metadata: { name: 'b', namespace: 'velero', ...(annotations === undefined ? {} : { annotations }) },
  spec: { hooks: { resources } },
});
const entry = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, pre: [{ exec: { command: ['/bin/true'] } }], ...extra });

void describe('stages in a Backup', () => {
  void it('the entry field sets the stage; an entry without one has none', () => {
    const { backup: b, issues } = parseBackupObject(backup([entry('app', { stage: 1 }), entry('db')]));
    assert.deepEqual(codes(issues), []);
    assert.deepEqual(b?.resources.map((r) => r.stage), [1, undefined]);
  });

  void it('a bad field is an error at its path: the file is refused', () => {
    const { issues } = parseBackupObject(backup([entry('app', { stage: -1 }), entry('db', { stage: 'two' })]));
    assert.deepEqual(codes(issues), ['stage-negative', 'stage-invalid']);
    assert.deepEqual(issues.map((i) => i.key), ['spec.hooks.resources[0].stage', 'spec.hooks.resources[1].stage']);
  });

  void it('kubehooks.dev/stages on the Backup sets stages by entry name (stored Backups lose the field)', () => {
    const { backup: b, issues } = parseBackupObject(backup([entry('app'), entry('db'), entry('db')], { 'kubehooks.dev/stages': '{"app": 1, "db": 2}' }));
    assert.deepEqual(codes(issues), []);
    assert.deepEqual(b?.resources.map((r) => r.stage), [1, 2, 2]);
  });

  void it('the field wins over the annotation, with a warning; unknown names and bad values are reported', () => {
    const { backup: b, issues } = parseBackupObject(
      backup([entry('app', { stage: 3 }), entry('db')], { 'kubehooks.dev/stages': '{"app": 1, "bd": 2, "db": 1.5}' }),
    );
    assert.deepEqual(codes(issues).sort(), ['stage-conflict', 'stage-entry-unknown', 'stage-invalid']);
    assert.match(issues.find((i) => i.code === 'stage-entry-unknown')?.hint ?? '', /Did you mean "db"\?/);
    assert.equal(issues.find((i) => i.code === 'stage-invalid')?.key, 'kubehooks.dev/stages');
    assert.deepEqual(b?.resources.map((r) => r.stage), [3, undefined]);
  });

  void it('kubehooks.dev/stages must be a JSON object', () => {
    for (const text of ['1', '[1]', '{app: 1}', '']) {
      const { issues } = parseBackupObject(backup([entry('app')], { 'kubehooks.dev/stages': text }));
      assert.deepEqual(codes(issues), ['stage-invalid'], text);
    }
  });

  void it('a Restore has no stages: reported as not applicable, not an error', () => {
    const { issues } = parseRestoreObject({
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: 'r', annotations: { 'kubehooks.dev/stages': '{"x": 1}' } },
      spec: { hooks: { resources: [{ name: 'x', stage: 2, postHooks: [{ exec: { command: ['/bin/true'] } }] }] } },
    });
    assert.deepEqual(codes(issues), ['stage-not-applicable', 'stage-not-applicable']);
    assert.ok(issues.every((i) => i.severity === 'warning'));
  });
});
