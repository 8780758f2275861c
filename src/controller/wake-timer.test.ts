/**
 * WakeTimer on a fake clock: one pending wake-up, the earlier of two asked-for times wins, a cancel
 * drops it, and `armed` says whether one is pending.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../testing/fake-clock.ts';
import { WakeTimer } from './wake-timer.ts';

const cases: readonly {
  readonly name: string;
  /** Steps: arm after ms, cancel, or advance the clock by ms. */
  readonly steps: readonly (['arm', number] | ['cancel'] | ['advance', number])[];
  /** Times (ms since the start) at which onWake ran. */
  readonly wakes: readonly number[];
  readonly armedAtEnd: boolean;
}[] = [
  { name: 'wakes once when due', steps: [['arm', 100], ['advance', 99], ['advance', 1], ['advance', 500]], wakes: [100], armedAtEnd: false },
  { name: 'a later time does not delay a pending wake-up', steps: [['arm', 100], ['arm', 300], ['advance', 1000]], wakes: [100], armedAtEnd: false },
  { name: 'an earlier time replaces a pending wake-up', steps: [['arm', 300], ['arm', 50], ['advance', 1000]], wakes: [50], armedAtEnd: false },
  { name: 'cancel drops it', steps: [['arm', 100], ['cancel'], ['advance', 1000]], wakes: [], armedAtEnd: false },
  { name: 'armed again after a wake-up', steps: [['arm', 100], ['advance', 100], ['arm', 100], ['advance', 100]], wakes: [100, 200], armedAtEnd: false },
  { name: 'still pending until due', steps: [['arm', 100], ['advance', 50]], wakes: [], armedAtEnd: true },
];

for (const c of cases) {
  void test(`WakeTimer: ${c.name}`, async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const wakes: number[] = [];
    const timer = new WakeTimer(clock, () => { wakes.push(clock.now() - start); });
    for (const step of c.steps) {
      if (step[0] === 'arm') timer.arm(clock.now(), step[1]);
      else if (step[0] === 'cancel') timer.cancel();
      else await clock.advance(step[1]);
    }
    assert.deepEqual(wakes, c.wakes);
    assert.equal(timer.armed, c.armedAtEnd);
  });
}
