import type { Clock } from './ports.ts';
import type { StopCause } from './exec-hook.ts';

/**
 * The run's own stop switch: aborts on the caller's signal (cause `aborted`) or when the overall
 * deadline passes (cause `deadline`). Everything the run starts hangs off `signal`.
 */
export class RunControl {
  readonly #ctl = new AbortController();
  readonly #timer = new AbortController();
  readonly #onAbort: () => void;
  readonly #outer: AbortSignal;
  #cause: StopCause | undefined;
  readonly #listeners: ((cause: StopCause) => void)[] = [];

  constructor(outer: AbortSignal, clock: Clock, deadlineMs: number | undefined) {
    this.#outer = outer;
    this.#onAbort = () => {
      this.stop('aborted');
    };
    if (outer.aborted) this.stop('aborted');
    else outer.addEventListener('abort', this.#onAbort, { once: true });
    if (deadlineMs !== undefined && Number.isFinite(deadlineMs) && deadlineMs > 0) {
      clock.sleep(deadlineMs, this.#timer.signal).then(
        () => {
          this.stop('deadline');
        },
        () => undefined,
      );
    }
  }

  get signal(): AbortSignal {
    return this.#ctl.signal;
  }

  get cause(): StopCause | undefined {
    return this.#cause;
  }

  /** Registers a stop listener; on a control that has already stopped it is called at once. */
  onStop(listener: (cause: StopCause) => void): void {
    if (this.#cause !== undefined) {
      listener(this.#cause);
      return;
    }
    this.#listeners.push(listener);
  }

  stop(cause: StopCause): void {
    if (this.#cause !== undefined) return;
    this.#cause = cause;
    this.#timer.abort();
    this.#ctl.abort(new Error(cause === 'deadline' ? 'run deadline exceeded' : 'run aborted'));
    for (const l of this.#listeners) l(cause);
  }

  dispose(): void {
    this.#timer.abort();
    this.#outer.removeEventListener('abort', this.#onAbort);
  }
}

export function stopReasonText(cause: StopCause): string {
  return cause === 'deadline'
    ? 'not run: the run deadline passed first (--deadline)'
    : 'not run: the run was interrupted';
}
