/**
 * StartWriter (ADR 0024's HookRunJournal writer) on a fake clock and an in-memory journal store with
 * a resourceVersion precondition: a start resolves only after the PUT carrying it is stored; one PUT
 * in flight, at most one every 100 ms, starts waiting together share it; outcomes go with the next
 * PUT and entries leave after a status ack; conflicts (a metadata edit, a lost answer, another
 * writer); the takeover; starts held while outcomesMax outcomes wait for a status write.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import type { PlannedHook } from '../model/plan.ts';
import { hookKey } from '../run/hook-key.ts';
import type { HookRunJournalStore } from '../kube/hookrunjournals.ts';
import type { HookRun, HookRunJournal } from './hookrun-types.ts';
import { Journal } from './journal.ts';
import { StartJournal } from './start-journal.ts';
import { JOURNAL_WRITE_INTERVAL_MS, StartWriter } from './start-writer.ts';
import { JournalLostError, JournalWriter, RESULT_WRITE_INTERVAL_MS } from './journal-writer.ts';

function hook(pod: string): PlannedHook {
  return plannedHook({ namespace: 'db', pod, container: 'app', name: 'freeze', phase: 'pre', index: 0, command: ['/bin/true'] });
}

type Fault = 'conflict-metadata' | 'lose-answer' | 'fail' | 'other-writer';

class FakeJournals implements HookRunJournalStore {
  object: HookRunJournal = { apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRunJournal', metadata: { name: 'run', namespace: 'db', uid: 'j1', resourceVersion: '1' }, spec: { hookRunUID: 'hr1', holder: 'old', entries: [] } };
  puts = 0;
  faults: Fault[] = [];
  hold = false;
  readonly inFlight: (() => void)[] = [];
  /** PUT start times (fake clock). */
  readonly putAt: number[] = [];
  readonly clock: FakeClock;
  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  #bump(): void {
    this.object = { ...this.object, metadata: { ...this.object.metadata, resourceVersion: String(Number(this.object.metadata.resourceVersion) + 1) } };
  }

  /** Reads that fail (the API unreachable) before the next one answers. */
  failGets = 0;

  get(): Promise<HookRunJournal | undefined> {
    if (this.failGets > 0) {
      this.failGets--;
      return Promise.reject(Object.assign(new Error('connection refused'), { code: 'unreachable' }));
    }
    return Promise.resolve(structuredClone(this.object));
  }

  create(): Promise<HookRunJournal> {
    return Promise.reject(new Error('not used'));
  }

  delete(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }

  async replace(j: HookRunJournal): Promise<HookRunJournal> {
    this.puts++;
    this.putAt.push(this.clock.now());
    if (this.hold) await new Promise<void>((resolve) => this.inFlight.push(resolve));
    const fault = this.faults.shift();
    if (fault === 'conflict-metadata') this.#bump();
    if (fault === 'other-writer') {
      this.object = { ...this.object, spec: { ...this.object.spec, holder: 'rival' } };
      this.#bump();
    }
    if (fault === 'fail') throw Object.assign(new Error('connection reset'), { code: 'unreachable' });
    if (j.metadata.resourceVersion !== this.object.metadata.resourceVersion) throw Object.assign(new Error('conflict'), { statusCode: 409 });
    this.object = { ...this.object, spec: structuredClone(j.spec) };
    this.#bump();
    if (fault === 'lose-answer') throw Object.assign(new Error('socket hang up'), { code: 'unreachable' });
    return structuredClone(this.object);
  }
}

function setup(hooks: readonly PlannedHook[], options: { outcomesMax?: number; onHeld?: () => void } = {}): { clock: FakeClock; store: FakeJournals; starts: StartJournal; writer: StartWriter; lost: string[] } {
  const clock = new FakeClock();
  const store = new FakeJournals(clock);
  const starts = new StartJournal(hooks.map((h) => hookKey(h)), options);
  const lost: string[] = [];
  const writer = new StartWriter({ store, clock, journal: structuredClone(store.object), starts, hooks: new Map(hooks.map((h) => [hookKey(h), h])), holder: 'me', onLost: (why) => lost.push(why), onHeld: options.onHeld });
  return { clock, store, starts, writer, lost };
}

const OK = { status: 'succeeded', exitCode: 0, durationMs: 5 } as const;

