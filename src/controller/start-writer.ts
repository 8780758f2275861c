/**
 * The I/O shell around StartJournal (start-journal.ts): writes a run's HookRunJournal (ADR 0024), the
 * write-ahead part of its journal. `hookStarting` is the runner's journal seam: it resolves once a
 * journal PUT carrying the hook's start is acknowledged, and the hook may exec then. The bound, per
 * HookRun:
 *
 * - one journal PUT at a time, at most one every JOURNAL_WRITE_INTERVAL_MS (100 ms): every start and
 *   outcome waiting then goes in the same PUT;
 * - a hook's outcome goes with the next journal PUT (the one of its slot's next start, at the latest);
 *   an entry leaves with the first PUT after a status write holding its final result was acknowledged;
 * - while JOURNAL_OUTCOMES_MAX outcomes wait for a status write, new starts wait for it.
 *
 * Two writers: every PUT carries metadata.resourceVersion and this writer's holder. After a 409 or an
 * unknown outcome the journal is re-read: our own unanswered write, or our last acknowledged journal
 * (someone edited metadata), goes on; anything else is another writer (a controller that took the run
 * over), and this writer stops before any further exec (`onLost`). A takeover (`takeover`) PUTs the
 * journal under its own holder on the resourceVersion it recovered from, before any start.
 */
import { isDeepStrictEqual } from 'node:util';
import type { PlannedHook } from '../model/plan.ts';
import type { Clock } from '../run/ports.ts';
import { hookKey } from '../run/hook-key.ts';
import type { HookRunJournalStore } from '../kube/hookrunjournals.ts';
import type { HookRunJournal, HookRunJournalEntry, HookRunJournalOutcome } from './hookrun-types.ts';
import { JournalLostError, WRITE_RETRY_MAX_MS, WRITE_RETRY_MIN_MS, isConflict } from './journal-writer.ts';
import type { JournalImage, StartJournal } from './start-journal.ts';
import { StartWaiters } from './start-waiters.ts';
import { WakeTimer } from './wake-timer.ts';

export const JOURNAL_WRITE_INTERVAL_MS = 100;

export type HookIdentity = Pick<PlannedHook, 'namespace' | 'pod' | 'container' | 'source' | 'name' | 'phase' | 'index'>;

export interface StartWriterOptions {
  readonly store: HookRunJournalStore;
  readonly clock: Clock;
  /** The journal as read or created: its resourceVersion is the first PUT's precondition. */
  readonly journal: HookRunJournal;
  readonly starts: StartJournal;
  /** Every hook the journal may name, by hookKey (planned hooks and recovered ones). */
  readonly hooks: ReadonlyMap<string, HookIdentity>;
  /** Outcomes known already (recovered hooks), by hookKey. */
  readonly outcomes?: ReadonlyMap<string, HookRunJournalOutcome> | undefined;
  readonly holder: string;
  /** `cause`: `gone` when the journal was deleted or replaced, `taken` when another writer changed it. */
  readonly onLost?: ((why: string, cause: 'gone' | 'taken') => void) | undefined;
  readonly onWriteError?: ((error: unknown) => void) | undefined;
  readonly intervalMs?: number;
  /** Starts began to wait for a status write (JOURNAL_OUTCOMES_MAX outcomes wait): the status writer hurries. */
  readonly onHeld?: (() => void) | undefined;
  /** The start lookahead (ADR 0027); undefined or `hooks: 0`: starts are recorded only from a slot. */
  readonly lookahead?: StartLookahead | undefined;
  /** Checked before a start is recorded ahead (the leader fence): false = not now. */
  readonly mayRecordAhead?: (() => boolean) | undefined;
}

/**
 * ADR 0027: record the starts of hooks queued for a slot before they get one, so that a slot does not
 * wait for the journal. At most `hooks` hooks are recorded ahead at a time (recorded, not yet in a
 * slot), and a start is recorded ahead only while fewer than `slots + hooks` hooks have a start and no
 * outcome; a hook in a slot is never held by it. So a crash leaves at most `slots + hooks` hooks with a
 * recorded start and no outcome (`interrupted`).
 */
