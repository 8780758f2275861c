import type { PlannedHook } from '../model/plan.ts';
import type { RunReport } from '../model/result.ts';
import { execHook, type ExecDeps, type ExecTurn, type RecordedResult, type StopCause } from './exec-hook.ts';
import { DEFAULT_MAX_OUTPUT_BYTES } from './ports.ts';
import { RunRecorder } from './recorder.ts';
import { hookResult, notRun } from './results.ts';
import { RunControl, stopReasonText } from './run-control.ts';
import { DEFAULT_EVENT_GRACE_MS, limiterFor, withConcurrency, type RunOptions } from './run-options.ts';

export interface ExecuteTurn {
  /** The pod's UID, for the Event. */
  readonly podUid: string | undefined;
  /** Checked when the limiter slot is granted (and after the journal): false = do not start. */
  readonly stillWanted?: (() => boolean) | undefined;
  readonly onRecorded?: ((recorded: RecordedResult) => void) | undefined;
}

/** The journal could not record a hook's start (kept apart from executor errors for the message). */
class JournalError extends Error {}

/** One hook's way through RunSession.execute: the exec's turn (ExecTurn) and what follows it. */
class Execution implements ExecTurn {
  readonly signal: AbortSignal;
  readonly beforeExec: (() => Promise<void>) | undefined;
  readonly #recorder: RunRecorder;
  readonly #control: RunControl;
  readonly #hook: PlannedHook;
  readonly #turn: ExecuteTurn;
  /** Set in the slot (onOutcome) or after a journal failure: the result was recorded here. */
  #kept = false;

  constructor(recorder: RunRecorder, control: RunControl, hook: PlannedHook, turn: ExecuteTurn) {
    this.#recorder = recorder;
    this.#control = control;
    this.#hook = hook;
    this.#turn = turn;
    this.signal = control.signal;
    const journal = recorder.beforeExec(hook, control.signal);
    this.beforeExec =
      journal === undefined
        ? undefined
        : () =>
            journal().catch((error: unknown) => {
              throw new JournalError(error instanceof Error ? error.message : String(error));
            });
  }

  queued(): void {
    this.#recorder.queued(this.#hook, this.signal);
  }

  stopCause(): StopCause | undefined {
    return this.#control.cause;
  }

  stillWanted(): boolean {
    return this.#control.cause === undefined && !this.#recorder.isRecorded(this.#hook) && (this.#turn.stillWanted?.() ?? true);
  }

  onStart(): void {
    this.#recorder.running(this.#hook);
  }

  onOutcome(recorded: RecordedResult): void {
    this.#keep(recorded);
  }

  /** execHook's value: the result when this execution recorded it, else undefined (not started, or ended meanwhile). */
  settled(recorded: RecordedResult | undefined): RecordedResult | undefined {
    this.#recorder.ended(this.#hook);
    return recorded !== undefined && this.#kept ? recorded : undefined;
  }

  /** execHook rejected: only the journal does, so the hook did not start. */
  rejected(error: unknown): RecordedResult | undefined {
    const reason = error instanceof JournalError ? `not run: its start could not be recorded: ${error.message}` : `executor error: ${String(error)}`;
    const failed: RecordedResult = { result: hookResult(this.#hook, 'failed', 'internal', reason), failed: true };
    const kept = this.#keep(failed);
    this.#recorder.ended(this.#hook);
    return kept ? failed : undefined;
  }

  #keep(recorded: RecordedResult): boolean {
    this.#recorder.ended(this.#hook);
    this.#kept = this.#recorder.record(this.#hook, recorded, this.#turn.podUid);
    if (this.#kept) this.#turn.onRecorded?.(recorded);
    return this.#kept;
  }
}

/**
 * What one run of hooks shares, whoever drives it (the backup and post-restore runners, the
 * controller, the quiesce window's stages): the recorder, the stop switch (abort and deadline), the
 * limiter and the exec. `execute` is the one exec → record → progress path. ADR 0009.
 */
export class RunSession {
  readonly recorder: RunRecorder;
  readonly control: RunControl;
  readonly #deps: ExecDeps;
  readonly #concurrency: ReturnType<typeof limiterFor>['report'];
  readonly #eventGraceMs: number;

  /** `hooks`: the hooks this run accounts for (every one ends with exactly one result). */
  constructor(hooks: readonly PlannedHook[], options: RunOptions) {
    this.recorder = new RunRecorder(hooks, options);
    this.control = new RunControl(options.signal, options.clock, options.deadlineMs);
    const { limit, report } = limiterFor(options);
    this.#deps = { executor: options.executor, limit, maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES };
    this.#concurrency = report;
    this.#eventGraceMs = options.eventGraceMs ?? DEFAULT_EVENT_GRACE_MS;
  }

  /** Why the run stopped early, or undefined while it goes on. */
  get cause(): StopCause | undefined {
    return this.control.cause;
  }

  /**
   * Execs the hook when a limiter slot is free, records its result (with `podUid` for the Event) in
   * the slot, before the slot is freed (so no more than `concurrency` hooks are ever started without a
   * result, in the recorder or in a journal fed by `onResult`), calls `onRecorded` in the same turn (so
   * a `Fail` stops the pod before any other code runs) and returns the result; undefined when the hook
   * was not started because it was recorded meanwhile, the run stopped, or `stillWanted` said no
   * (checked when the slot is granted). Never rejects.
   */
  execute(hook: PlannedHook, turn: ExecuteTurn): Promise<RecordedResult | undefined> {
    // One object with methods, and promise callbacks rather than an async function: a queued hook
    // holds this, its promises and two callbacks, no suspended frame and no closure per callback
    // of the exec's turn (thousands can be queued at once; issue 18 part 4).
    const execution = new Execution(this.recorder, this.control, hook, turn);
    return execHook(hook, this.#deps, execution).then(
      (recorded) => execution.settled(recorded),
      (error: unknown) => execution.rejected(error),
    );
  }

  /** Runs `listener` when the run stops (at once if it has); see `recordStopped`. */
  onStop(listener: (cause: StopCause) => void): void {
    this.control.onStop(listener);
  }

  /** Ends the given hooks that are neither recorded nor running as not-run with the stop's cause. */
  recordStopped(hooks: Iterable<PlannedHook>, cause: StopCause, podUid: string | undefined): void {
    this.recorder.recordWaiting(hooks, (hook) => ({ result: notRun(hook, cause, stopReasonText(cause)), failed: true }), podUid);
  }

  /** Clears the deadline timer and lets go of the caller's signal. Idempotent. */
  release(): void {
    this.control.dispose();
  }

  /** `release`, then a bounded wait for outstanding Events. */
  async close(): Promise<void> {
    this.release();
    await this.recorder.flushEvents(this.#eventGraceMs);
  }

  /** The report: every hook in plan order, with the adaptive limit's figures when it adapted. */
  report(): RunReport {
    return withConcurrency(this.recorder.report(), this.#concurrency());
  }
}