void test('start writer: a start resolves after the PUT carrying it is stored; one PUT in flight, >= 100 ms apart, waiting starts share one PUT', async () => {
  const [a, b, c] = [hook('a'), hook('b'), hook('c')];
  const { clock, store, writer } = setup([a, b, c]);
  const signal = new AbortController().signal;
  const started: string[] = [];
  store.hold = true;
  void writer.hookStarting(a, signal).then(() => started.push('a'));
  await settle();
  assert.equal(store.puts, 1);
  void writer.hookStarting(b, signal).then(() => started.push('b'));
  void writer.hookStarting(c, signal).then(() => started.push('c'));
  await settle();
  assert.equal(store.puts, 1, 'one PUT in flight');
  store.inFlight.shift()?.();
  await settle();
  assert.deepEqual(started, ['a']);
  assert.equal(store.object.spec.holder, 'me');
  assert.deepEqual(store.object.spec.entries.map((e) => e.pod), ['a']);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS - 1);
  assert.equal(store.puts, 1, 'not before 100 ms');
  await clock.advance(1);
  assert.equal(store.puts, 2);
  store.inFlight.shift()?.();
  await settle();
  assert.deepEqual(started.sort(), ['a', 'b', 'c'], 'b and c in one PUT');
  assert.deepEqual(store.putAt, [store.putAt[0], (store.putAt[0] ?? 0) + JOURNAL_WRITE_INTERVAL_MS]);
});

void test('start writer: an outcome goes with the next PUT (no output); entries leave after a status write holding them is acknowledged', async () => {
  const [a, b] = [hook('a'), hook('b')];
  const { clock, store, writer } = setup([a, b]);
  const signal = new AbortController().signal;
  await writer.hookStarting(a, signal);
  writer.hookEnded(a, OK);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  assert.deepEqual(store.object.spec.entries.map((e) => [e.pod, e.outcome]), [['a', { status: 'succeeded', exitCode: 0, durationMs: 5 }]]);
  const seq = writer.beginStatusWrite();
  assert.ok(seq !== undefined);
  writer.ackStatusWrite(seq);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  assert.equal(store.puts, 2, 'dropping an entry alone forces no PUT');
  const pb = writer.hookStarting(b, signal);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  await pb;
  assert.deepEqual(store.object.spec.entries.map((e) => e.pod), ['b'], 'a left with the next PUT');
});

void test('start writer: conflicts: a metadata edit and a lost answer go on; another writer stops it and rejects waiting starts', async () => {
  const [a, b, c] = [hook('a'), hook('b'), hook('c')];
  const { clock, store, writer, lost } = setup([a, b, c]);
  const signal = new AbortController().signal;
  store.faults = ['conflict-metadata'];
  const pa = writer.hookStarting(a, signal);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  await pa;
  assert.equal(store.puts, 2, 'retried on the new resourceVersion');
  store.faults = ['lose-answer'];
  const pb = writer.hookStarting(b, signal);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  await pb;
  assert.equal(store.puts, 3, 'stored with the answer lost: taken as acknowledged, not written again');
  assert.equal(writer.stats.conflicts, 1);
  store.faults = ['other-writer'];
  const pc = assert.rejects(writer.hookStarting(c, signal), JournalLostError);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  await pc;
  assert.equal(writer.state, 'lost');
  assert.match(lost[0] ?? '', /another writer \(rival\)/);
  assert.equal(store.object.spec.holder, 'rival', 'its journal is left alone');
  await assert.rejects(writer.hookStarting(hook('d'), signal), JournalLostError);
});

void test('start writer: a PUT stored with its answer lost, then a failed re-read, stays ours: the next PUT\'s 409 goes on, not "another writer" (found by the crash schedule)', async () => {
  const [a, b] = [hook('a'), hook('b')];
  const { clock, store, writer, lost } = setup([a, b]);
  const signal = new AbortController().signal;
  store.faults = ['lose-answer'];
  store.failGets = 1;
  const pa = writer.hookStarting(a, signal);
  await settle();
  // b joins the next PUT, so it differs from the one whose answer was lost.
  const pb = writer.hookStarting(b, signal);
  await clock.advance(1_000);
  await Promise.all([pa, pb]);
  assert.deepEqual(lost, []);
  assert.equal(writer.state, 'writing');
  assert.deepEqual(store.object.spec.entries.map((e) => e.pod), ['a', 'b']);
});

void test('start writer: a takeover PUT that fails, and whose re-read fails too, is sent again (found by the crash schedule)', async () => {
  const clock = new FakeClock();
  const store = new FakeJournals(clock);
  const writer = new StartWriter({ store, clock, journal: structuredClone(store.object), starts: new StartJournal([]), hooks: new Map(), holder: 'me' });
  store.faults = ['fail'];
  store.failGets = 1;
  const ok = writer.takeover(AbortSignal.timeout(5_000));
  await clock.advance(1_000);
  assert.equal(await ok, true);
  assert.equal(store.object.spec.holder, 'me');
});

