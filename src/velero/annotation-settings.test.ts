import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ANNOTATION_FAMILIES,
  BACKUP_SETTINGS,
  EXTENSION_SETTINGS,
  keysWithCode,
  RESTORE_EXEC_SETTINGS,
  RESTORE_INIT_SETTINGS,
  type AnnotationSetting,
} from './annotation-settings.ts';
import {
  ANNOTATION_KEYS,
  BACKUP_HOOK_SUFFIXES,
  lintPodHookAnnotations,
  RESTORE_EXEC_SUFFIXES,
  RESTORE_INIT_SUFFIXES,
} from './annotations.ts';
import { VELERO_VERSIONS } from './profiles.ts';

void describe('one declaration per annotation setting', () => {
  void it('ANNOTATION_KEYS is derived with the same keys as before the tables (a public contract)', () => {
    const family = (p: string) => ({ container: `${p}container`, command: `${p}command`, onError: `${p}on-error`, timeout: `${p}timeout` });
    assert.deepEqual(ANNOTATION_KEYS, {
      backupPre: family('pre.hook.backup.velero.io/'),
      backupPost: family('post.hook.backup.velero.io/'),
      backupLegacy: family('hook.backup.velero.io/'),
      restoreExec: {
        container: 'post.hook.restore.velero.io/container',
        command: 'post.hook.restore.velero.io/command',
        onError: 'post.hook.restore.velero.io/on-error',
        execTimeout: 'post.hook.restore.velero.io/exec-timeout',
        waitTimeout: 'post.hook.restore.velero.io/wait-timeout',
        waitForReady: 'post.hook.restore.velero.io/wait-for-ready',
      },
      restoreInit: {
        containerImage: 'init.hook.restore.velero.io/container-image',
        containerName: 'init.hook.restore.velero.io/container-name',
        command: 'init.hook.restore.velero.io/command',
        timeout: 'init.hook.restore.velero.io/timeout',
      },
    });
  });

  void it('the suffix lists are the declared suffixes, in the order they always had', () => {
    assert.deepEqual(BACKUP_HOOK_SUFFIXES, ['container', 'command', 'on-error', 'timeout']);
    assert.deepEqual(RESTORE_EXEC_SUFFIXES, ['container', 'command', 'on-error', 'exec-timeout', 'wait-timeout', 'wait-for-ready']);
    assert.deepEqual(RESTORE_INIT_SUFFIXES, ['container-image', 'container-name', 'command', 'timeout']);
  });

  void it('the admission policy key lists follow the codes', () => {
    assert.deepEqual(keysWithCode('wait-for-ready-invalid'), ['post.hook.restore.velero.io/wait-for-ready']);
    assert.deepEqual(keysWithCode('duration-too-long'), [
      'pre.hook.backup.velero.io/timeout', 'post.hook.backup.velero.io/timeout', 'hook.backup.velero.io/timeout', 'post.hook.restore.velero.io/exec-timeout',
    ]);
    assert.equal(keysWithCode('duration-invalid').length, 5);
    assert.equal(keysWithCode('command-json-invalid').length, 5);
    // Undeclared keys are never "known": post.hook.restore.velero.io/timeout stays a typo for the policy.
    assert.deepEqual(keysWithCode('restore-timeout-ignored'), []);
  });

  void it('every suffix is declared once per family', () => {
    for (const f of ANNOTATION_FAMILIES) {
      const suffixes = f.settings.map((s) => s.suffix);
      assert.equal(new Set(suffixes).size, suffixes.length, f.prefix);
    }
  });

  // The codes column is true: whatever the values, reading a pod's annotations gives a key only codes
  // its setting declares (plus the two that can hit any key).
  void it('a setting gets only the issue codes its row declares', () => {
    const anyKey = new Set(['annotation-family-mixed', 'annotation-key-unknown']);
    const byKey = new Map(ANNOTATION_FAMILIES.flatMap((f) => f.settings.map((s): [string, AnnotationSetting] => [f.prefix + s.suffix, s])));
    const keys = [...byKey.keys()];
    const value = fc.constantFrom('', ' ', '0', '-1s', '5h', '30', 'x', 'fail', 'Fail', 'FailBlock', 'failblock', 'true', 'yes', '[]', '[""]', '["a b"]', '[null,"x"]', ' ["x"]', '[1]', 'sh -c x', 'img', '1s');
    const version = fc.constantFrom(...VELERO_VERSIONS);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 8 }), version, (annotations, veleroVersion) => {
        for (const issue of lintPodHookAnnotations(annotations, { veleroVersion })) {
          if (anyKey.has(issue.code)) continue;
          const setting = byKey.get(issue.key);
          assert.ok(setting !== undefined, `${issue.code} on ${issue.key}`);
          assert.ok((setting.codes as readonly string[]).includes(issue.code), `${issue.key} got ${issue.code}, its row lists ${setting.codes.join(', ')}`);
        }
      }),
      { numRuns: 400, seed: 17 },
    );
  });

  void it('docs/annotations.md has one row per setting, as the tables say', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'annotations.md'), 'utf8');
    const row = (s: AnnotationSetting): string =>
      `| \`${s.suffix}\` | ${s.doc} | ${s.codes.map((c) => `[\`${c}\`](lint-rules.md#${c})`).join(', ') || '—'} |`;
    const sections = doc.split(/^## /m).slice(1);
    const tables = [BACKUP_SETTINGS, RESTORE_EXEC_SETTINGS, RESTORE_INIT_SETTINGS, EXTENSION_SETTINGS];
    assert.equal(sections.length, tables.length);
    for (const [i, table] of tables.entries()) {
      const rows = (sections[i] ?? '').split('\n').filter((l) => l.startsWith('| `'));
      assert.deepEqual(rows, table.map(row), `section ${i + 1} of docs/annotations.md`);
    }
  });
});
