import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import type { HookRun, HookRunStatus } from './hookrun-types.ts';
import { Journal } from './journal.ts';
import { JournalLostError, JournalWriter, RESULT_WRITE_INTERVAL_MS, START_WRITE_INTERVAL_MS, type HookRunStore } from './journal-writer.ts';

function hook(pod: string, index = 0): PlannedHook {
  return plannedHook({ namespace: 'db', pod, container: 'app', name: 'freeze', phase: 'pre', index, command: ['/bin/true'] });
}

function ok(h: PlannedHook): HookResult {
  return { namespace: h.namespace, pod: h.pod, container: h.container, source: h.source, name: h.name, phase: h.phase, index: h.index, status: 'succeeded', exitCode: 0, stdout: 'done\n', stderr: '', truncated: false, startedAt: '2026-12-02T01:00:00.000Z', durationMs: 3, reason: null };
}

const BASE: HookRun = { apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name: 'run', namespace: 'ops', uid: 'u1', resourceVersion: '1', generation: 1 }, spec: { phase: 'pre-backup', backupRef: { name: 'b' } } };

/** An in-memory HookRun store with a resourceVersion precondition and injectable faults. */
class FakeStore implements HookRunStore {
  object: HookRun = structuredClone(BASE);
  puts = 0;
  gets = 0;
  /** Faults for the next puts, in order: 'conflict-metadata' (someone edited labels first), 'lose-answer' (stored, answer lost), 'fail' (not stored). */
  faults: ('conflict-metadata' | 'lose-answer' | 'fail' | 'other-writer')[] = [];
  readonly inFlight: (() => void)[] = [];
  hold = false;

  #bump(): void {
    this.object = { ...this.object, metadata: { ...this.object.metadata, resourceVersion: String(Number(this.object.metadata.resourceVersion) + 1) } };
  }

  /** Reads that fail (the API unreachable) before the next one answers. */
  failGets = 0;

  get(): Promise<HookRun> {
    this.gets++;
    if (this.failGets > 0) {
      this.failGets--;
      return Promise.reject(Object.assign(new Error('connection refused'), { code: 'unreachable' }));
    }
    return Promise.resolve(structuredClone(this.object));
  }

  async replaceStatus(h: HookRun): Promise<HookRun> {
    this.puts++;
    if (this.hold) await new Promise<void>((resolve) => this.inFlight.push(resolve));
    const fault = this.faults.shift();
    if (fault === 'conflict-metadata') this.#bump();
    if (fault === 'other-writer') {
      this.object = { ...this.object, status: { results: [{ ...ok(hook('x')), status: 'running' }] } };
      this.#bump();
    }
    if (fault === 'fail') throw Object.assign(new Error('connection reset'), { code: 'unreachable' });
    if (h.metadata.resourceVersion !== this.object.metadata.resourceVersion) throw Object.assign(new Error('conflict'), { statusCode: 409 });
    this.object = { ...this.object, status: structuredClone(h.status) as HookRunStatus };
    this.#bump();
    if (fault === 'lose-answer') throw Object.assign(new Error('socket hang up'), { code: 'unreachable' });
    return structuredClone(this.object);
  }
}

function setup(hooks: readonly PlannedHook[], store = new FakeStore()): { clock: FakeClock; store: FakeStore; journal: Journal; writer: JournalWriter; lost: string[] } {
  const clock = new FakeClock();
  const journal = new Journal(hooks, {}, { tailBytes: 1024, now: new Date(clock.now()).toISOString() });
  const lost: string[] = [];
  const writer = new JournalWriter({
    journal,
    store,
    clock,
    hookRun: store.object,
    statusFor: (image) => ({ phase: 'Running', results: image.results, summary: { ...image.summary, skipped: 0 } }),
    onLost: (why) => lost.push(why),
    holder: 'test-holder',
  });
  return { clock, store, journal, writer, lost };
}

void test('writer: a start resolves only after the write that carries it is stored; starts waiting together share one write', async () => {
  const hooks = [hook('a'), hook('b'), hook('c')];
  const { clock, store, writer } = setup(hooks);
  const started: string[] = [];
  const signal = new AbortController().signal;
  store.hold = true;
  for (const h of hooks) void writer.hookStarting(h, signal).then(() => started.push(h.pod));
  await settle();
  assert.equal(store.puts, 1, 'one write for the first start');
  assert.deepEqual(started, []);
  store.inFlight.shift()?.();
  await settle();
  assert.deepEqual(started, ['a'], 'the first write carried a only (b and c asked while it was in flight)');
  assert.equal(store.object.status?.results?.[0]?.status, 'running');
  // The next write waits for the start interval, then carries b and c together.
  await settle();
  assert.equal(store.puts, 1);
  await clock.advance(START_WRITE_INTERVAL_MS);
  assert.equal(store.puts, 2);
  store.inFlight.shift()?.();
  await settle();
  assert.deepEqual(started.sort(), ['a', 'b', 'c']);
  assert.equal(writer.stats.writes, 2);
});

