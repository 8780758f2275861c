import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import { hookKey } from '../run/hook-key.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import type { HookRunResult } from './hookrun-types.ts';
import { INTERRUPTED_REASON, Journal, jsonHead, jsonTail, utf8Head, type StoredJournal } from './journal.ts';

function planned(pod: string, index: number, container = 'app'): PlannedHook {
  return plannedHook({ namespace: 'db', pod, container, name: 'freeze', phase: 'pre', index, command: ['/bin/true'] });
}

function result(hook: PlannedHook, status: HookResult['status'], extra: Partial<HookResult> = {}): HookResult {
  return {
    namespace: hook.namespace, pod: hook.pod, container: hook.container, source: hook.source, name: hook.name, phase: hook.phase, index: hook.index,
    status, exitCode: status === 'succeeded' ? 0 : null, stdout: '', stderr: '', truncated: false, startedAt: '2026-12-02T01:00:00.000Z', durationMs: 5, reason: status === 'succeeded' ? null : 'x',
    ...extra,
  };
}

const OPTS = { tailBytes: 1024, now: '2026-12-02T02:00:00.000Z' };
const PLAN = [planned('a', 0), planned('a', 1), planned('b', 0), planned('c', 0), planned('c', 1, 'side')];

// ---------- a simulated API server and controller, crashing at chosen steps ----------

interface World {
  /** The status as the API server stores it. */
  store: StoredJournal;
  /** Side effects: one entry per exec, as a per-hook side-effect file would record it. */
  readonly execs: string[];
}

type Step = 'request' | 'begin' | 'apply' | 'ack' | 'lose-ack' | 'exec' | 'result';

/**
 * One controller incarnation: runs `steps` in order (skipping those that cannot happen now) and stops
 * after step `crashAfter` (undefined: runs to completion with its own schedule). Concurrency 2.
 */
function incarnation(world: World, steps: readonly Step[] | undefined, crashAfter: number | undefined, outcome: (h: PlannedHook) => 'succeeded' | 'failed'): Journal {
  const journal = new Journal(PLAN, world.store, OPTS);
  let pendingImage: ReturnType<Journal['beginWrite']>;
  let applied = false;
  const released: PlannedHook[] = [];
  const executed: PlannedHook[] = [];
  const byKey = new Map(PLAN.map((h) => [hookKey(h), h]));
  let n = 0;
  const doStep = (step: Step): boolean => {
    switch (step) {
      case 'request': {
        const next = PLAN.find((h) => journal.mayStart(h));
        if (next === undefined || journal.summary('local').running >= 2) return false;
        return journal.requestStart(next, '2026-12-02T01:00:00.000Z');
      }
      case 'begin':
        if (pendingImage !== undefined) return false;
        pendingImage = journal.beginWrite();
        applied = false;
        return pendingImage !== undefined;
      case 'apply':
        if (pendingImage === undefined || applied) return false;
        world.store = { results: pendingImage.results, failed: pendingImage.summary.failed };
        applied = true;
        return true;
      case 'ack':
        if (pendingImage === undefined) return false;
        if (applied) {
          for (const id of journal.ackWrite(pendingImage.seq)) released.push(byKey.get(hookKey(id)) ?? assert.fail('unknown hook released'));
        } else journal.failWrite(pendingImage.seq);
        pendingImage = undefined;
        return true;
      case 'lose-ack':
        // The write's outcome is unknown to the controller: it must treat it as not stored.
        if (pendingImage === undefined) return false;
        journal.failWrite(pendingImage.seq);
        pendingImage = undefined;
        return true;
      case 'exec': {
        const h = released.shift();
        if (h === undefined) return false;
        assert.ok(journal.mayExec(h), `exec of ${hookKey(h)} without a durable start`);
        world.execs.push(hookKey(h));
        executed.push(h);
        return true;
      }
      case 'result': {
        const h = executed.shift();
        if (h === undefined) return false;
        const status = outcome(h);
        journal.recordResult(h, result(h, status), status === 'failed');
        return true;
      }
    }
  };
  if (steps !== undefined) {
    for (const step of steps) {
      if (crashAfter !== undefined && n >= crashAfter) return journal;
      if (doStep(step)) n++;
    }
    if (crashAfter !== undefined) return journal;
  }
  // Run to completion: the canonical schedule.
  for (let guard = 0; guard < 10_000 && !journal.complete; guard++) {
    const progressed = (['result', 'exec', 'apply', 'ack', 'begin', 'request'] as const).some((s) => doStep(s));
    if (!progressed) assert.fail(`stuck: ${JSON.stringify(journal.summary('local'))}`);
  }
  assert.ok(journal.complete, 'a crash-free incarnation completes');
  return journal;
}