export interface StartLookahead {
  readonly hooks: number;
  /** The run's exec slots: its concurrency (the adaptive limit's maximum). */
  readonly slots: number;
}

/** One waiting start: its start is requested once the journal has room for it. */
interface Queued {
  readonly key: string;
  readonly startedAt: string;
}

export class StartWriter {
  readonly #o: StartWriterOptions;
  readonly #ctl = new AbortController();
  readonly #waiters = new StartWaiters();
  readonly #queued: Queued[] = [];
  /** Hooks queued for a slot (hookQueued), in slot order, not recorded ahead yet. */
  readonly #ahead = new Map<string, AbortSignal>();
  /** Hooks whose start was requested ahead and that have not asked from their slot yet. */
  readonly #prerecorded = new Set<string>();
  readonly #outcomes = new Map<string, HookRunJournalOutcome>();
  #object: HookRunJournal;
  /** The holder and entries as last acknowledged (initially: as read). */
  #durableHolder: string;
  #durableEntries: readonly HookRunJournalEntry[];
  /** Our writes whose answer and the read after it both failed: the journal may hold any one of them. */
  #unconfirmed: (readonly HookRunJournalEntry[])[] = [];
  #state: 'writing' | 'lost' | 'closed' = 'writing';
  /** retire() began: no start is taken or released any more; only its last PUT goes. */
  #retiring = false;
  #writing: Promise<void> | undefined;
  readonly #wake: WakeTimer;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  #notBefore = Number.NEGATIVE_INFINITY;
  #retryMs = 0;
  #forced = false;
  #writes = 0;
  #conflicts = 0;
  #idle: (() => void)[] = [];

  constructor(options: StartWriterOptions) {
    this.#o = options;
    this.#wake = new WakeTimer(options.clock, () => { this.#kick(); });
    this.#object = options.journal;
    this.#durableHolder = options.journal.spec.holder;
    this.#durableEntries = options.journal.spec.entries;
    for (const [k, v] of options.outcomes ?? []) this.#outcomes.set(k, v);
  }

  get state(): 'writing' | 'lost' | 'closed' {
    return this.#state;
  }

