/**
 * One pending wake-up on the run's Clock, for a writer that paces its PUTs (journal-writer.ts,
 * start-writer.ts): `arm` keeps the earlier of the pending and the asked-for time, `onWake` runs when
 * it is due, `cancel` drops it (close, a lost writer, a write that goes now).
 */
import type { Clock } from '../run/ports.ts';

export class WakeTimer {
  readonly #clock: Clock;
  readonly #onWake: () => void;
  #ctl: AbortController | undefined;
  #due = Number.POSITIVE_INFINITY;

  constructor(clock: Clock, onWake: () => void) {
    this.#clock = clock;
    this.#onWake = onWake;
  }

  get armed(): boolean {
    return this.#ctl !== undefined;
  }

  /** Wakes `waitMs` after `now`, unless a wake-up is already pending for that time or earlier. */
  arm(now: number, waitMs: number): void {
    if (this.#ctl !== undefined && this.#due <= now + waitMs) return;
    this.#ctl?.abort();
    const ctl = new AbortController();
    this.#ctl = ctl;
    this.#due = now + waitMs;
    this.#clock.sleep(waitMs, ctl.signal).then(
      () => {
        if (this.#ctl === ctl) this.#ctl = undefined;
        this.#onWake();
      },
      () => {
        if (this.#ctl === ctl) this.#ctl = undefined;
      },
    );
  }

  cancel(): void {
    this.#ctl?.abort();
    this.#ctl = undefined;
  }
}
