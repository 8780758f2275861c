/**
 * ADR 0027's start lookahead in StartWriter, on a fake clock: a FIFO of hooks, `slots` slots that each
 * take the next hook, ask for its start (hookStarting), "exec" for execMs and end it (hookEnded), with
 * the runner's hint (hookQueued) for every hook queued. The journal store takes putMs per PUT and can
 * fail. Per case:
 * - every PUT body (what may be stored at a crash) has at most slots + ahead entries without an outcome;
 * - no hook "execs" before an acknowledged journal holds its start;
 * - every hook ends, within a deadline (no deadlock, also with a slow or failing journal, or hints in
 *   another order than the slots take the hooks);
 * - with a fast enough journal no slot waits for it after the first round;
 * - hooks recorded ahead and then not run (pod stopped, run stopped) end with a not-run outcome in the
 *   journal: when the run is over, no entry is left without an outcome (nothing would be interrupted).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import type { PlannedHook } from '../model/plan.ts';
import { hookKey } from '../run/hook-key.ts';
import type { HookRunJournalStore } from '../kube/hookrunjournals.ts';
import type { HookRunJournal, HookRunJournalOutcome } from './hookrun-types.ts';
import { StartJournal } from './start-journal.ts';
import { StartWriter, type StartLookahead } from './start-writer.ts';

type Fault = 'fail' | 'lose-answer';

/** An in-memory journal with a resourceVersion precondition, PUTs that take time, and faults by PUT number. */
class SlowJournals implements HookRunJournalStore {
  object: HookRunJournal = { apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRunJournal', metadata: { name: 'run', namespace: 'db', uid: 'j1', resourceVersion: '1' }, spec: { hookRunUID: 'hr1', holder: 'me', entries: [] } };
  puts = 0;
  /** The most entries without an outcome in any PUT body. */
  maxOpen = 0;
  readonly #clock: FakeClock;
  readonly #putMs: number;
  readonly #fault: (put: number) => Fault | undefined;
  readonly #onPut: (body: HookRunJournal) => void;

  constructor(clock: FakeClock, putMs: number, fault: (put: number) => Fault | undefined, onPut: (body: HookRunJournal) => void) {
    this.#clock = clock;
    this.#putMs = putMs;
    this.#fault = fault;
    this.#onPut = onPut;
  }

  get(): Promise<HookRunJournal | undefined> {
    return Promise.resolve(structuredClone(this.object));
  }

  create(): Promise<HookRunJournal> {
    return Promise.reject(new Error('not used'));
  }

  delete(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }

