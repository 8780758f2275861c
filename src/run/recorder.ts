import type { PlannedHook } from '../model/plan.ts';
import type { RunReport } from '../model/result.ts';
import { HookEvents } from './event-summary.ts';
import { EventSink } from './events.ts';
import type { RecordedResult } from './exec-hook.ts';
import { notify } from './notify.ts';
import type { RunOptions } from './run-options.ts';
import { HookTracker } from './tracker.ts';

/**
 * A durable record of the run kept by its caller (the controller's HookRun status, the quiesce
 * window's journal file). ADR 0009.
 */
export interface RunJournal {
  /**
   * Called in the hook's limiter slot right before its exec, which waits for the promise: once it
   * resolves, the start is on record, so a crash after it can be told from "never started". A
   * rejection means it could not be recorded: the hook is not executed and fails `internal`.
   * The signal aborts when the run stops; the hook is then not executed either.
   */
  hookStarting(hook: PlannedHook, signal: AbortSignal): Promise<void>;
  /**
   * Optional, a hint only: the hook was queued for a limiter slot (its earlier hooks are done, its pod
   * is ready for it), in the order it will get one. A journal may record its start ahead, so the exec
   * does not wait for that write in its slot (the controller's start lookahead, ADR 0027). It changes
   * nothing in the run: the hook still execs only in its slot, after `hookStarting` resolved, and a
   * hook recorded ahead that does not exec still ends with a result. Never throws; `signal` aborts
   * when the run stops.
   */
  hookQueued?(hook: PlannedHook, signal: AbortSignal): void;
}

/** The parts of the run's options the recorder reads. */
export type RecorderOptions = Pick<RunOptions, 'clock' | 'events' | 'eventSubject' | 'eventGrouping' | 'onEventFailure' | 'onResult' | 'onProgress' | 'journal'>;

/**
 * Everything a runner tells the world about its hooks, in one place and one order: a result is
 * recorded (first one wins, Velero's counting), then passed to `onResult`, then given to the Events
 * (its own, or its pod's summary: ADR 0023), then progress is reported. Also knows which hooks are running (exec open), for progress and for stops:
 * a running hook keeps its real outcome.
 */
export class RunRecorder {
  readonly #tracker: HookTracker;
  readonly #sink: EventSink;
  readonly #events: HookEvents;
  readonly #options: RecorderOptions;
  readonly #running = new Set<PlannedHook>();
  readonly #started = new Set<PlannedHook>();
  readonly #allRecorded: Promise<void>;
  #resolveAll: () => void = () => undefined;

  constructor(hooks: readonly PlannedHook[], options: RecorderOptions) {
    this.#tracker = new HookTracker(hooks);
    this.#sink = new EventSink(options.events, options.clock, options.onEventFailure, options.eventSubject);
    this.#events = new HookEvents(this.#tracker.hooks, this.#sink, options.eventGrouping);
    this.#options = options;
    this.#allRecorded = new Promise<void>((resolve) => {
      this.#resolveAll = resolve;
    });
    if (this.#tracker.pendingCount === 0) this.#resolveAll();
  }

  /** Distinct planned hooks, in plan order. */
  get hooks(): readonly PlannedHook[] {
    return this.#tracker.hooks;
  }

  get pendingCount(): number {
    return this.#tracker.pendingCount;
  }

  /** Resolves once every planned hook has a result. */
  get allRecorded(): Promise<void> {
    return this.#allRecorded;
  }

  isRecorded(hook: PlannedHook): boolean {
    return this.#tracker.isRecorded(hook);
  }

  /** Its exec is open now. */
  isRunning(hook: PlannedHook): boolean {
    return this.#running.has(hook);
  }

  /** Its exec was opened in this run (the quiesce window thaws exactly the pods whose hooks started). */
  hasStarted(hook: PlannedHook): boolean {
    return this.#started.has(hook);
  }

  /** The journal's "this hook starts now", to be awaited before the exec; undefined without a journal. */
  beforeExec(hook: PlannedHook, signal: AbortSignal): (() => Promise<void>) | undefined {
    const journal = this.#options.journal;
    return journal === undefined ? undefined : () => journal.hookStarting(hook, signal);
  }

  /** The hook was queued for a limiter slot: the journal's hint (RunJournal.hookQueued). */
  queued(hook: PlannedHook, signal: AbortSignal): void {
    this.#options.journal?.hookQueued?.(hook, signal);
  }

  /** The hook's exec is being opened. */
  running(hook: PlannedHook): void {
    this.#running.add(hook);
    this.#started.add(hook);
    this.progress();
  }

  /** The hook's exec is over (its result is recorded next). */
  ended(hook: PlannedHook): void {
    this.#running.delete(hook);
  }

  /** Records, notifies, gives it to the Events, reports progress; false when the hook already had a result. */
  record(hook: PlannedHook, recorded: RecordedResult, podUid: string | undefined): boolean {
    if (!this.#tracker.record(hook, recorded.result, recorded.failed)) return false;
    notify(this.#options.onResult, recorded.result);
    this.#events.result(recorded.result, podUid);
    this.progress();
    if (this.#tracker.pendingCount === 0) this.#resolveAll();
    return true;
  }

  /** Records `make(hook)` for each hook, in the given order, that has no result and is not running. */
  recordWaiting(hooks: Iterable<PlannedHook>, make: (hook: PlannedHook) => RecordedResult, podUid: string | undefined): void {
    for (const hook of hooks) {
      if (!this.isRecorded(hook) && !this.isRunning(hook)) this.record(hook, make(hook), podUid);
    }
  }

  progress(): void {
    const pending = this.#tracker.pendingCount;
    const summary = this.#tracker.summary();
    notify(this.#options.onProgress, {
      total: summary.attempted,
      waiting: pending - this.#running.size,
      running: this.#running.size,
      done: summary.attempted - pending,
      failed: summary.failed,
    });
  }

  /**
   * The run is over: writes the pod summaries still owed (pods whose last hook has no result: the run
   * stopped first), then waits a bounded grace period for outstanding Events.
   */
  async flushEvents(graceMs: number): Promise<void> {
    this.#events.endRun();
    await this.#sink.flush(graceMs);
  }

  /** Every planned hook with its result, in plan order; a hook left without one is a bug, said so. */
  report(): RunReport {
    this.#tracker.finish('internal', 'no result was recorded (bug in kubehooks)');
    return this.#tracker.report();
  }
}