function checkInvariants(world: World, crashes: number): void {
  const results = world.store.results ?? [];
  // No hook runs twice.
  const counts = new Map<string, number>();
  for (const k of world.execs) counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const [k, c] of counts) assert.equal(c, 1, `${k} ran ${c} times`);
  // Every planned hook has exactly one final result.
  assert.deepEqual(results.map((r) => hookKey(r)).sort(), PLAN.map((h) => hookKey(h)).sort());
  for (const r of results) {
    const ran = counts.has(hookKey(r));
    assert.ok(r.status !== 'running' && r.status !== 'pending', `${hookKey(r)} left ${r.status}`);
    if (r.reasonCode === 'interrupted') {
      // Interrupted only after a crash; it was never run again (at most the one exec before the crash).
      assert.ok(crashes > 0);
      assert.equal(r.status, 'failed');
      assert.equal(r.reason, INTERRUPTED_REASON);
    } else {
      // A real result: the hook ran exactly once, and the status says what happened.
      assert.ok(ran, `${hookKey(r)} has result ${r.status} but never ran`);
    }
  }
  const failed = results.filter((r) => r.status === 'failed').length;
  assert.equal(world.store.failed, failed, 'summary.failed counts the failures');
}

const outcome = (h: PlannedHook): 'succeeded' | 'failed' => (h.pod === 'b' ? 'failed' : 'succeeded');

void test('journal: a crash after every step of a run, then a restart, leaves no hook run twice and none unaccounted', () => {
  // A crash-free run first.
  const clean: World = { store: {}, execs: [] };
  assert.ok(incarnation(clean, undefined, undefined, outcome).complete);
  checkInvariants(clean, 0);
  // One schedule that passes through every kind of step (a lost acknowledgement included); a crash after each.
  const schedule: readonly Step[] = [
    'request', 'request', 'begin', 'apply', 'ack', 'exec', 'exec', 'result', 'begin', 'apply', 'lose-ack', 'request',
    'begin', 'apply', 'ack', 'result', 'exec', 'request', 'begin', 'ack', 'begin', 'apply', 'ack', 'exec', 'result',
    'exec', 'result', 'begin', 'apply', 'ack',
  ];
  let crashPoints = 0;
  for (let crashAfter = 0; crashAfter <= schedule.length; crashAfter++) {
    const world: World = { store: {}, execs: [] };
    incarnation(world, schedule, crashAfter, outcome);
    // The restarted controller runs to completion.
    const resumed = incarnation(world, undefined, undefined, outcome);
    assert.ok(resumed.complete);
    checkInvariants(world, 1);
    crashPoints++;
  }
  assert.equal(crashPoints, schedule.length + 1);
});

void test('journal: random schedules with up to four crashes (property)', () => {
  const step = fc.constantFrom<Step>('request', 'begin', 'apply', 'ack', 'lose-ack', 'exec', 'result');
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.array(step, { maxLength: 40 }), fc.nat(40)), { minLength: 1, maxLength: 4 }), fc.func(fc.boolean()), (incarnations, fails) => {
      const world: World = { store: {}, execs: [] };
      const decide = (h: PlannedHook): 'succeeded' | 'failed' => (fails(hookKey(h)) ? 'failed' : 'succeeded');
      for (const [steps, crashAfter] of incarnations) incarnation(world, steps, crashAfter, decide);
      incarnation(world, undefined, undefined, decide);
      checkInvariants(world, incarnations.length);
    }),
    { numRuns: 400 },
  );
});

