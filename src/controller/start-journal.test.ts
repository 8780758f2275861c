import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../testing/prng.ts';
import { StartJournal, recover, type JournalEntry, type Outcome } from './start-journal.ts';

const T = '2026-12-03T11:00:00.000Z';

void describe('StartJournal', () => {
  void it('releases a hook only when the journal write carrying its start is acknowledged', () => {
    const j = new StartJournal(['a', 'b']);
    assert.equal(j.requestStart('a', T), true);
    assert.equal(j.requestStart('a', T), false, 'one start request per hook');
    const w = j.beginJournalWrite();
    assert.deepEqual(w?.entries, [{ key: 'a', startedAt: T }]);
    assert.equal(j.beginJournalWrite(), undefined, 'one journal write at a time');
    assert.throws(() => j.recordOutcome('a', 'succeeded'), /before its start was durable/);
    assert.deepEqual(j.ackJournalWrite(w.seq), ['a']);
    assert.equal(j.state('a'), 'started');
  });

  void it('a failed journal write sends the same start again', () => {
    const j = new StartJournal(['a']);
    j.requestStart('a', T);
    const w1 = j.beginJournalWrite();
    j.failJournalWrite(w1!.seq);
    assert.equal(j.state('a'), 'start-requested');
    const w2 = j.beginJournalWrite();
    assert.deepEqual(w2?.entries, [{ key: 'a', startedAt: T }]);
    assert.deepEqual(j.ackJournalWrite(w2.seq), ['a']);
  });

  void it('keeps an outcome in the journal until a status write holding the result is acknowledged', () => {
    const j = new StartJournal(['a']);
    j.requestStart('a', T);
    j.ackJournalWrite(j.beginJournalWrite()!.seq);
    j.recordOutcome('a', 'succeeded');
    const w = j.beginJournalWrite();
    assert.deepEqual(w?.entries, [{ key: 'a', startedAt: T, outcome: 'succeeded' }]);
    j.ackJournalWrite(w.seq);
    const s = j.beginStatusWrite();
    assert.deepEqual(s?.finals, ['a']);
    assert.equal(j.outcomesWaiting, 1);
    j.ackStatusWrite(s.seq);
    assert.equal(j.outcomesWaiting, 0);
    assert.equal(j.journalDirty, false, 'dropping entries alone does not force a journal write');
  });

  void it('stops new starts while the journal holds outcomesMax outcomes the status lacks', () => {
    const j = new StartJournal(['a', 'b', 'c'], { outcomesMax: 2 });
    for (const k of ['a', 'b']) {
      j.requestStart(k, T);
      j.ackJournalWrite(j.beginJournalWrite()!.seq);
      j.recordOutcome(k, 'succeeded');
    }
    assert.equal(j.mayRequestStart, false);
    assert.equal(j.requestStart('c', T), false);
    const s = j.beginStatusWrite();
    j.ackStatusWrite(s!.seq);
    assert.equal(j.requestStart('c', T), true);
  });

  void it('an unstarted hook may end not-run without a journal entry', () => {
    const j = new StartJournal(['a']);
    assert.equal(j.recordOutcome('a', 'not-run'), true);
    assert.equal(j.beginJournalWrite(), undefined);
    assert.deepEqual(j.beginStatusWrite()?.finals, ['a']);
  });
});

void describe('recover', () => {
  const cases: { name: string; status: [string, 'final' | 'running' | 'pending'][]; journal: JournalEntry[] | 'lost'; want: string }[] = [
    { name: 'final in status wins over the journal', status: [['a', 'final']], journal: [{ key: 'a', startedAt: T }], want: 'kept' },
    { name: 'outcome in the journal only', status: [['a', 'running']], journal: [{ key: 'a', startedAt: T, outcome: 'failed' }], want: 'outcome' },
    { name: 'start in the journal, pending in status', status: [['a', 'pending']], journal: [{ key: 'a', startedAt: T }], want: 'interrupted' },
    { name: 'running in status, journal without it', status: [['a', 'running']], journal: [], want: 'interrupted' },
    { name: 'neither started nor finished', status: [['a', 'pending']], journal: [], want: 'unstarted' },
    { name: 'journal lost: nothing runs', status: [['a', 'pending']], journal: 'lost', want: 'interrupted' },
    { name: 'journal lost: finals kept', status: [['a', 'final']], journal: 'lost', want: 'kept' },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      assert.equal(recover(['a'], new Map(c.status), c.journal).get('a'), c.want);
    });
  }
});

/**
 * Random schedules of requests, writes (acknowledged, refused, or stored with the answer lost), execs
 * and results, with a crash after every step: recovery from the two objects as stored never offers a
 * hook that executed, keeps at most `concurrency` hooks interrupted, and a resumed run executes
 * every hook at most once over any number of crashes.
 */