void test('start writer: the takeover PUTs the journal under its own holder (with the recovered entries); a journal changed since it was read fails it', async () => {
  const clock = new FakeClock();
  const store = new FakeJournals(clock);
  const x = hook('x');
  const starts = new StartJournal([], { recovered: [{ key: hookKey(x), startedAt: '2026-12-03T12:00:00.000Z', outcome: 'failed' }] });
  const writer = new StartWriter({ store, clock, journal: structuredClone(store.object), starts, hooks: new Map([[hookKey(x), x]]), outcomes: new Map([[hookKey(x), { status: 'failed', exitCode: null, durationMs: null, reasonCode: 'interrupted' }]]), holder: 'me' });
  assert.equal(await writer.takeover(AbortSignal.timeout(5_000)), true);
  assert.equal(store.object.spec.holder, 'me');
  assert.deepEqual(store.object.spec.entries.map((e) => [e.pod, e.outcome?.reasonCode]), [['x', 'interrupted']]);
  // Read, then someone else writes before the takeover: it must not go on.
  const late = new StartWriter({ store, clock, journal: structuredClone(store.object), starts: new StartJournal([]), hooks: new Map(), holder: 'newcomer' });
  store.faults = ['other-writer'];
  assert.equal(await late.takeover(AbortSignal.timeout(5_000)), false);
  assert.equal(late.state, 'lost');
});

void test('start writer: while outcomesMax outcomes wait for a status write, new starts wait for it', async () => {
  const [a, b, c] = [hook('a'), hook('b'), hook('c')];
  const { clock, store, writer } = setup([a, b, c], { outcomesMax: 2 });
  const signal = new AbortController().signal;
  for (const h of [a, b]) {
    const p = writer.hookStarting(h, signal);
    await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
    await p;
    writer.hookEnded(h, OK);
  }
  let cStarted = false;
  void writer.hookStarting(c, signal).then(() => {
    cStarted = true;
  });
  await clock.advance(5 * JOURNAL_WRITE_INTERVAL_MS);
  assert.equal(cStarted, false, 'held: two outcomes wait for the status');
  assert.ok(!store.object.spec.entries.some((e) => e.pod === 'c'));
  const seq = writer.beginStatusWrite();
  writer.ackStatusWrite(seq);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  assert.equal(cStarted, true);
  assert.deepEqual(store.object.spec.entries.map((e) => e.pod), ['c']);
});

void test('start writer: close rejects waiting starts and writes nothing more', async () => {
  const { clock, store, writer } = setup([hook('a')]);
  store.hold = true;
  const p = writer.hookStarting(hook('a'), new AbortController().signal);
  await settle();
  writer.close();
  await assert.rejects(p, JournalLostError);
  store.inFlight.shift()?.();
  await clock.advance(1_000);
  assert.equal(store.puts, 1);
});

void test('with a start writer, the status writer releases no start and writes results at most once a second; its acks tell the journal which finals are durable', async () => {
  const [a, b] = [hook('a'), hook('b')];
  const { clock, store, starts, writer: sw } = setup([a, b]);
  const journal = new Journal([a, b], {}, { tailBytes: 64, now: new Date(clock.now()).toISOString(), startsElsewhere: true });
  const base: HookRun = { apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name: 'run', namespace: 'db', uid: 'hr1', resourceVersion: '1' }, spec: { phase: 'pre-backup', backupRef: { name: 'b' } } };
  let object = base;
  const statusAt: number[] = [];
  const hr = {
    get: () => Promise.resolve(object),
    replaceStatus: (h: typeof base) => {
      statusAt.push(clock.now());
      object = { ...h, metadata: { ...h.metadata, resourceVersion: String(Number(h.metadata.resourceVersion) + 1) } };
      return Promise.resolve(object);
    },
  };
  const writer = new JournalWriter({ journal, store: hr, clock, hookRun: base, holder: 'me', starts: sw, statusFor: (image) => ({ phase: 'Running', results: image.results, summary: { ...image.summary, skipped: 0 } }) });
  const signal = new AbortController().signal;
  writer.touch();
  await settle();
  assert.equal(statusAt.length, 1, 'the plan write goes at once');
  const pa = writer.hookStarting(a, signal);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  await pa;
  assert.equal(store.puts, 1, 'the start is in the journal');
  assert.equal(statusAt.length, 1, 'no status write released it');
  assert.equal(journal.mayExec(a), true);
  const result = { namespace: a.namespace, pod: a.pod, container: a.container, source: a.source, name: a.name, phase: a.phase, index: a.index, status: 'succeeded' as const, exitCode: 0, stdout: 'ok', stderr: '', truncated: false, startedAt: new Date(clock.now()).toISOString(), durationMs: 3, reason: null };
  writer.hookEnded(a, result, false);
  await clock.advance(RESULT_WRITE_INTERVAL_MS - 200);
  assert.equal(statusAt.length, 1, 'results wait for the 1 s pace');
  await clock.advance(200);
  assert.equal(statusAt.length, 2);
  assert.ok((statusAt[1] ?? 0) - (statusAt[0] ?? 0) >= RESULT_WRITE_INTERVAL_MS);
  assert.equal(object.status?.results?.find((r) => r.pod === 'a')?.status, 'succeeded');
  assert.equal(starts.outcomesWaiting, 0, 'the status ack reached the journal');
  writer.close();
  sw.close();
});

