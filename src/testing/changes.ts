/**
 * Waiting in tests for a condition without polling: whatever the condition reads (a fake server's
 * requests, a watcher's events) says when it changed, and the condition is checked again then. Every
 * wait has a deadline and names what it waited for when it expires.
 */

/** Something that notifies its listeners whenever its observable state changed. */
export class ChangeSignal {
  readonly #listeners = new Set<() => void>();

  notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

/**
 * Resolves once `predicate()` holds: checked at once and after every notification of `sources`.
 * Rejects naming `what` after `timeoutMs`.
 */
export function until(sources: readonly ChangeSignal[], what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const unsubscribe: (() => void)[] = [];
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => {
      finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const check = (): void => {
      let done: boolean;
      try {
        done = predicate();
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (done) finish();
    };
    for (const source of sources) unsubscribe.push(source.subscribe(check));
  });
}

/** Resolves or rejects as `promise` does, or rejects naming `what` after `timeoutMs`. */
export async function withDeadline<T>(promise: Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
