import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from './ports.ts';

/** The real clock: wall time and timers that are cleared when the signal aborts. */
export function createSystemClock(): Clock {
  return {
    now: () => Date.now(),
    sleep: async (ms, signal) => {
      await delay(Math.max(0, ms), undefined, { signal });
    },
  };
}