void test('with a start writer, a slow status write spaces the next by twice its duration; starts held by a full journal bring it back to 1 s', async () => {
  const [a, b, c] = [hook('a'), hook('b'), hook('c')];
  const held: { writer?: JournalWriter } = {};
  const { clock, writer: sw } = setup([a, b, c], { outcomesMax: 1, onHeld: () => held.writer?.expedite() });
  const journal = new Journal([a, b, c], {}, { tailBytes: 64, now: new Date(clock.now()).toISOString(), startsElsewhere: true });
  const base: HookRun = { apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name: 'run', namespace: 'db', uid: 'hr1', resourceVersion: '1' }, spec: { phase: 'pre-backup', backupRef: { name: 'b' } } };
  let object = base;
  const statusAt: number[] = [];
  const hr = {
    get: () => Promise.resolve(object),
    replaceStatus: async (h: typeof base) => {
      statusAt.push(clock.now());
      await clock.sleep(STATUS_PUT_MS, new AbortController().signal);
      object = { ...h, metadata: { ...h.metadata, resourceVersion: String(Number(h.metadata.resourceVersion) + 1) } };
      return object;
    },
  };
  const STATUS_PUT_MS = 1_500;
  const writer = new JournalWriter({ journal, store: hr, clock, hookRun: base, holder: 'me', starts: sw, statusFor: (image) => ({ phase: 'Running', results: image.results, summary: { ...image.summary, skipped: 0 } }) });
  held.writer = writer;
  const signal = new AbortController().signal;
  writer.touch();
  await clock.advance(STATUS_PUT_MS);
  assert.equal(statusAt.length, 1);
  const result = (h: PlannedHook): Parameters<JournalWriter['hookEnded']>[1] => ({ namespace: h.namespace, pod: h.pod, container: h.container, source: h.source, name: h.name, phase: h.phase, index: h.index, status: 'succeeded', exitCode: 0, stdout: '', stderr: '', truncated: false, startedAt: null, durationMs: 1, reason: null });
  const pa = writer.hookStarting(a, signal);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  await pa;
  writer.hookEnded(a, result(a), false);
  await clock.advance((statusAt[0] ?? 0) + 2 * STATUS_PUT_MS - 10 - clock.now());
  assert.equal(statusAt.length, 1, 'not before 2 x 1.5 s after the last write began');
  await clock.advance(10);
  assert.equal(statusAt.length, 2);
  await clock.advance(STATUS_PUT_MS);
  // Now one outcome waits (outcomesMax 1) and c's start is held: the status writer goes at the 1 s pace, not at 2 x 1.5 s.
  const pb = writer.hookStarting(b, signal);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  await pb;
  writer.hookEnded(b, result(b), false);
  const heldFrom = clock.now();
  let cStarted = false;
  const pc = writer.hookStarting(c, signal).then(() => {
    cStarted = true;
  });
  await settle();
  assert.equal(sw.startsHeld, true);
  await clock.advance(JOURNAL_WRITE_INTERVAL_MS);
  assert.equal(statusAt.length, 3);
  assert.ok((statusAt[2] ?? 0) - heldFrom < 2 * STATUS_PUT_MS - (heldFrom - (statusAt[1] ?? 0)), `held at ${heldFrom}, status writes at ${statusAt.join(', ')}`);
  assert.ok((statusAt[2] ?? 0) - (statusAt[1] ?? 0) >= RESULT_WRITE_INTERVAL_MS);
  await clock.advance(STATUS_PUT_MS + JOURNAL_WRITE_INTERVAL_MS);
  await pc;
  assert.equal(cStarted, true);
  writer.close();
  sw.close();
});
