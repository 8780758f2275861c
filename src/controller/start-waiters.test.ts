/**
 * StartWaiters: a parked start settles once, by key; an abort (before or while parked) rejects it,
 * runs the caller's bookkeeping and forgets the key; settling removes the abort listener.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StartWaiters } from './start-waiters.ts';

type Outcome = 'resolved' | 'rejected: boom' | 'rejected: the run stopped before the start was recorded';

async function outcome(p: Promise<void>): Promise<Outcome> {
  try {
    await p;
    return 'resolved';
  } catch (error) {
    return `rejected: ${(error as Error).message}` as Outcome;
  }
}

const cases: readonly {
  readonly name: string;
  readonly act: (w: StartWaiters, ctl: AbortController) => void;
  readonly abortFirst?: boolean;
  readonly want: Outcome;
  readonly onAbortCalls: number;
}[] = [
  { name: 'resolve by key', act: (w) => { w.resolve('a'); }, want: 'resolved', onAbortCalls: 0 },
  { name: 'reject by key', act: (w) => { w.reject('a', new Error('boom')); }, want: 'rejected: boom', onAbortCalls: 0 },
  { name: 'reject all', act: (w) => { w.rejectAll(new Error('boom')); }, want: 'rejected: boom', onAbortCalls: 0 },
  { name: 'abort while parked', act: (_w, ctl) => { ctl.abort(); }, want: 'rejected: the run stopped before the start was recorded', onAbortCalls: 1 },
  { name: 'aborted before the call', act: () => {}, abortFirst: true, want: 'rejected: the run stopped before the start was recorded', onAbortCalls: 1 },
  { name: 'first settlement wins: resolve, then abort', act: (w, ctl) => { w.resolve('a'); ctl.abort(); }, want: 'resolved', onAbortCalls: 0 },
  { name: 'first settlement wins: abort, then resolve', act: (w, ctl) => { ctl.abort(); w.resolve('a'); }, want: 'rejected: the run stopped before the start was recorded', onAbortCalls: 1 },
  { name: 'another key leaves it parked until reject all', act: (w) => { w.resolve('b'); w.rejectAll(new Error('boom')); }, want: 'rejected: boom', onAbortCalls: 0 },
];

for (const c of cases) {
  void test(`StartWaiters: ${c.name}`, async () => {
    const w = new StartWaiters();
    const ctl = new AbortController();
    if (c.abortFirst === true) ctl.abort();
    let onAbortCalls = 0;
    const parked = w.wait('a', ctl.signal, () => { onAbortCalls += 1; });
    assert.equal(w.has('a'), c.abortFirst !== true);
    c.act(w, ctl);
    assert.equal(await outcome(parked), c.want);
    assert.equal(onAbortCalls, c.onAbortCalls);
    assert.equal(w.has('a'), false, 'a settled start is forgotten');
  });
}

void test('StartWaiters: settling removes the abort listener (no listener left on a long-lived signal)', async () => {
  const w = new StartWaiters();
  const ctl = new AbortController();
  let added = 0;
  let removed = 0;
  const signal = ctl.signal;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<AbortSignal['addEventListener']>) => { added += 1; add(...args); });
  signal.removeEventListener = ((...args: Parameters<AbortSignal['removeEventListener']>) => { removed += 1; remove(...args); });
  const keys = ['a', 'b', 'c'];
  const parked = keys.map((k) => w.wait(k, signal));
  w.resolve('a');
  w.reject('b', new Error('boom'));
  w.rejectAll(new Error('boom'));
  assert.deepEqual(await Promise.all(parked.map(outcome)), ['resolved', 'rejected: boom', 'rejected: boom']);
  assert.deepEqual({ added, removed }, { added: 3, removed: 3 });
});
