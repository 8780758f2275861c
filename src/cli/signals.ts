/**
 * SIGINT/SIGTERM for the long-running commands (run, run backup, thaw, controller, webhook, demo):
 * one subscription helper and the two patterns built on it, so that each command states what a
 * signal means and none writes its own process.on/off pairs.
 */

export type SignalName = 'SIGINT' | 'SIGTERM';

/** Subscribes a handler to SIGINT/SIGTERM; returns the unsubscribe function. Tests pass their own. */
export type SignalSource = (handler: (signal: SignalName) => void) => () => void;

export const EXIT_INTERRUPTED = 130;
export const EXIT_TERMINATED = 143;

/** The exit code after a signal: 143 for SIGTERM, 130 for SIGINT (and for a stop without a signal). */
export function exitForSignal(signal: SignalName | undefined): number {
  return signal === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

/**
 * Signals through the process, each handled once (`process.once`): the first SIGINT or SIGTERM is the
 * handler's, a second one of the same kind falls to Node's default and ends the process at once.
 * The returned function removes whatever is still subscribed.
 */
export function processSignals(handler: (signal: SignalName) => void): () => void {
  const onInt = (): void => {
    handler('SIGINT');
  };
  const onTerm = (): void => {
    handler('SIGTERM');
  };
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

export interface SignalSteps {
  /** The first signal: stop the work, keep the cleanup going. */
  readonly first: (signal: SignalName) => void;
  /** The second signal: stop the cleanup too. Later signals are ignored. */
  readonly second: (signal: SignalName) => void;
}

/**
 * First and second signal for a command whose cleanup matters (run backup's thaw): the source is
 * subscribed again at once after every signal, so no later signal ever falls to the default (exit)
 * mid-cleanup. Returns the function that removes every subscription made.
 */
export function signalSteps(source: SignalSource, steps: SignalSteps): () => void {
  let count = 0;
  const offs: (() => void)[] = [];
  const onSignal = (signal: SignalName): void => {
    count++;
    offs.push(source(onSignal));
    if (count === 1) steps.first(signal);
    else if (count === 2) steps.second(signal);
  };
  offs.push(source(onSignal));
  return () => {
    for (const off of offs) off();
  };
}

/**
 * Resolves with the first signal's name, or `aborted` when `signal` aborts first; then unsubscribes
 * both. The source calls back later, never during the subscription (process signals do).
 */
export function untilSignal(signal: AbortSignal, source: SignalSource = processSignals): Promise<SignalName | 'aborted'> {
  return new Promise((resolve) => {
    const done = (why: SignalName | 'aborted'): void => {
      off();
      signal.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onAbort = (): void => {
      done('aborted');
    };
    const off = source(done);
    if (signal.aborted) done('aborted');
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
