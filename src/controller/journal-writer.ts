/**
 * The I/O shell around the journal (journal.ts): decides when to write the HookRun's status, writes
 * it, and handles conflicts. The bound on status writes, per HookRun:
 *
 * - one write at a time;
 * - a write that carries hook starts (hooks waiting to exec) at most every START_WRITE_INTERVAL_MS
 *   (100 ms), so at most 10 writes per second; every start waiting then goes in the same write;
 * - a write of results only at most every RESULT_WRITE_INTERVAL_MS (1 s);
 * - after a conflict (409) or a write whose outcome is unknown, one re-read, then the same bound.
 *
 * Conflicts: the HookRun changed since our last write. When what the API server holds is our last
 * acknowledged status (someone edited metadata) or exactly the write whose answer we missed, we go
 * on with the new resourceVersion. Anything else means another writer (a second controller, a
 * person) changed the status: we stop writing and report `lost` (the caller stops the run; its
 * hooks already started stay `running` in the status and the owner of the status accounts for them).
 *
 * Just over 300 lines on purpose: the write bound and the conflict rules above are one loop.
 */
import { isDeepStrictEqual } from 'node:util';
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import type { Clock } from '../run/ports.ts';
import { hookKey } from '../run/hook-key.ts';
import type { HookRun, HookRunResult, HookRunStatus } from './hookrun-types.ts';
import type { Journal, WriteImage } from './journal.ts';
import { StartWaiters } from './start-waiters.ts';
import { WakeTimer } from './wake-timer.ts';
import type { StartWriter } from './start-writer.ts';

export const START_WRITE_INTERVAL_MS = 100;
export const RESULT_WRITE_INTERVAL_MS = 1_000;
/**
 * ADR 0024, with a start writer: the next status write waits at least this many times the last one's
 * duration (and at least RESULT_WRITE_INTERVAL_MS), so kube-apiserver spends at most about half its
 * time on the big object; not while starts wait for a status write (the journal is full of outcomes).
 */
export const STATUS_WRITE_COST_FACTOR = 2;
/** A failing write (API unreachable, 5xx) is retried no faster than this, doubling up to the max. */
export const WRITE_RETRY_MIN_MS = 200;
export const WRITE_RETRY_MAX_MS = 5_000;

/** The HookRun API as the controller uses it (src/kube implements it). */
export interface HookRunStore {
  get(namespace: string, name: string, signal: AbortSignal): Promise<HookRun>;
  /** PUT of the status subresource; the object's metadata.resourceVersion is the precondition. */
  replaceStatus(hookRun: HookRun, signal: AbortSignal): Promise<HookRun>;
}

/** A 409 from replaceStatus. src/kube's errors carry `statusCode`. */
export function isConflict(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: unknown }).statusCode === 409;
}

export type WriterState = 'writing' | 'lost' | 'closed';

export interface JournalWriterOptions {
  readonly journal: Journal;
  readonly store: HookRunStore;
  readonly clock: Clock;
  /** The HookRun as last read (its resourceVersion is the first write's precondition). */
  readonly hookRun: HookRun;
  /** The whole status for a journal image (phase, conditions, plan, summary, skipped). Pure. */
  readonly statusFor: (image: Pick<WriteImage, 'results' | 'summary'>) => HookRunStatus;
  /**
   * This writer's identity, stored as status.holder with every write: on a conflict, a stored status
   * is taken for our own write only when it carries our holder, so two controllers that planned alike
   * can never mistake each other's writes for their own.
   */
  readonly holder: string;
  readonly onLost?: ((why: string) => void) | undefined;
  /** A write failed for another reason (logged by the caller; it is retried). */
  readonly onWriteError?: ((error: unknown) => void) | undefined;
  readonly startIntervalMs?: number;
  readonly resultIntervalMs?: number;
  /**
   * ADR 0024: starts are made durable by the HookRunJournal's writer (start-writer.ts), not by status
   * writes; the status carries results at the results pace only, and tells the start writer which
   * finals each acknowledged write holds. The Journal must be built with `startsElsewhere`.
   */
  readonly starts?: StartWriter | undefined;
}

export class JournalLostError extends Error {
  readonly code = 'journal-lost';
}

/**
 * Serialises status writes for one HookRun. `hookStarting` is the runner's journal seam (awaited
 * before each exec); `hookEnded` records results as they happen; `finish` writes until the status holds
 * everything and returns the last HookRun.
 */
export class JournalWriter {
  readonly #o: JournalWriterOptions;
  readonly #ctl = new AbortController();
  readonly #waiters = new StartWaiters();
  #hookRun: HookRun;
  #state: WriterState = 'writing';
  #writing: Promise<void> | undefined;
  /** When the pending timer fires (a start arriving during a results wait needs an earlier one). */
  readonly #wake: WakeTimer;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  /** How long the last acknowledged status write took (ms). */
  #lastWriteMs = 0;
  #retryMs = 0;
  /** No write before this time (back-off after a failed write). */
  #notBefore = Number.NEGATIVE_INFINITY;
  #forced = false;
  #writes = 0;
  #conflicts = 0;
  #idle: (() => void)[] = [];