  /** Journal PUTs sent (acknowledged or not) and conflicts met. */
  get stats(): { readonly writes: number; readonly conflicts: number } {
    return { writes: this.#writes, conflicts: this.#conflicts };
  }

  get journal(): HookRunJournal {
    return this.#object;
  }

  /** Starts wait because the journal holds JOURNAL_OUTCOMES_MAX outcomes the status lacks. */
  get startsHeld(): boolean {
    return (this.#queued.length > 0 || this.#wantsAhead()) && !this.#o.starts.mayRequestStart;
  }

  /** Hooks recorded ahead now (not in a slot yet), for tests and the benchmark. */
  get recordedAhead(): number {
    return this.#prerecorded.size;
  }

  /** The takeover: PUTs the journal under this writer's holder (with what it recovered), before any start. */
  async takeover(signal: AbortSignal): Promise<boolean> {
    this.#forced = true;
    this.#kick();
    await this.#settled(signal);
    return this.#state === 'writing' && this.#durableHolder === this.#o.holder;
  }

  /**
   * The runner's hint (RunJournal.hookQueued): the hook waits for a slot, in slot order. With a
   * lookahead its start may be requested now, within the lookahead's bounds; `hookStarting` from its
   * slot still decides when it may exec.
   */
  hookQueued(hook: HookIdentity, signal: AbortSignal): void {
    const lookahead = this.#o.lookahead;
    if (this.#state !== 'writing' || this.#retiring || lookahead === undefined || lookahead.hooks <= 0 || signal.aborted) return;
    const key = hookKey(hook);
    if (this.#o.starts.state(key) !== 'unstarted' || this.#waiters.has(key)) return;
    this.#ahead.set(key, signal);
    this.#kick();
  }

  /** The runner's seam: resolves once the hook's start is in an acknowledged journal PUT. */
  hookStarting(hook: HookIdentity, signal: AbortSignal): Promise<void> {
    if (this.#state !== 'writing') return Promise.reject(new JournalLostError(`the HookRunJournal is not ours to write (${this.#state})`));
    if (this.#retiring) return Promise.reject(new JournalLostError('the journal writer is stopping'));
    const key = hookKey(hook);
    this.#ahead.delete(key);
    if (this.#prerecorded.delete(key)) {
      // Recorded ahead: in its slot now, which leaves room for the next hook queued.
      const state = this.#o.starts.state(key);
      if (state === 'started') {
        this.#kick();
        return signal.aborted ? Promise.reject(new Error('the run stopped before the start was recorded')) : Promise.resolve();
      }
      if (state === 'start-requested') {
        const parked = this.#waiters.wait(key, signal);
        this.#kick();
        return parked;
      }
      return Promise.reject(new Error(`hook ${key} already has a result in the journal`));
    }
    if (this.#waiters.has(key) || this.#o.starts.state(key) !== 'unstarted') return Promise.reject(new Error(`hook ${key} already has a start or a result in the journal`));
    const startedAt = new Date(this.#o.clock.now()).toISOString();
    const parked = this.#waiters.wait(key, signal, () => {
      const i = this.#queued.findIndex((q) => q.key === key);
      if (i >= 0) this.#queued.splice(i, 1);
    });
    if (!signal.aborted) {
      this.#queued.push({ key, startedAt });
      this.#kick();
    }
    return parked;
  }

  /** A hook's outcome (no output): it goes with the next journal PUT. */
  hookEnded(hook: HookIdentity, outcome: HookRunJournalOutcome): void {
    const key = hookKey(hook);
    const i = this.#queued.findIndex((q) => q.key === key);
    if (i >= 0) this.#queued.splice(i, 1);
    this.#ahead.delete(key);
    // Recorded ahead and then not run (its pod stopped, the run ended): its not-run outcome goes to the journal like any other.
    this.#prerecorded.delete(key);
    if (this.#o.starts.state(key) === undefined || this.#o.starts.state(key) === 'finished') return;
    this.#outcomes.set(key, outcome);
    this.#o.starts.recordOutcome(key, outcome.status);
    this.#kick();
  }

  /** A status write begins: the finals it carries (undefined: none). The caller acks or fails it. */
  beginStatusWrite(): number | undefined {
    return this.#o.starts.beginStatusWrite()?.seq;
  }

  ackStatusWrite(seq: number | undefined): void {
    if (seq === undefined) return;
    this.#o.starts.ackStatusWrite(seq);
    // Room for starts that waited for it; entries to drop go with the next PUT.
    this.#kick();
  }

  failStatusWrite(seq: number | undefined): void {
    if (seq !== undefined) this.#o.starts.failStatusWrite(seq);
  }

  /**
   * A graceful stop (ADR 0027): no start is released to a slot any more, and the starts of hooks that
   * did not exec (recorded ahead, or still waiting for their PUT) are taken back with one last
   * journal PUT, within `deadlineMs`, so the next controller runs them instead of recording them
   * `interrupted`. Hooks already released keep their start. Then closes. Never rejects.
   */
  async retire(deadlineMs: number): Promise<void> {
    if (this.#state !== 'writing' || this.#retiring) {
      this.close();
      return;
    }
    this.#retiring = true;
    const keys = [...this.#prerecorded, ...this.#waiters.keys(), ...this.#queued.map((q) => q.key)];
    this.#ahead.clear();
    this.#prerecorded.clear();
    this.#queued.length = 0;
    this.#rejectWaiters(new JournalLostError('the journal writer is stopping'));
    let taken = 0;
    for (const key of keys) if (this.#o.starts.retractStart(key)) taken++;
    if (taken > 0) {
      const deadline = new AbortController();
      const timer = this.#o.clock.sleep(deadlineMs, deadline.signal).then(
        () => {
          deadline.abort();
        },
        () => undefined,
      );
      this.#forced = true;
      this.#kick();
      await this.#settled(deadline.signal);
      deadline.abort();
      await timer;
    }
    this.close();
  }

  /** Stops writing; waiting starts are rejected. Idempotent. */
  close(): void {
    if (this.#state === 'writing') this.#state = 'closed';
    this.#ctl.abort();
    this.#wake.cancel();
    this.#queued.length = 0;
    this.#ahead.clear();
    this.#prerecorded.clear();
    this.#rejectWaiters(new JournalLostError('the journal writer closed'));
    this.#wakeIdle();
  }

  /** Hooks are queued for a slot and the lookahead has room for one of them. */
  #wantsAhead(): boolean {
    const lookahead = this.#o.lookahead;
    return lookahead !== undefined && this.#ahead.size > 0 && this.#prerecorded.size < lookahead.hooks;
  }

  #admit(): void {
    const starts = this.#o.starts;
    if (this.startsHeld) this.#o.onHeld?.();
    // Hooks in a slot first, and never held by the lookahead: only by the outcomes bound.
    while (this.#queued.length > 0 && starts.mayRequestStart) {
      const q = this.#queued.shift();
      if (q === undefined) break;
      if (!starts.requestStart(q.key, q.startedAt)) {
        this.#waiters.reject(q.key, new Error(`hook ${q.key} already has a start or a result in the journal`));
      }
    }
    const lookahead = this.#o.lookahead;
    if (lookahead === undefined || !this.#wantsAhead()) return;
    if (this.#o.mayRecordAhead?.() === false) return;
    const startedAt = new Date(this.#o.clock.now()).toISOString();
    for (const [key, signal] of this.#ahead) {
      if (this.#prerecorded.size >= lookahead.hooks || starts.openStarts >= lookahead.slots + lookahead.hooks || !starts.mayRequestStart) break;
      this.#ahead.delete(key);
      if (!signal.aborted && starts.requestStart(key, startedAt)) this.#prerecorded.add(key);
    }
  }

  #kick(): void {
    if (this.#state !== 'writing' || this.#writing !== undefined) return;
    this.#admit();
    const starts = this.#o.starts;
    if (!starts.journalDirty && !this.#forced) {
      this.#wakeIdle();
      return;
    }
    const now = this.#o.clock.now();
    const wait = Math.max(this.#notBefore - now, this.#lastWriteAt + (this.#o.intervalMs ?? JOURNAL_WRITE_INTERVAL_MS) - now);
    if (wait > 0) {
      if (!this.#wake.armed) this.#wake.arm(now, wait);
      return;
    }
    const image = starts.beginJournalWrite(this.#forced);
    if (image === undefined) return;
    this.#forced = false;
    this.#writing = this.#write(image).finally(() => {
      this.#writing = undefined;
      this.#kick();
    });
  }

  #entries(image: JournalImage): HookRunJournalEntry[] {
    const out: HookRunJournalEntry[] = [];
    for (const e of image.entries) {
      const id = this.#o.hooks.get(e.key);
      if (id === undefined) throw new Error(`start writer: no hook for journal key ${e.key}`);
      const base = { namespace: id.namespace, pod: id.pod, container: id.container, source: id.source, name: id.name, phase: id.phase, index: id.index, startedAt: e.startedAt };
      const outcome = e.outcome === undefined ? undefined : (this.#outcomes.get(e.key) ?? { status: e.outcome, exitCode: null, durationMs: null });
      out.push(outcome === undefined ? base : { ...base, outcome: cleanOutcome(outcome) });
    }
    return out;
  }

  async #write(image: JournalImage): Promise<void> {
    const starts = this.#o.starts;
    const entries = this.#entries(image);
    const body: HookRunJournal = { ...this.#object, spec: { hookRunUID: this.#object.spec.hookRunUID, holder: this.#o.holder, entries } };
    this.#lastWriteAt = this.#o.clock.now();
    this.#writes++;
    try {
      this.#object = await this.#o.store.replace(body, this.#ctl.signal);
      this.#acked(image, entries);
    } catch (error) {
      if (this.#ctl.signal.aborted) {
        starts.failJournalWrite(image.seq);
        return;
      }
      if (isConflict(error)) this.#conflicts++;
      else this.#o.onWriteError?.(error);
      let current: HookRunJournal | undefined;
      try {
        current = await this.#o.store.get(this.#object.metadata.namespace, this.#object.metadata.name, this.#ctl.signal);
      } catch (readError) {
        starts.failJournalWrite(image.seq);
        if (!isConflict(error)) this.#unconfirmed.push(entries);
        // Its outcome unknown: sent again (a takeover or a write that only drops entries is not dirty).
        if (image.entries.length === 0 || this.#durableHolder !== this.#o.holder) this.#forced = true;
        if (!isAborted(this.#ctl.signal)) {
          this.#o.onWriteError?.(readError);
          this.#backoff();
        }
        return;
      }
      if (current === undefined || current.metadata.uid !== this.#object.metadata.uid) {
        starts.failJournalWrite(image.seq);
        this.#lose('the HookRunJournal was deleted or replaced: this controller cannot record starts any more', 'gone');
        return;
      }
      if (current.spec.holder === this.#o.holder && isDeepStrictEqual(current.spec.entries, entries)) {
        // Stored; only its answer was lost (or metadata changed after it).
        this.#object = current;
        this.#acked(image, entries);
        return;
      }
      const unconfirmed = current.spec.holder === this.#o.holder ? this.#unconfirmed.find((e) => isDeepStrictEqual(current.spec.entries, e)) : undefined;
      if (unconfirmed !== undefined || (current.spec.holder === this.#durableHolder && isDeepStrictEqual(current.spec.entries, this.#durableEntries))) {
        // Not stored, and nobody else wrote the journal (it holds our last acknowledged write, or an
        // earlier one of ours whose answer and read both failed): again on the new resourceVersion.
        if (unconfirmed !== undefined) {
          this.#durableHolder = this.#o.holder;
          this.#durableEntries = unconfirmed;
        }
        this.#unconfirmed = [];
        this.#object = current;
        starts.failJournalWrite(image.seq);
        if (image.entries.length === 0 || this.#durableHolder !== this.#o.holder) this.#forced = true;
        if (!isConflict(error)) this.#backoff();
        return;
      }
      starts.failJournalWrite(image.seq);
      this.#lose(`another writer (${current.spec.holder}) changed the HookRunJournal (a controller took the run over): this controller stops the run`, 'taken');
    }
  }

  #acked(image: JournalImage, entries: readonly HookRunJournalEntry[]): void {
    this.#durableHolder = this.#o.holder;
    this.#durableEntries = entries;
    this.#unconfirmed = [];
    this.#retryMs = 0;
    for (const key of this.#o.starts.ackJournalWrite(image.seq)) {
      this.#waiters.resolve(key);
    }
  }

  #backoff(): void {
    this.#retryMs = this.#retryMs === 0 ? WRITE_RETRY_MIN_MS : Math.min(WRITE_RETRY_MAX_MS, this.#retryMs * 2);
    this.#notBefore = this.#o.clock.now() + this.#retryMs;
  }

  #lose(why: string, cause: 'gone' | 'taken'): void {
    if (this.#state !== 'writing') return;
    this.#state = 'lost';
    this.#wake.cancel();
    this.#queued.length = 0;
    this.#ahead.clear();
    this.#prerecorded.clear();
    this.#rejectWaiters(new JournalLostError(why));
    this.#o.onLost?.(why, cause);
    this.#wakeIdle();
  }

  #rejectWaiters(error: Error): void {
    this.#waiters.rejectAll(error);
  }

  /** Resolves when nothing is in flight or forced (or the writer stopped, or `signal` aborts). */
  async #settled(signal: AbortSignal): Promise<void> {
    while (this.#state === 'writing' && (this.#forced || this.#writing !== undefined || this.#wake.armed) && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        signal.addEventListener('abort', done, { once: true });
        this.#idle.push(done);
        // A write or timer in flight ends with a #kick, which wakes the idle ones when nothing is left.
        if (this.#writing !== undefined) void this.#writing.finally(done);
      });
    }
  }

  #wakeIdle(): void {
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }
}

/** No undefined members: the stored object is compared with what was sent. */
function cleanOutcome(o: HookRunJournalOutcome): HookRunJournalOutcome {
  return { status: o.status, exitCode: o.exitCode, durationMs: o.durationMs === null ? null : Math.max(0, Math.round(o.durationMs)), ...(o.reasonCode === undefined ? {} : { reasonCode: o.reasonCode }) };
}

/** Read through a call: the signal flips while we await, which TypeScript's narrowing cannot see. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
