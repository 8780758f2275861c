/** Counts for a progress display. Every planned hook is in exactly one bucket. */
export interface RunProgress {
  readonly total: number;
  readonly waiting: number;
  readonly running: number;
  readonly done: number;
  readonly failed: number;
}
