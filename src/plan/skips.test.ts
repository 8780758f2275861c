import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { everySkip, type SkipPredicate } from '../model/skip.ts';
import { BACKUP_NO_HOOK_RULES, namespaceDeniedSkip, noHookSkip, RESTORE_NO_HOOK_RULES, restorePodFails, type BackupPodFindings, type RestorePodFindings } from './skips.ts';

const backup = (o: Partial<BackupPodFindings> = {}): BackupPodFindings => ({ phase: 'pre', ignoredAnnotations: false, familyKeys: false, specEntries: 0, notApplicable: [], ...o });
const restore = (o: Partial<RestorePodFindings> = {}): RestorePodFindings => ({ ignoredAnnotations: false, containers: 1, execKeys: false, initKeys: false, specEntries: 0, notApplicable: [], ...o });

void describe('skip predicates: why a pod gets no hook', () => {
  void it('everySkip: the first rule\'s code, every reason in order; undefined when none matches', () => {
    const rules: SkipPredicate<number>[] = [(n) => (n > 1 ? { code: 'no-hooks', reason: 'a' } : undefined), (n) => (n > 0 ? { code: 'no-containers', reason: 'b' } : undefined)];
    assert.deepEqual(everySkip(rules, 2), { code: 'no-hooks', reason: 'a; b' });
    assert.deepEqual(everySkip(rules, 1), { code: 'no-containers', reason: 'b' });
    assert.equal(everySkip(rules, 0), undefined);
  });

  const backupCases: { name: string; findings: BackupPodFindings; code: string; reason: string }[] = [
    { name: 'nothing at all', findings: backup(), code: 'no-hooks', reason: 'no hook annotations and no spec.hooks entries' },
    { name: 'keys without command', findings: backup({ familyKeys: true, phase: 'post' }), code: 'annotation-without-command', reason: 'the post hook annotations have no command; there are no spec.hooks entries' },
    { name: 'ignored, then entries', findings: backup({ ignoredAnnotations: true, specEntries: 2, notApplicable: ['x', 'y'] }), code: 'annotation-hooks-ignored', reason: 'the pre hook annotations are ignored (--no-annotation-hooks); x; y' },
    { name: 'entries only', findings: backup({ specEntries: 1, notApplicable: ['x'] }), code: 'no-entry-applies', reason: 'x' },
  ];
  for (const c of backupCases) {
    void it(`backup: ${c.name}`, () => { assert.deepEqual(noHookSkip(BACKUP_NO_HOOK_RULES, c.findings), { code: c.code, reason: c.reason }); });
  }

  const restoreCases: { name: string; findings: RestorePodFindings; code: string; reason: string }[] = [
    { name: 'nothing at all', findings: restore(), code: 'no-hooks', reason: 'no hook annotations and no spec.hooks entries' },
    { name: 'no containers, exec keys do not count', findings: restore({ containers: 0, execKeys: true }), code: 'no-containers', reason: 'the pod has no containers, so Velero runs no exec hooks; there are no spec.hooks entries' },
    { name: 'init keys without image', findings: restore({ initKeys: true, specEntries: 1, notApplicable: ['e', 'e'] }), code: 'annotation-without-command', reason: 'the init hook annotations have no container-image; e' },
    { name: 'entries that only inject elsewhere: no reason at all', findings: restore({ specEntries: 1 }), code: 'no-entry-applies', reason: '' },
  ];
  for (const c of restoreCases) {
    void it(`restore: ${c.name}`, () => { assert.deepEqual(noHookSkip(RESTORE_NO_HOOK_RULES, c.findings), { code: c.code, reason: c.reason }); });
  }

  void it('namespace policy and a failing pod restore', () => {
    assert.deepEqual(namespaceDeniedSkip((ns) => (ns === 'kube-system' ? 'denied' : undefined), 'kube-system', 2, 'pre hook'), { code: 'namespace-denied', reason: 'denied: its 2 pre hooks will not run' });
    assert.equal(namespaceDeniedSkip((ns) => (ns === 'kube-system' ? 'denied' : undefined), 'db', 2, 'pre hook'), undefined);
    assert.equal(namespaceDeniedSkip(undefined, 'db', 1, 'restore hook'), undefined);
    assert.deepEqual(restorePodFails('bad init container'), { code: 'restore-pod-fails', reason: 'Velero fails this pod\'s restore: bad init container' });
    assert.equal(restorePodFails(undefined), undefined);
  });
});
