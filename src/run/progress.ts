/**
 * Counts for a progress display. Every distinct planned hook is in exactly one of `waiting` (not
 * started: waiting for its container, its turn or a limiter slot), `running` (its exec is open) and
 * `done` (it has a result), so `total = waiting + running + done`; `failed` counts the done hooks
 * that count as failed in the summary.
 */
export interface RunProgress {
  readonly total: number;
  readonly waiting: number;
  readonly running: number;
  readonly done: number;
  readonly failed: number;
}