void test('writer: results alone are written at most once per second, batched', async () => {
  const hooks = [hook('a'), hook('b'), hook('c')];
  const { clock, store, writer, journal } = setup(hooks);
  const signal = new AbortController().signal;
  await Promise.all(hooks.map((h) => {
    const p = writer.hookStarting(h, signal);
    return p;
  }).map(async (p, i) => {
    if (i > 0) await clock.advance(START_WRITE_INTERVAL_MS);
    await p;
  }));
  const putsAfterStarts = store.puts;
  for (const h of hooks) writer.hookEnded(h, ok(h), false);
  await settle();
  // The last write was just now: results wait out the 1 s interval, then go in one write.
  await clock.advance(RESULT_WRITE_INTERVAL_MS - 1);
  assert.equal(store.puts, putsAfterStarts);
  await clock.advance(1);
  assert.equal(store.puts, putsAfterStarts + 1);
  assert.deepEqual(store.object.status?.results?.map((r) => r.status), ['succeeded', 'succeeded', 'succeeded']);
  assert.equal(journal.complete, true);
});

void test('writer: a conflict from a metadata edit is re-read and retried; a lost answer is recognised as stored', async () => {
  const hooks = [hook('a'), hook('b')];
  const { clock, store, writer, lost } = setup(hooks);
  const signal = new AbortController().signal;
  store.faults = ['conflict-metadata'];
  const a = writer.hookStarting(hooks[0] ?? assert.fail(), signal);
  await settle();
  await clock.advance(START_WRITE_INTERVAL_MS);
  await a;
  assert.equal(store.gets, 1);
  assert.equal(store.puts, 2);
  store.faults = ['lose-answer'];
  const b = writer.hookStarting(hooks[1] ?? assert.fail(), signal);
  await clock.advance(START_WRITE_INTERVAL_MS);
  await b;
  // Stored once, its answer lost, recognised on the re-read: no second write of the same start.
  assert.equal(store.puts, 3);
  assert.equal(store.gets, 2);
  assert.deepEqual(lost, []);
  assert.equal(writer.stats.conflicts, 1);
});

void test('writer: a write stored with its answer lost, then a failed re-read, stays ours: the next write\'s 409 goes on, not "another writer" (found by the crash schedule)', async () => {
  const [a, b] = [hook('a'), hook('b')];
  const { clock, store, writer, lost } = setup([a, b]);
  const signal = new AbortController().signal;
  store.faults = ['lose-answer'];
  store.failGets = 1;
  const pa = writer.hookStarting(a, signal);
  await settle();
  // b joins the next write, so it differs from the one whose answer was lost.
  const pb = writer.hookStarting(b, signal);
  await clock.advance(2_000);
  await Promise.all([pa, pb]);
  assert.deepEqual(lost, []);
  assert.equal(writer.state, 'writing');
});

void test('writer: a resumed run whose first write meets a metadata edit goes on: the status as read is not another writer\'s, though its Journal (merged with the HookRunJournal) differs from it (found by the crash schedule)', async () => {
  const a = hook('a');
  const store = new FakeStore();
  const pending = { ...ok(a), status: 'pending' as const, exitCode: null, stdout: '', startedAt: null, durationMs: null };
  store.object = { ...store.object, status: { holder: 'crashed', startTime: '2026-12-02T01:00:00.000Z', results: [pending] } };
  const clock = new FakeClock();
  // mergeRecovery turns a start the HookRunJournal holds into `running`: the Journal records it interrupted.
  const journal = new Journal([a], { results: [{ ...pending, status: 'running', startedAt: '2026-12-02T01:00:00.000Z' }] }, { tailBytes: 1024, now: new Date(clock.now()).toISOString() });
  const lost: string[] = [];
  const writer = new JournalWriter({ journal, store, clock, hookRun: store.object, statusFor: (image) => ({ phase: 'Running', results: image.results, summary: { ...image.summary, skipped: 0 } }), onLost: (why) => lost.push(why), holder: 'me' });
  store.faults = ['conflict-metadata'];
  const done = writer.finish(AbortSignal.timeout(5_000));
  await clock.advance(2_000);
  await done;
  assert.deepEqual(lost, []);
  assert.equal(store.object.status?.holder, 'me');
  assert.equal(store.object.status.results?.[0]?.reasonCode, 'interrupted');
});