void test('journal: recovery turns running entries into failed interrupted, keeps results, and offers only unstarted hooks', () => {
  const [a0, a1, b0, c0] = PLAN;
  assert.ok(a0 && a1 && b0 && c0);
  const stored: HookRunResult[] = [
    { ...result(a0, 'succeeded'), stdout: 'ok' },
    { ...result(a1, 'failed'), exitCode: 3, reasonCode: 'non-zero-exit' },
    { ...result(b0, 'succeeded'), status: 'running', exitCode: null, durationMs: null, reason: null },
  ];
  const j = new Journal(PLAN, { results: stored, failed: 1 }, OPTS);
  assert.equal(j.recovered.length, 1);
  const [rec] = j.recovered;
  assert.ok(rec !== undefined);
  assert.equal(rec.reasonCode, 'interrupted');
  assert.equal(rec.startedAt, '2026-12-02T01:00:00.000Z');
  for (const h of [a0, a1, b0]) assert.equal(j.mayStart(h), false, hookKey(h));
  assert.equal(j.mayStart(c0), true);
  assert.equal(j.unstarted, 2);
  assert.deepEqual(j.summary('local'), { attempted: 5, failed: 2, succeeded: 1, running: 0, pending: 2 });
  // The interrupted entry is a pending change; the stored ones are not re-sent as changes.
  const w = j.beginWrite();
  assert.ok(w !== undefined);
  assert.equal(w.starts, 0);
  assert.deepEqual(w.results.map((r) => [r.pod, r.index, r.status, r.reasonCode ?? null]), [['a', 0, 'succeeded', null], ['a', 1, 'failed', 'non-zero-exit'], ['b', 0, 'failed', 'interrupted'], ['c', 0, 'pending', null], ['c', 1, 'pending', null]]);
  j.ackWrite(w.seq);
  assert.equal(j.hasChanges, false);
  // Stored pending entries are unstarted; one the plan no longer has is reported for the caller to end.
  const gone = planned('gone', 0);
  const k = new Journal(PLAN, { results: [...w.results, { ...result(gone, 'succeeded'), status: 'pending', exitCode: null, durationMs: null, reason: null, startedAt: null }], failed: 2 }, OPTS);
  assert.equal(k.mayStart(c0), true);
  assert.equal(k.unstarted, 3);
  assert.deepEqual(k.unplannedPending().map((h) => h.pod), ['gone']);
  assert.equal(k.requestStart(gone, OPTS.now), false, 'never started');
  assert.ok(k.recordResult(gone, result(gone, 'not-run', { reasonCode: 'pod-deleted' }), true));
});

void test('journal: a start is durable only after an acknowledged write; results before that are refused', () => {
  const [a0, a1] = PLAN;
  assert.ok(a0 && a1);
  const j = new Journal(PLAN, {}, OPTS);
  assert.ok(j.requestStart(a0, OPTS.now));
  assert.equal(j.requestStart(a0, OPTS.now), false, 'no second start request');
  assert.equal(j.mayExec(a0), false);
  assert.throws(() => j.recordResult(a0, result(a0, 'succeeded'), false), /before its start was durable/);
  const w1 = j.beginWrite();
  assert.ok(w1 !== undefined);
  assert.equal(w1.starts, 1);
  assert.equal(j.beginWrite(), undefined, 'one write in flight');
  // A change during the write goes out with the next one.
  assert.ok(j.requestStart(a1, OPTS.now));
  j.failWrite(w1.seq);
  assert.equal(j.mayExec(a0), false, 'a failed write releases nothing');
  const w2 = j.beginWrite();
  assert.ok(w2 !== undefined);
  assert.equal(w2.starts, 2);
  assert.deepEqual(j.ackWrite(w2.seq).map((h) => hookKey(h)), [hookKey(a0), hookKey(a1)]);
  assert.ok(j.mayExec(a0));
  assert.throws(() => j.ackWrite(w2.seq), /not the write in flight/);
  // A not-run result needs no start.
  const [, , b0] = PLAN;
  assert.ok(b0);
  assert.ok(j.recordResult(b0, result(b0, 'not-run', { reasonCode: 'pod-deleted' }), true));
  assert.equal(j.recordResult(b0, result(b0, 'succeeded'), false), false, 'first result wins');
});

