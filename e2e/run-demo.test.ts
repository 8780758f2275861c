/**
 * `kubehooks demo` (the README's main-job command) end to end: it starts its own control plane,
 * runs every phase, prints the reports and tears down. Skipped when the e2e tier is skipped or the
 * local binaries are not built (the demo would build them, which takes minutes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cachedBinaries } from '../scripts/cluster/index.ts';
import { e2eSkipReason } from './harness/index.ts';
import { kubehooks } from './run-harness.ts';

const skip = e2eSkipReason() || (cachedBinaries() === undefined ? 'local control plane binaries not built' : false);

void describe('kubehooks demo', { skip }, () => {
  void it('runs backup and restore hooks on its own cluster, reports every hook, and tears down', async () => {
    const r = await kubehooks(['demo']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /\[3\/6\] Pre-backup hooks/);
    assert.match(out, /succeeded\s+kubehooks-demo\/postgres-0\s+postgres\s+<from-annotation>#0/);
    assert.match(out, /CHECKPOINT; writes frozen/);
    assert.match(out, /writes resumed/);
    assert.match(out, /init containers \[restore-dump\]/);
    assert.match(out, /succeeded\s+kubehooks-demo-restored\/postgres-0\s+postgres\s+postgres-restore#1/);
    assert.match(out, /failed\s+kubehooks-demo-restored\/web-0\s+web\s+web-warmup#0\s+\S+\s+command terminated with exit code 3/);
    assert.match(out, /Hooks attempted: 3, failed: 1/);
    // The Events themselves, each naming the phase and the Backup/Restore (issue 12); per pod and phase for successes (ADR 0023).
    assert.match(out, /^ {2}HooksSucceeded +postgres-0: pre-backup hooks for Backup velero\/nightly: 1 of 1 succeeded: <from-annotation>#0 \(annotation\) in container postgres in \d+ms$/m);
    assert.match(out, /^ {2}HookFailed +web-0: post-restore hook web-warmup#0 \(spec\) in container web for Restore velero\/nightly-restore failed: command terminated with exit code 3/m);
    assert.match(out, /KWOK never runs containers/);
    assert.match(out, /Stopped\.\n$/);
  });
});
