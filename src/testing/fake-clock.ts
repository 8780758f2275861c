import type { Clock } from '../run/ports.ts';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * A manual clock for tests: time moves only through `advance`. Timers fire in time order, and the
 * microtask/macrotask queue is drained between firings so code awaiting a timer runs before the next.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 10, 25, 12, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the earliest pending timer is due (undefined: none); a scheduler advances exactly to it. */
  get nextDueAt(): number | undefined {
    let at: number | undefined;
    for (const t of this.#timers) if (at === undefined || t.at < at) at = t.at;
    return at;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    // Zero-length sleeps complete on their own, like a real timer due now.
    if (ms <= 0) return new Promise<void>((resolve) => setImmediate(resolve));
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Moves time forward by `ms`, firing due timers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.resolve();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets pending promise continuations and immediates run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