void test('writer: the completion write (phase and completionTime, no journal change) is sent until stored: after a failure, a metadata edit\'s 409, a lost answer with a failed re-read (found by the crash schedule)', async () => {
  const cases: readonly (readonly [name: string, faults: FakeStore['faults'], failGets: number])[] = [
    ['failed, not stored', ['fail'], 0],
    ['409 after a metadata edit', ['conflict-metadata'], 0],
    ['stored, answer lost, re-read failed', ['lose-answer'], 1],
    ['failed, re-read failed', ['fail'], 1],
  ];
  for (const [name, faults, failGets] of cases) {
    const a = hook('a');
    const store = new FakeStore();
    const clock = new FakeClock();
    const journal = new Journal([a], {}, { tailBytes: 1024, now: new Date(clock.now()).toISOString() });
    const run: { end?: { phase: 'Succeeded'; completionTime: string } } = {};
    const lost: string[] = [];
    const writer = new JournalWriter({ journal, store, clock, hookRun: store.object, holder: 'me', onLost: (why) => lost.push(why), statusFor: (image) => ({ phase: run.end?.phase ?? 'Running', ...(run.end === undefined ? {} : { completionTime: run.end.completionTime }), results: image.results, summary: { ...image.summary, skipped: 0 } }) });
    const signal = AbortSignal.timeout(5_000);
    const started = writer.hookStarting(a, signal);
    await clock.advance(START_WRITE_INTERVAL_MS);
    await started;
    writer.hookEnded(a, ok(a), false);
    await clock.advance(RESULT_WRITE_INTERVAL_MS);
    assert.equal(store.object.status?.results?.[0]?.status, 'succeeded', name);
    const end = { phase: 'Succeeded' as const, completionTime: new Date(clock.now()).toISOString() };
    run.end = end;
    store.faults = [...faults];
    store.failGets = failGets;
    writer.touch();
    const done = writer.finish(signal);
    await clock.advance(5 * RESULT_WRITE_INTERVAL_MS);
    await done;
    assert.deepEqual(lost, [], name);
    assert.equal(store.object.status.completionTime, end.completionTime, `${name}: finish returned only once the completion was stored`);
    assert.equal(store.object.status.phase, 'Succeeded', name);
  }
});

void test('writer: a failed write is retried with back-off and releases nothing until stored', async () => {
  const [h] = [hook('a')];
  const { clock, store, writer } = setup([h]);
  store.faults = ['fail', 'fail'];
  let done = false;
  void writer.hookStarting(h, new AbortController().signal).then(() => {
    done = true;
  });
  await settle();
  assert.equal(store.puts, 1);
  assert.equal(done, false);
  await clock.advance(200);
  assert.equal(store.puts, 2);
  assert.equal(done, false);
  await clock.advance(399);
  assert.equal(store.puts, 2, 'back-off doubles');
  await clock.advance(1);
  assert.equal(store.puts, 3);
  assert.equal(done, true);
});

void test('writer: another writer changing status.results makes the writer lost: waiting starts reject, nothing more is written', async () => {
  const hooks = [hook('a'), hook('b')];
  const { clock, store, writer, lost } = setup(hooks);
  store.faults = ['other-writer'];
  const a = writer.hookStarting(hooks[0] ?? assert.fail(), new AbortController().signal);
  await assert.rejects(a, JournalLostError);
  assert.equal(writer.state, 'lost');
  assert.equal(lost.length, 1);
  assert.match(lost[0] ?? '', /another writer changed status\.results/);
  await assert.rejects(writer.hookStarting(hooks[1] ?? assert.fail(), new AbortController().signal), JournalLostError);
  const puts = store.puts;
  await clock.advance(10_000);
  assert.equal(store.puts, puts);
  assert.deepEqual(store.object.status?.results?.map((r) => r.pod), ['x'], 'the other writer\'s status is left alone');
});

void test('writer: an aborted start wait rejects, and finish writes everything before returning', async () => {
  const hooks = [hook('a'), hook('b')];
  const { clock, store, writer, journal } = setup(hooks);
  store.hold = true;
  const ctl = new AbortController();
  const a = writer.hookStarting(hooks[0] ?? assert.fail(), ctl.signal);
  ctl.abort();
  await assert.rejects(a, /the run stopped before the start was recorded/);
  store.hold = false;
  store.inFlight.shift()?.();
  await settle();
  journal.recordResult(hooks[0] ?? assert.fail(), { ...ok(hooks[0] ?? assert.fail()), status: 'not-run', reason: 'aborted', reasonCode: 'aborted' }, true);
  journal.recordResult(hooks[1] ?? assert.fail(), { ...ok(hooks[1] ?? assert.fail()), status: 'not-run', reason: 'aborted', reasonCode: 'aborted' }, true);
  const finished = writer.finish(new AbortController().signal);
  await clock.advance(RESULT_WRITE_INTERVAL_MS);
  const last = await finished;
  assert.deepEqual(last.status?.results?.map((r) => r.status), ['not-run', 'not-run']);
  assert.equal(journal.complete, true);
  writer.close();
});

void test('writer: a start asked while results wait out their 1 s interval goes out at the start interval, with those results', async () => {
  const hooks = [hook('a'), hook('b')];
  const { clock, store, writer } = setup(hooks);
  const signal = new AbortController().signal;
  await writer.hookStarting(hooks[0] as PlannedHook, signal);
  const puts = store.puts;
  writer.hookEnded(hooks[0] as PlannedHook, ok(hooks[0] as PlannedHook), false);
  await settle();
  let started = false;
  void writer.hookStarting(hooks[1] as PlannedHook, signal).then(() => {
    started = true;
  });
  await clock.advance(START_WRITE_INTERVAL_MS - 1);
  assert.equal(store.puts, puts, 'not before the start interval');
  await clock.advance(1);
  assert.equal(store.puts, puts + 1, 'at the start interval, not the results interval');
  await settle();
  assert.ok(started);
  assert.deepEqual(store.object.status?.results?.map((r) => r.status), ['succeeded', 'running']);
});
