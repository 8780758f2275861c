/**
 * Hooks whose exec waits for a durable start, by hook key: the status journal's writer
 * (journal-writer.ts) and the HookRunJournal's (start-writer.ts) park a start here and settle it when
 * the write that carries it is acknowledged, or reject it when the writer stops.
 */
interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class StartWaiters {
  readonly #waiters = new Map<string, Waiter>();

  has(key: string): boolean {
    return this.#waiters.has(key);
  }

  /** The keys parked now. */
  keys(): string[] {
    return [...this.#waiters.keys()];
  }

  /**
   * Resolves on `resolve(key)`, rejects on `reject(key)` or `rejectAll`. An abort of `signal` (also
   * one that happened before the call) forgets the key, runs `onAbort` (the caller's own bookkeeping)
   * and rejects.
   */
  wait(key: string, signal: AbortSignal, onAbort?: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const aborted = (): void => {
        this.#waiters.delete(key);
        onAbort?.();
        reject(new Error('the run stopped before the start was recorded'));
      };
      if (signal.aborted) {
        aborted();
        return;
      }
      signal.addEventListener('abort', aborted, { once: true });
      this.#waiters.set(key, {
        resolve: () => {
          signal.removeEventListener('abort', aborted);
          resolve();
        },
        reject: (error) => {
          signal.removeEventListener('abort', aborted);
          reject(error);
        },
      });
    });
  }

  resolve(key: string): void {
    const w = this.#waiters.get(key);
    this.#waiters.delete(key);
    w?.resolve();
  }

  reject(key: string, error: Error): void {
    const w = this.#waiters.get(key);
    this.#waiters.delete(key);
    w?.reject(error);
  }

  rejectAll(error: Error): void {
    const waiters = [...this.#waiters.values()];
    this.#waiters.clear();
    for (const w of waiters) w.reject(error);
  }
}