  async replace(j: HookRunJournal, signal: AbortSignal): Promise<HookRunJournal> {
    const n = ++this.puts;
    this.#onPut(j);
    this.maxOpen = Math.max(this.maxOpen, j.spec.entries.filter((e) => e.outcome === undefined).length);
    await this.#clock.sleep(this.#putMs, signal);
    const fault = this.#fault(n);
    if (fault === 'fail') throw Object.assign(new Error('connection reset'), { code: 'unreachable' });
    if (j.metadata.resourceVersion !== this.object.metadata.resourceVersion) throw Object.assign(new Error('conflict'), { statusCode: 409 });
    this.object = { ...this.object, spec: structuredClone(j.spec), metadata: { ...this.object.metadata, resourceVersion: String(Number(this.object.metadata.resourceVersion) + 1) } };
    if (fault === 'lose-answer') throw Object.assign(new Error('socket hang up'), { code: 'unreachable' });
    return structuredClone(this.object);
  }
}

interface Case {
  readonly name: string;
  readonly hooks: number;
  readonly slots: number;
  readonly ahead: number;
  readonly execMs: number;
  readonly putMs: number;
  readonly fault?: (put: number) => Fault | undefined;
  /** The hint order: 'slot' (as the slots take them, the runner's order) or 'reversed' (the worst case). */
  readonly hints?: 'slot' | 'reversed' | 'none';
  /** Hooks (by index) whose pod stops while they are queued: their slot ends them not-run without a start. */
  readonly stopped?: ReadonlySet<number>;
  /** The run stops (abort) at this time: hooks not in an exec end not-run, as the runner's stop handler does. */
  readonly abortAtMs?: number;
  readonly outcomesMax?: number;
  /** A status write holding every final result is acknowledged this often (ms). */
  readonly statusEveryMs?: number;
  /** With a fast enough journal: no slot waits for it once the first `slots` hooks started. */
  readonly noWaitAfterFirstRound?: boolean;
}

const OK: HookRunJournalOutcome = { status: 'succeeded', exitCode: 0, durationMs: 1 };
const NOT_RUN: HookRunJournalOutcome = { status: 'not-run', exitCode: null, durationMs: null };
const ABORTED: HookRunJournalOutcome = { status: 'failed', exitCode: null, durationMs: 1, reasonCode: 'aborted' };

function hookAt(i: number): PlannedHook {
  return plannedHook({ namespace: 'db', pod: `p${i}`, container: 'app', name: 'h', phase: 'post', index: 0, command: ['/bin/true'] });
}

interface Outcome {
  readonly waits: readonly number[];
  readonly ended: number;
  readonly store: SlowJournals;
  readonly writer: StartWriter;
  readonly starts: StartJournal;
  readonly clock: FakeClock;
}

async function simulate(c: Case): Promise<Outcome> {
  const clock = new FakeClock();
  const hooks = Array.from({ length: c.hooks }, (_, i) => hookAt(i));
  const starts = new StartJournal(hooks.map((h) => hookKey(h)), c.outcomesMax === undefined ? {} : { outcomesMax: c.outcomesMax });
  const bound = c.slots + c.ahead;
  const store = new SlowJournals(clock, c.putMs, c.fault ?? (() => undefined), (body) => {
    const open = body.spec.entries.filter((e) => e.outcome === undefined).length;
    assert.ok(open <= bound, `${c.name}: a PUT with ${open} starts without an outcome (bound ${bound})`);
  });
  const lookahead: StartLookahead | undefined = c.ahead > 0 ? { hooks: c.ahead, slots: c.slots } : undefined;
  const writer = new StartWriter({ store, clock, journal: structuredClone(store.object), starts, hooks: new Map(hooks.map((h) => [hookKey(h), h])), holder: 'me', lookahead });
  const run = new AbortController();
  const { signal } = run;
  const queue = hooks.map((h, i) => ({ h, i }));
  const waits: number[] = [];
  let ended = 0;
  const end = (h: PlannedHook, o: HookRunJournalOutcome): void => {
    writer.hookEnded(h, o);
    ended++;
  };
  // The runner's hints, as it queues the hooks (all at once here: every pod is ready).
  if (c.hints !== 'none') for (const { h } of c.hints === 'reversed' ? [...queue].reverse() : queue) writer.hookQueued(h, signal);
  const slot = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const { h, i } = next;
      if (signal.aborted) {
        end(h, NOT_RUN);
        continue;
      }
      if (c.stopped?.has(i) === true) {
        end(h, NOT_RUN); // stillWanted() said no in the slot: no start asked, a not-run result
        continue;
      }
      const asked = clock.now();
      try {
        await writer.hookStarting(h, signal);
      } catch {
        end(h, NOT_RUN); // the run stopped while its start was being recorded: it did not exec
        continue;
      }
      waits.push(clock.now() - asked);
      assert.ok(store.object.spec.entries.some((e) => e.pod === h.pod && e.outcome === undefined), `${c.name}: ${h.pod} execs with its start acknowledged`);
      await clock.sleep(c.execMs, new AbortController().signal);
      end(h, isAborted(signal) ? ABORTED : OK);
    }
  };
  const slots = Array.from({ length: c.slots }, () => slot());
  const state = { done: false };
  const all = Promise.all(slots).then(() => {
    state.done = true;
  });
  const deadline = clock.now() + 600_000;
  let nextStatus = clock.now() + (c.statusEveryMs ?? 1_000);
  const startedAt = clock.now();
  while (!state.done && clock.now() < deadline) {
    await clock.advance(10);
    if (c.abortAtMs !== undefined && clock.now() - startedAt >= c.abortAtMs && !signal.aborted) run.abort();
    if (clock.now() >= nextStatus) {
      writer.ackStatusWrite(writer.beginStatusWrite());
      nextStatus = clock.now() + (c.statusEveryMs ?? 1_000);
    }
    assert.ok(starts.openStarts <= bound, `${c.name}: ${starts.openStarts} starts without an outcome in memory (bound ${bound})`);
    assert.ok(writer.recordedAhead <= c.ahead, `${c.name}: ${writer.recordedAhead} recorded ahead (at most ${c.ahead})`);
  }
  assert.ok(state.done, `${c.name}: every slot finished within 600 s of fake time (${ended} of ${c.hooks} ended)`);
  await all;
  // Let the outcomes of the last hooks reach the journal.
  for (let i = 0; i < 100 && starts.journalDirty; i++) await clock.advance(100);
  return { waits, ended, store, writer, starts, clock };
}