void describe('StartJournal: a crash at every step', () => {
  const keys = Array.from({ length: 12 }, (_, i) => `h${i}`);
  const C = 3;
  for (let seed = 1; seed <= 60; seed++) {
    void it(`schedule ${seed}`, () => {
      const r = prng(seed);
      const executed = new Map<string, number>();
      const statusFinal = new Set<string>();
      let durableJournal: readonly JournalEntry[] = [];
      let todo = [...keys];
      let crashes = 0;
      while (todo.length > 0 && crashes < 20) {
        const j = new StartJournal(todo, { outcomesMax: 4 });
        let journalW: ReturnType<StartJournal['beginJournalWrite']>;
        let statusW: ReturnType<StartJournal['beginStatusWrite']>;
        const crashAt = Math.floor(r() * 80);
        for (let step = 0; step < 400; step++) {
          if (step === crashAt) break;
          const busy = todo.filter((k) => j.state(k) === 'start-requested' || j.state(k) === 'started');
          const roll = r();
          if (roll < 0.2 && busy.length < C) {
            const next = todo.find((k) => j.state(k) === 'unstarted');
            if (next !== undefined) j.requestStart(next, T);
          } else if (roll < 0.4) {
            if (journalW === undefined) journalW = j.beginJournalWrite();
            else {
              const how = r();
              if (how < 0.8) durableJournal = journalW.entries;
              if (how < 0.6) j.ackJournalWrite(journalW.seq);
              else j.failJournalWrite(journalW.seq); // refused (0.8-1) or stored with the answer lost (0.6-0.8)
              journalW = undefined;
            }
          } else if (roll < 0.6) {
            const started = todo.filter((k) => j.state(k) === 'started');
            const k = started[Math.floor(r() * started.length)];
            if (k !== undefined) {
              executed.set(k, (executed.get(k) ?? 0) + 1);
              const outcomes: Outcome[] = ['succeeded', 'failed', 'timed-out'];
              j.recordOutcome(k, outcomes[Math.floor(r() * 3)] ?? 'failed');
            }
          } else if (roll < 0.8) {
            if (statusW === undefined) statusW = j.beginStatusWrite();
            else {
              const how = r();
              if (how < 0.8) for (const k of statusW.finals) statusFinal.add(k);
              if (how < 0.6) j.ackStatusWrite(statusW.seq);
              else j.failStatusWrite(statusW.seq);
              statusW = undefined;
            }
          } else if (roll < 0.82) {
            const k = todo.find((x) => j.state(x) === 'start-requested');
            if (k !== undefined) j.recordOutcome(k, 'not-run'); // the run stopped before its start was durable
          }
          // A crash here: what would a new process do?
          const rec = recover(keys, new Map([...statusFinal].map((k) => [k, 'final' as const])), durableJournal);
          for (const [k, n] of executed) assert.notEqual(rec.get(k), 'unstarted', `seed ${seed} step ${step}: ${k} executed ${n}x but would run again`);
          const interrupted = todo.filter((k) => rec.get(k) === 'interrupted').length;
          assert.ok(interrupted <= C, `seed ${seed} step ${step}: ${interrupted} interrupted > concurrency ${C}`);
          const waiting = durableJournal.filter((e) => e.outcome !== undefined && !statusFinal.has(e.key)).length;
          // The cap stops new starts; the hooks already started may still finish: at most outcomesMax + concurrency.
          assert.ok(waiting <= 4 + C, `seed ${seed}: ${waiting} outcomes waiting > outcomesMax + concurrency`);
        }
        // Crash and resume: the resumed run's first status write records every recovered hook.
        crashes++;
        const rec = recover(keys, new Map([...statusFinal].map((k) => [k, 'final' as const])), durableJournal);
        for (const [k, v] of rec) if (v !== 'unstarted') statusFinal.add(k);
        todo = keys.filter((k) => rec.get(k) === 'unstarted');
        durableJournal = [];
      }
      for (const [k, n] of executed) assert.equal(n, 1, `seed ${seed}: ${k} executed ${n} times`);
    });
  }
});

void describe('StartJournal after a takeover', () => {
  void it('keeps recovered hooks in the journal until a status write holds them; a forced write carries them under the new holder', () => {
    const j = new StartJournal(['a', 'b'], { recovered: [{ key: 'x', startedAt: T, outcome: 'failed' }] });
    assert.equal(j.state('x'), 'finished');
    assert.equal(j.journalDirty, true, 'the takeover write must carry it');
    const w = j.beginJournalWrite(true);
    assert.deepEqual(w?.entries, [{ key: 'x', startedAt: T, outcome: 'failed' }]);
    j.ackJournalWrite(w.seq);
    assert.equal(j.journalDirty, false);
    assert.ok(j.beginJournalWrite(true) !== undefined, 'forced: an image although nothing changed');
    const s = j.beginStatusWrite();
    assert.deepEqual(s?.finals, ['x']);
    j.ackStatusWrite(s.seq);
    assert.equal(j.outcomesWaiting, 0);
    assert.throws(() => new StartJournal([], { recovered: [{ key: 'y', startedAt: T }] }), /needs an outcome/);
  });
});