  constructor(options: JournalWriterOptions) {
    this.#o = options;
    this.#wake = new WakeTimer(options.clock, () => { this.#kick(); });
    this.#hookRun = options.hookRun;
    this.#durableHolder = options.hookRun.status?.holder;
    this.#ours = [{ holder: this.#durableHolder, results: options.hookRun.status?.results ?? [] }];
  }

  /** status.holder as last acknowledged (initially: as read). */
  #durableHolder: string | undefined;
  /**
   * What else the status may hold though nobody else wrote it: until our first acknowledged write,
   * the status as read (a resumed run's Journal is the status merged with the HookRunJournal, so its
   * durable view differs from it); and our writes whose answer and the read after it both failed.
   */
  #ours: { readonly holder: string | undefined; readonly results: readonly HookRunResult[] }[];

  get state(): WriterState {
    return this.#state;
  }

  /** Status writes sent (acknowledged or not) and conflicts met, for metrics and the benchmark. */
  get stats(): { readonly writes: number; readonly conflicts: number } {
    return { writes: this.#writes, conflicts: this.#conflicts };
  }

  get hookRun(): HookRun {
    return this.#hookRun;
  }

  /** The runner's seam: resolves once the hook's start is stored; rejects when it cannot be. */
  hookStarting(hook: PlannedHook, signal: AbortSignal): Promise<void> {
    if (this.#state !== 'writing') return Promise.reject(new JournalLostError(`the HookRun status is not ours to write (${this.#state})`));
    const key = hookKey(hook);
    if (!this.#o.journal.requestStart(hook, new Date(this.#o.clock.now()).toISOString())) {
      return Promise.reject(new Error(`hook ${key} already has a start or a result in the journal`));
    }
    const starts = this.#o.starts;
    if (starts !== undefined) {
      return starts.hookStarting(hook, signal).then(() => {
        if (this.#state !== 'writing') throw new JournalLostError(`the HookRun status is not ours to write (${this.#state})`);
        this.#o.journal.startDurable(hook);
        this.#kick();
      });
    }
    const parked = this.#waiters.wait(key, signal);
    if (!signal.aborted) this.#kick();
    return parked;
  }

  /** The runner's hint (RunJournal.hookQueued): passed to the start writer, which may record the start ahead (ADR 0027). */
  hookQueued(hook: PlannedHook, signal: AbortSignal): void {
    if (this.#state !== 'writing' || !this.#o.journal.mayStart(hook)) return;
    this.#o.starts?.hookQueued(hook, signal);
  }

  /** A result as it happens (the runner's onResult). */
  hookEnded(hook: Pick<PlannedHook, 'namespace' | 'pod' | 'container' | 'source' | 'name' | 'phase' | 'index'>, result: HookResult, failed: boolean): void {
    if (!this.#o.journal.recordResult(hook, result, failed)) return;
    this.#o.starts?.hookEnded(hook, { status: result.status, exitCode: result.exitCode, durationMs: result.durationMs, ...(result.reasonCode === undefined ? {} : { reasonCode: result.reasonCode }) });
    this.#kick();
  }

  /** Starts wait for a status write (start-writer.ts): write as soon as the results bound allows. */
  expedite(): void {
    this.#kick();
  }

  /** Something changed outside the journal (conditions): write it under the results bound. */
  touch(): void {
    this.#kick(true);
  }

  /**
   * Writes until the status holds every change (or the writer is lost, or `signal` aborts), with the
   * same bound as during the run. Returns the HookRun as last stored.
   */
  async finish(signal: AbortSignal): Promise<HookRun> {
    this.#kick(true);
    while (this.#state === 'writing' && (this.#o.journal.hasChanges || this.#o.journal.writeInFlight || this.#forced) && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        signal.addEventListener('abort', done, { once: true });
        this.#idle.push(done);
      });
    }
    return this.#hookRun;
  }

  /** Stops writing; waiting starts are rejected. Idempotent. */
  close(): void {
    if (this.#state === 'writing') this.#state = 'closed';
    this.#ctl.abort();
    this.#wake.cancel();
    this.#rejectWaiters(new JournalLostError('the journal writer closed'));
    this.#wakeIdle();
  }

  #kick(force = false): void {
    if (force) this.#forced = true;
    if (this.#state !== 'writing' || this.#writing !== undefined) return;
    const journal = this.#o.journal;
    if (!journal.hasChanges && !this.#forced) {
      this.#wakeIdle();
      return;
    }
    const starts = this.#o.starts;
    const resultInterval = this.#o.resultIntervalMs ?? RESULT_WRITE_INTERVAL_MS;
    const interval = starts === undefined
      ? (journal.waitingStarts > 0 ? (this.#o.startIntervalMs ?? START_WRITE_INTERVAL_MS) : resultInterval)
      : (starts.startsHeld ? resultInterval : Math.max(resultInterval, STATUS_WRITE_COST_FACTOR * this.#lastWriteMs));
    const now = this.#o.clock.now();
    const wait = Math.max(this.#notBefore - now, this.#lastWriteAt + interval - now);
    if (wait > 0) {
      this.#wake.arm(now, wait);
      return;
    }
    this.#wake.cancel();
    this.#writing = this.#write().finally(() => {
      this.#writing = undefined;
      this.#kick();
    });
  }

  async #write(): Promise<void> {
    const journal = this.#o.journal;
    this.#forced = false;
    const image = journal.beginWrite() ?? { seq: undefined, results: journal.results('local'), summary: journal.summary('local') };
    // The finals this write carries (ADR 0024: their journal entries go once it is acknowledged).
    const finals = this.#o.starts?.beginStatusWrite();
    const ack = (): void => {
      if (image.seq !== undefined) this.#release(journal.ackWrite(image.seq));
      this.#o.starts?.ackStatusWrite(finals);
    };
    const fail = (): void => {
      if (image.seq !== undefined) journal.failWrite(image.seq);
      this.#o.starts?.failStatusWrite(finals);
    };
    const status: HookRunStatus = { ...this.#o.statusFor(image), holder: this.#o.holder };
    const body: HookRun = { ...this.#hookRun, status };
    this.#lastWriteAt = this.#o.clock.now();
    this.#writes++;
    try {
      this.#hookRun = await this.#o.store.replaceStatus(body, this.#ctl.signal);
      this.#lastWriteMs = this.#o.clock.now() - this.#lastWriteAt;
      this.#durableHolder = this.#o.holder;
      this.#ours = [];
      this.#retryMs = 0;
      ack();
    } catch (error) {
      if (this.#ctl.signal.aborted) {
        fail();
        return;
      }
      if (!isConflict(error)) this.#o.onWriteError?.(error);
      else this.#conflicts++;
      // Conflict, or an outcome we do not know: read what is stored and decide.
      let current: HookRun;
      try {
        current = await this.#o.store.get(this.#hookRun.metadata.namespace, this.#hookRun.metadata.name, this.#ctl.signal);
      } catch (readError) {
        fail();
        if (!isConflict(error)) this.#ours.push({ holder: this.#o.holder, results: image.results });
        if (image.seq === undefined) this.#forced = true;
        if (!isAborted(this.#ctl.signal)) {
          this.#o.onWriteError?.(readError);
          this.#backoff();
        }
        return;
      }
      const stored = current.status ?? {};
      if (current.metadata.uid !== this.#hookRun.metadata.uid) {
        fail();
        this.#lose('the HookRun was deleted and re-created');
        return;
      }
      // Ours when it carries our results and our end (the completion write changes phase and completionTime only).
      if (stored.holder === this.#o.holder && isDeepStrictEqual(stored.results ?? [], image.results) && stored.phase === status.phase && stored.completionTime === status.completionTime) {
        // The write was stored; only its answer was lost (or metadata changed after it).
        this.#hookRun = current;
        this.#durableHolder = this.#o.holder;
        this.#ours = [];
        ack();
        return;
      }
      const ours = this.#ours.find((o) => stored.holder === o.holder && isDeepStrictEqual(stored.results ?? [], o.results));
      if (ours !== undefined || (stored.holder === this.#durableHolder && isDeepStrictEqual(stored.results ?? [], journal.results('durable')))) {
        // Not stored; nobody else wrote the status (it holds our last acknowledged write, the status
        // as we read it, or a write of ours whose answer and read both failed): retry on the new resourceVersion.
        if (ours !== undefined) {
          this.#durableHolder = ours.holder;
          this.#ours = [ours];
        }
        this.#hookRun = current;
        fail();
        if (!isConflict(error)) this.#backoff();
        // A write of conditions only (no journal changes to put back) must still go out.
        if (image.seq === undefined) this.#forced = true;
        return;
      }
      fail();
      this.#lose('another writer changed status.results (a second controller without leader election, or a person): this controller stops the run and leaves the status to it');
    }
  }

  #backoff(): void {
    this.#retryMs = this.#retryMs === 0 ? WRITE_RETRY_MIN_MS : Math.min(WRITE_RETRY_MAX_MS, this.#retryMs * 2);
    this.#notBefore = this.#o.clock.now() + this.#retryMs;
  }

  #release(hooks: readonly Pick<PlannedHook, 'namespace' | 'pod' | 'container' | 'source' | 'name' | 'phase' | 'index'>[]): void {
    for (const h of hooks) {
      this.#waiters.resolve(hookKey(h));
    }
  }

  #lose(why: string): void {
    if (this.#state !== 'writing') return;
    this.#state = 'lost';
    this.#wake.cancel();
    this.#rejectWaiters(new JournalLostError(why));
    this.#o.onLost?.(why);
    this.#wakeIdle();
  }

  #rejectWaiters(error: Error): void {
    this.#waiters.rejectAll(error);
  }

  #wakeIdle(): void {
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }
}

/** Read through a call: the signal flips while we await, which TypeScript's narrowing cannot see. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