/** Read through a call: the signal flips while we await, which TypeScript's narrowing cannot see. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

const cases: readonly Case[] = [
  { name: 'no lookahead (ADR 0024 as before): every start waits in its slot', hooks: 40, slots: 4, ahead: 0, execMs: 200, putMs: 20 },
  { name: 'fast journal: no slot waits after the first round', hooks: 80, slots: 4, ahead: 4, execMs: 500, putMs: 20, noWaitAfterFirstRound: true },
  { name: 'fast journal, 16 slots, 16 ahead, execs as long as a PUT cycle', hooks: 400, slots: 16, ahead: 16, execMs: 300, putMs: 30, noWaitAfterFirstRound: true },
  { name: 'fast journal, lookahead of 2x the slots', hooks: 400, slots: 16, ahead: 32, execMs: 150, putMs: 40, noWaitAfterFirstRound: true },
  { name: 'slow journal (PUT 300 ms, exec 100 ms): waits, bound kept, no deadlock', hooks: 120, slots: 4, ahead: 4, execMs: 100, putMs: 300 },
  { name: 'failing journal (every 3rd PUT fails, every 5th loses its answer)', hooks: 120, slots: 4, ahead: 8, execMs: 50, putMs: 30, fault: (n) => (n % 3 === 0 ? 'fail' : n % 5 === 0 ? 'lose-answer' : undefined) },
  { name: 'hints in reverse order: slots ask for hooks never recorded ahead, and are not held', hooks: 60, slots: 4, ahead: 4, execMs: 100, putMs: 20, hints: 'reversed' },
  { name: 'one slot, one ahead', hooks: 30, slots: 1, ahead: 1, execMs: 200, putMs: 20, noWaitAfterFirstRound: true },
  { name: 'pods stopped while queued: hooks recorded ahead end not-run', hooks: 60, slots: 4, ahead: 8, execMs: 100, putMs: 20, stopped: new Set([1, 5, 6, 7, 20, 21, 22, 23, 24, 59]) },
  { name: 'the run stops mid-way: the rest end not-run, none left open', hooks: 200, slots: 4, ahead: 8, execMs: 100, putMs: 50, abortAtMs: 1_234 },
  { name: 'outcomes bound: a full journal holds starts ahead too until the status catches up', hooks: 60, slots: 4, ahead: 8, execMs: 20, putMs: 10, outcomesMax: 6, statusEveryMs: 700 },
];

for (const c of cases) {
  void test(`start lookahead: ${c.name}`, async () => {
    const o = await simulate(c);
    assert.equal(o.ended, c.hooks, 'every hook ended');
    assert.ok(o.store.maxOpen <= c.slots + c.ahead, `at most ${c.slots + c.ahead} open starts in a PUT (saw ${o.store.maxOpen})`);
    if (c.ahead > 0 && c.hints !== 'reversed' && c.abortAtMs === undefined && c.fault === undefined && c.outcomesMax === undefined) {
      assert.ok(o.store.maxOpen > c.slots, `the lookahead was used: ${o.store.maxOpen} open starts in a PUT`);
    }
    if (c.ahead === 0) assert.ok(o.store.maxOpen <= c.slots, 'without a lookahead, at most `slots` open starts');
    if (c.noWaitAfterFirstRound === true) {
      const late = o.waits.slice(c.slots).filter((w) => w > 0);
      assert.deepEqual(late, [], `slots waited for the journal after the first round: ${late.length} of ${o.waits.length - c.slots}`);
    }
    if (c.ahead === 0) assert.ok(o.waits.slice(c.slots).every((w) => w > 0), 'without a lookahead every start waits for a PUT');
    // When the run is over, nothing is left started without an outcome: a live run has no interrupted hook.
    const open = o.store.object.spec.entries.filter((e) => e.outcome === undefined);
    assert.deepEqual(open.map((e) => e.pod), [], 'entries without an outcome at the end');
    for (const i of c.stopped ?? []) {
      const e = o.store.object.spec.entries.find((x) => x.pod === `p${i}`);
      if (e !== undefined) assert.equal(e.outcome?.status, 'not-run', `p${i} was recorded ahead and ended not-run`);
      assert.equal(o.starts.state(hookKey(hookAt(i))), 'finished');
    }
    assert.equal(o.writer.recordedAhead, 0);
    o.writer.close();
    await settle();
    assert.equal(o.clock.pendingTimers, 0, 'no timer left running');
  });
}

void test('start lookahead: a hook recorded ahead resolves at once in its slot once acknowledged; an aborted slot signal still rejects', async () => {
  const clock = new FakeClock();
  const [a, b] = [hookAt(0), hookAt(1)];
  const starts = new StartJournal([hookKey(a), hookKey(b)]);
  const store = new SlowJournals(clock, 10, () => undefined, () => undefined);
  const writer = new StartWriter({ store, clock, journal: structuredClone(store.object), starts, hooks: new Map([[hookKey(a), a], [hookKey(b), b]]), holder: 'me', lookahead: { hooks: 2, slots: 1 } });
  const run = new AbortController();
  writer.hookQueued(a, run.signal);
  writer.hookQueued(b, run.signal);
  // a's start goes at once; b's waits for the next PUT (one in flight, >= 100 ms apart).
  await clock.advance(200);
  assert.equal(writer.recordedAhead, 2);
  assert.deepEqual(store.object.spec.entries.map((e) => e.pod), ['p0', 'p1']);
  const t = clock.now();
  await writer.hookStarting(a, run.signal);
  assert.equal(clock.now(), t, 'no wait');
  assert.equal(writer.recordedAhead, 1);
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(writer.hookStarting(b, aborted.signal), /the run stopped/);
  writer.close();
});

void test('start lookahead: a closed or lost writer takes no hint; hints for hooks with a start or result are ignored', async () => {
  const clock = new FakeClock();
  const [a, b] = [hookAt(0), hookAt(1)];
  const starts = new StartJournal([hookKey(a), hookKey(b)]);
  const store = new SlowJournals(clock, 10, () => undefined, () => undefined);
  const writer = new StartWriter({ store, clock, journal: structuredClone(store.object), starts, hooks: new Map([[hookKey(a), a], [hookKey(b), b]]), holder: 'me', lookahead: { hooks: 2, slots: 1 } });
  const signal = new AbortController().signal;
  writer.hookEnded(a, NOT_RUN);
  writer.hookQueued(a, signal);
  await clock.advance(200);
  assert.equal(writer.recordedAhead, 0, 'a hook with a result is not recorded ahead');
  assert.equal(store.puts, 0);
  writer.close();
  writer.hookQueued(b, signal);
  await clock.advance(200);
  assert.equal(store.puts, 0, 'closed: nothing written');
  assert.equal(starts.state(hookKey(b)), 'unstarted');
});

void test('start lookahead: mayRecordAhead (the leader fence) false records nothing ahead; a slot\'s start still goes', async () => {
  const clock = new FakeClock();
  const [a, b] = [hookAt(0), hookAt(1)];
  const starts = new StartJournal([hookKey(a), hookKey(b)]);
  const store = new SlowJournals(clock, 10, () => undefined, () => undefined);
  let leading = false;
  const writer = new StartWriter({ store, clock, journal: structuredClone(store.object), starts, hooks: new Map([[hookKey(a), a], [hookKey(b), b]]), holder: 'me', lookahead: { hooks: 2, slots: 1 }, mayRecordAhead: () => leading });
  const signal = new AbortController().signal;
  writer.hookQueued(a, signal);
  writer.hookQueued(b, signal);
  await clock.advance(200);
  assert.equal(store.puts, 0, 'not leading: no start recorded ahead');
  const pa = writer.hookStarting(a, signal);
  await clock.advance(200);
  await pa;
  assert.deepEqual(store.object.spec.entries.map((e) => e.pod), ['p0'], 'the slot\'s own start is the seam\'s to fence');
  leading = true;
  writer.hookEnded(a, OK);
  await clock.advance(200);
  assert.deepEqual(store.object.spec.entries.map((e) => [e.pod, e.outcome?.status]), [['p0', 'succeeded'], ['p1', undefined]]);
  writer.close();
});

void test('start lookahead: retire (a graceful stop) takes back the starts of hooks that did not exec with one last PUT; released hooks keep theirs', async () => {
  const clock = new FakeClock();
  const hs = [0, 1, 2, 3].map((i) => hookAt(i));
  const [a, b, c, d] = hs as [PlannedHook, PlannedHook, PlannedHook, PlannedHook];
  const starts = new StartJournal(hs.map((h) => hookKey(h)));
  const store = new SlowJournals(clock, 10, () => undefined, () => undefined);
  const writer = new StartWriter({ store, clock, journal: structuredClone(store.object), starts, hooks: new Map(hs.map((h) => [hookKey(h), h])), holder: 'me', lookahead: { hooks: 2, slots: 2 } });
  const signal = new AbortController().signal;
  for (const h of hs) writer.hookQueued(h, signal);
  await clock.advance(300);
  assert.deepEqual(store.object.spec.entries.map((e) => e.pod), ['p0', 'p1'], 'two recorded ahead');
  await writer.hookStarting(a, signal); // released: a execs
  await clock.advance(300);
  assert.deepEqual(store.object.spec.entries.map((e) => e.pod), ['p0', 'p1', 'p2'], 'c recorded ahead in a\'s place');
  const waiting = assert.rejects(writer.hookStarting(d, signal), /stopping/); // d's slot waits for its PUT
  const retired = writer.retire(5_000);
  await waiting;
  await assert.rejects(writer.hookStarting(b, signal), /stopping/, 'nothing is released after retire began');
  await clock.advance(300);
  await retired;
  assert.deepEqual(store.object.spec.entries.map((e) => [e.pod, e.outcome]), [['p0', undefined]], 'only the released hook keeps its start: b, c, d run again after a restart');
  assert.equal(writer.state, 'closed');
  for (const h of [b, c, d]) assert.equal(starts.state(hookKey(h)), 'unstarted');
  assert.equal(starts.openStarts, 1);
  assert.equal(clock.pendingTimers, 0, 'the deadline timer is cleared');
  assert.equal(store.object.spec.entries.length, 1);
});

void test('start lookahead: retire within its deadline: a journal that does not answer leaves the starts (they are interrupted after a restart) and closes', async () => {
  const clock = new FakeClock();
  const [a, b] = [hookAt(0), hookAt(1)];
  const starts = new StartJournal([hookKey(a), hookKey(b)]);
  let failing = false;
  const store = new SlowJournals(clock, 10, () => (failing ? 'fail' : undefined), () => undefined);
  const writer = new StartWriter({ store, clock, journal: structuredClone(store.object), starts, hooks: new Map([[hookKey(a), a], [hookKey(b), b]]), holder: 'me', lookahead: { hooks: 2, slots: 1 } });
  const signal = new AbortController().signal;
  writer.hookQueued(a, signal);
  writer.hookQueued(b, signal);
  await clock.advance(300);
  assert.deepEqual(store.object.spec.entries.map((e) => e.pod), ['p0', 'p1']);
  failing = true;
  let done = false;
  void writer.retire(2_000).then(() => {
    done = true;
  });
  await clock.advance(1_999);
  assert.equal(done, false, 'retries until the deadline');
  await clock.advance(1);
  await settle();
  assert.equal(done, true);
  assert.equal(writer.state, 'closed');
  assert.deepEqual(store.object.spec.entries.map((e) => e.pod), ['p0', 'p1'], 'not taken back: a restart records them interrupted (never run twice)');
  await clock.advance(10_000);
  assert.equal(clock.pendingTimers, 0);
});
