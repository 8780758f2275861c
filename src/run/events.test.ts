import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HookResult } from '../model/result.ts';
import { eventForResult, eventMessage } from './events.ts';

const base: HookResult = {
  namespace: 'db', pod: 'pg-0', container: 'postgres', source: 'annotation', name: '<from-annotation>', phase: 'pre', index: 0,
  status: 'succeeded', exitCode: 0, stdout: '', stderr: '', truncated: false, startedAt: null, durationMs: 104, reason: null,
};
const backup = { kind: 'Backup', namespace: 'velero', name: 'nightly' } as const;
const restore = { kind: 'Restore', namespace: 'velero', name: 'nightly-1' } as const;
const windowed = { ...backup, runId: 'run-7' } as const;
const windowOnly = { kind: 'Backup', namespace: '', name: '', runId: 'run-7' } as const;

const cases: readonly [string, Partial<HookResult>, typeof backup | typeof restore | typeof windowed | typeof windowOnly | undefined, string][] = [
  ['pre succeeded', {}, backup, 'pre-backup hook <from-annotation>#0 (annotation) in container postgres for Backup velero/nightly succeeded in 104ms'],
  ['post succeeded', { phase: 'post' }, backup, 'post-backup hook <from-annotation>#0 (annotation) in container postgres for Backup velero/nightly succeeded in 104ms'],
  ['restore failed', { phase: 'restore', source: 'spec', name: 'warm', index: 2, status: 'failed', reason: 'exit code 3' }, restore,
    'post-restore hook warm#2 (spec) in container postgres for Restore velero/nightly-1 failed: exit code 3'],
  ['not run: said once', { status: 'not-run', reason: 'not run: the run deadline passed first (--deadline)' }, backup,
    'pre-backup hook <from-annotation>#0 (annotation) in container postgres for Backup velero/nightly did not run: the run deadline passed first (--deadline)'],
  ['wait timeout: said once', { phase: 'restore', status: 'timed-out', reason: 'not executed: container postgres was not ready within the wait timeout (5s)' }, restore,
    'post-restore hook <from-annotation>#0 (annotation) in container postgres for Restore velero/nightly-1 timed out before it ran: container postgres was not ready within the wait timeout (5s)'],
  ['exec timeout', { status: 'timed-out', reason: 'timed out after 30s' }, backup,
    'pre-backup hook <from-annotation>#0 (annotation) in container postgres for Backup velero/nightly timed out after 30s'],
  ['deadline while running', { status: 'timed-out', reason: 'the run deadline passed while the command was running; the stream was closed' }, backup,
    'pre-backup hook <from-annotation>#0 (annotation) in container postgres for Backup velero/nightly timed out: the run deadline passed while the command was running; the stream was closed'],
  ['no Backup (annotation hooks only)', {}, undefined, 'pre-backup hook <from-annotation>#0 (annotation) in container postgres succeeded in 104ms'],
  ['in a run backup window', { phase: 'post', status: 'failed', reason: 'exit code 1' }, windowed,
    'post-backup hook <from-annotation>#0 (annotation) in container postgres for Backup velero/nightly in window run-7 failed: exit code 1'],
  ['in a window without a Backup', {}, windowOnly, 'pre-backup hook <from-annotation>#0 (annotation) in container postgres in window run-7 succeeded in 104ms'],
];

for (const [name, over, subject, want] of cases) {
  void test(`event message: ${name}`, () => {
    assert.equal(eventMessage({ ...base, ...over }, subject), want);
    assert.doesNotMatch(want, /not run: not run|did not run: not run|timed-out: not executed/);
  });
}

void test('events for the pre and post hooks of one pod differ, and carry reason, type and uid', () => {
  const pre = eventForResult(base, 'uid-1', backup);
  const post = eventForResult({ ...base, phase: 'post' }, 'uid-1', backup);
  assert.notEqual(pre.message, post.message);
  assert.deepEqual({ ...pre, message: '' }, { namespace: 'db', pod: 'pg-0', podUid: 'uid-1', type: 'Normal', reason: 'HookSucceeded', message: '' });
  assert.equal(eventForResult({ ...base, status: 'not-run', reason: 'x' }).type, 'Warning');
  assert.equal(eventForResult({ ...base, reason: 'x'.repeat(2000), status: 'failed' }).message.length, 1024);
});

void test('an Event of a run backup window carries the kubehooks.dev/run-id label; others carry no labels', () => {
  assert.deepEqual(eventForResult(base, 'uid-1', windowed).labels, { 'kubehooks.dev/run-id': 'run-7' });
  assert.deepEqual(eventForResult(base, undefined, windowOnly).labels, { 'kubehooks.dev/run-id': 'run-7' });
  assert.equal('labels' in eventForResult(base, 'uid-1', backup), false);
  assert.equal('labels' in eventForResult(base), false);
});

// A hook's own message is cut to 1 KiB of UTF-8 (what the API server and the recorder count), never
// in the middle of a character: a cut in UTF-16 units split emoji into a lone surrogate.
const cuts: readonly [string, string][] = [
  ['ASCII', 'x'.repeat(3000)],
  ['2-byte characters', 'é'.repeat(2000)],
  ['emoji at an odd offset', `x${'😀'.repeat(1000)}`],
  ['3-byte characters after control characters', `${'\u0007'.repeat(10)}${'暖'.repeat(800)}`],
];
for (const [name, reason] of cuts) {
  void test(`a failed hook's Event message is cut within 1 KiB of UTF-8: ${name}`, () => {
    const message = eventForResult({ ...base, reason, status: 'failed' }).message;
    const size = Buffer.byteLength(message, 'utf8');
    assert.ok(size <= 1024 && size > 1020, `${size} bytes`);
    assert.doesNotMatch(message, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'no lone surrogate');
    assert.ok(message.startsWith('pre-backup hook '), message.slice(0, 40));
  });
}