void test('journal: output tails are capped per stream at a UTF-8 boundary; reasons at 512 bytes', () => {
  const [a0] = PLAN;
  assert.ok(a0);
  const j = new Journal(PLAN, {}, { ...OPTS, tailBytes: 8 });
  j.requestStart(a0, OPTS.now);
  const w = j.beginWrite();
  assert.ok(w);
  j.ackWrite(w.seq);
  j.recordResult(a0, result(a0, 'failed', { stdout: 'héllo wörld', stderr: 'short', reason: 'é'.repeat(400) }), true);
  const r = j.beginWrite()?.results[0];
  assert.ok(r);
  assert.equal(r.stdout, 'o wörld');
  assert.equal(r.stderr, 'short');
  assert.equal(r.truncated, true);
  assert.equal(Buffer.byteLength(r.reason ?? '', 'utf8'), 512);
  // Caps count bytes as stored: inside a JSON string, UTF-8, escapes included.
  const cases: readonly (readonly [string, number, string, boolean])[] = [
    ['abc', 3, 'abc', false], ['abcd', 3, 'bcd', true], ['aé', 2, 'é', true], ['aé', 1, '', true], ['€€', 4, '€', true], ['x', 0, '', true],
    ['a"b', 3, '"b', true], ['a"b', 4, 'a"b', false], ['a\nb', 2, 'b', true], ['\u0000\u0001', 6, '\u0001', true], ['\u0000\u0001', 12, '\u0000\u0001', false],
    ['a😀', 4, '😀', true], ['a😀', 3, '', true], ['\\\\', 3, '\\', true],
  ];
  for (const [text, max, tail, cut] of cases) {
    assert.deepEqual(jsonTail(text, max), { text: tail, cut }, `${JSON.stringify(text)}/${max}`);
    assert.ok(Buffer.byteLength(JSON.stringify(tail), 'utf8') - 2 <= max, `${JSON.stringify(text)}/${max}: fits`);
  }
  const heads: readonly (readonly [string, number, string])[] = [['aé', 2, 'a'], ['aé', 3, 'aé'], ['"x', 2, '"'], ['\u0002y', 5, ''], ['😀a', 4, '😀'], ['😀a', 3, '']];
  for (const [text, max, head] of heads) assert.equal(jsonHead(text, max), head, `${JSON.stringify(text)}/${max}`);
  assert.equal(utf8Head('aé', 2), 'a');
  assert.equal(utf8Head('aé', 3), 'aé');
});

void test('journal: entries the plan no longer has are kept as history and never started', () => {
  const [a0] = PLAN;
  assert.ok(a0);
  const gone = planned('gone', 0);
  const j = new Journal([a0], { results: [{ ...result(gone, 'succeeded') }], failed: 0 }, OPTS);
  assert.equal(j.mayStart(gone), false);
  assert.deepEqual(j.results('durable').map((r) => r.pod), ['gone']);
  assert.equal(j.summary().attempted, 2);
  // A hand-edited stored failed count larger than the stored results is clamped.
  const k = new Journal([a0], { results: [{ ...result(gone, 'succeeded') }], failed: 7 }, OPTS);
  assert.equal(k.summary().failed, 1);
});
