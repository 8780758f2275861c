/**
 * Counts the elementary steps of the loader's per-key algorithms (map items indexed or compared,
 * path segments followed), so tests can check how the work grows with the input without timing it.
 */
export interface WorkCounter {
  add(steps: number): void;
}

export const NO_COUNTER: WorkCounter = { add: () => undefined };

/** A counter for tests. */
export function stepCounter(): WorkCounter & { readonly steps: number } {
  let steps = 0;
  return {
    add(n: number): void {
      steps += n;
    },
    get steps(): number {
      return steps;
    },
  };
}
