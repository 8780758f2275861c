import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { FakeWatcher, podWith } from '../testing/run-fakes.ts';
import { waitForPods } from './wait-for-pods.ts';

const scope = { namespaces: ['db'] };
const hasPod = (name: string) => (pods: readonly { metadata: { name: string } }[]): boolean => pods.some((p) => p.metadata.name === name);

void describe('waitForPods', () => {
  void it('returns as soon as the pods are enough and no new pod appeared for the settle time; the watch is stopped', async () => {
    const clock = new FakeClock();
    const watcher = new FakeWatcher([podWith('other', { app: 'running' }, { namespace: 'db' })]);
    const done = waitForPods({ watcher, scope, clock, signal: new AbortController().signal, timeoutMs: 60_000, settleMs: 2000, ready: hasPod('pg-0') });
    await clock.advance(5000);
    assert.equal(watcher.active, true, 'still waiting: pg-0 has not appeared');
    watcher.emit({ type: 'upsert', pod: podWith('pg-0', { db: 'waiting' }, { namespace: 'db' }) });
    await clock.advance(1000);
    watcher.emit({ type: 'upsert', pod: podWith('pg-1', { db: 'waiting' }, { namespace: 'db' }) });
    await clock.advance(1500);
    assert.equal(watcher.active, true, 'pg-1 appeared 1.5 s ago: not settled yet');
    await clock.advance(600);
    const result = await done;
    assert.equal(result.ready, true);
    assert.deepEqual(result.pods.map((p) => p.metadata.name).sort(), ['other', 'pg-0', 'pg-1']);
    assert.equal(result.waitedMs, 8000, 'pg-1 appeared at 6 s, plus 2 s settle');
    await settle();
    assert.equal(watcher.active, false);
  });

  void it('times out with what it saw (ready false); a deleted pod is dropped', async () => {
    const clock = new FakeClock();
    const watcher = new FakeWatcher([podWith('a', { app: 'running' }, { namespace: 'db' })]);
    const done = waitForPods({ watcher, scope, clock, signal: new AbortController().signal, timeoutMs: 10_000, ready: hasPod('pg-0') });
    await clock.advance(1000);
    watcher.emit({ type: 'upsert', pod: podWith('b', { app: 'running' }, { namespace: 'db' }) });
    watcher.emit({ type: 'deleted', pod: podWith('a', { app: 'running' }, { namespace: 'db' }) });
    await clock.advance(9000);
    const result = await done;
    assert.equal(result.ready, false);
    assert.deepEqual(result.pods.map((p) => p.metadata.name), ['b']);
    assert.equal(clock.pendingTimers, 0, 'no timer left behind');
  });

  void it('ends at once when the signal aborts, and rethrows a watch that fails for good', async () => {
    const clock = new FakeClock();
    const ctl = new AbortController();
    const watcher = new FakeWatcher([]);
    const done = waitForPods({ watcher, scope, clock, signal: ctl.signal, timeoutMs: 60_000, ready: () => false });
    await settle();
    ctl.abort();
    assert.equal((await done).ready, false);
    assert.equal(clock.pendingTimers, 0);
    const failing = new FakeWatcher([], new Error('pods is forbidden'));
    await assert.rejects(waitForPods({ watcher: failing, scope, clock, signal: new AbortController().signal, timeoutMs: 60_000, ready: () => false }), /forbidden/);
  });
});
