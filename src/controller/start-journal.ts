/**
 * ADR 0024's write-ahead journal of one HookRun, as a pure state machine (no I/O, no clock);
 * start-writer.ts writes it to the HookRunJournal object, journal-writer.ts tells it of status writes.
 *
 * Two durable objects: the HookRunJournal (small: the hooks whose start is durable and whose final
 * result the status lacks, with their outcome once known) and the HookRun status (every hook's full
 * result, written at the results pace). A hook moves
 *   unstarted → start-requested → started (start in an acknowledged journal write: it may exec) → finished
 * and its journal entry goes away in the first journal write after a status write holding its final
 * result was acknowledged. `recover` rebuilds what each hook is from the two objects as stored.
 */

export type Outcome = 'succeeded' | 'failed' | 'timed-out' | 'not-run';

type State = 'unstarted' | 'start-requested' | 'started' | 'finished';

/** A HookRunJournal entry as stored: a durable start, and its outcome once known. */
export interface JournalEntry {
  readonly key: string;
  readonly startedAt: string;
  readonly outcome?: Outcome | undefined;
}

export interface JournalImage {
  readonly seq: number;
  readonly entries: readonly JournalEntry[];
}

export interface StatusImage {
  readonly seq: number;
  /** Keys whose final result this status write carries. */
  readonly finals: readonly string[];
}

/** Outcomes the journal may hold while the status lacks them; more starts wait for a status write. */
export const JOURNAL_OUTCOMES_MAX = 256;

interface Hook {
  state: State;
  startedAt: string | undefined;
  outcome: Outcome | undefined;
  /** The status holds its final result (acknowledged). */
  statusFinal: boolean;
}

export class StartJournal {
  readonly #hooks = new Map<string, Hook>();
  #journalSeq = 0;
  #statusSeq = 0;
  #journalInFlight: { seq: number; entries: readonly JournalEntry[] } | undefined;
  #statusInFlight: { seq: number; finals: readonly string[] } | undefined;
  /** The journal as last acknowledged. */
  #durable: readonly JournalEntry[] = [];
  readonly #outcomesMax: number;
  /** Kept as the hooks change (read on every admission): outcomesWaiting and openStarts. */
  #outcomesWaiting = 0;
  #open = 0;

  /**
   * `recovered`: hooks a takeover found with a durable start (an outcome, or `failed` for one recorded
   * interrupted) whose final result the status lacks: they stay in the journal, finished, until a
   * status write holding their result is acknowledged. They are not in the acknowledged journal yet
   * (the takeover write carries them).
   */
  constructor(keys: readonly string[], options: { readonly outcomesMax?: number; readonly recovered?: readonly JournalEntry[] } = {}) {
    for (const key of keys) this.#hooks.set(key, { state: 'unstarted', startedAt: undefined, outcome: undefined, statusFinal: false });
    for (const e of options.recovered ?? []) {
      if (e.outcome === undefined) throw new Error(`start journal: recovered hook ${e.key} needs an outcome`);
      this.#hooks.set(e.key, { state: 'finished', startedAt: e.startedAt, outcome: e.outcome, statusFinal: false });
      this.#outcomesWaiting++;
    }
    this.#outcomesMax = options.outcomesMax ?? JOURNAL_OUTCOMES_MAX;
  }

  state(key: string): State | undefined {
    return this.#hooks.get(key)?.state;
  }

  /** Outcomes in the journal (written or to be written) whose final result the status lacks. */
  get outcomesWaiting(): number {
    return this.#outcomesWaiting;
  }

  /**
   * Hooks whose start is requested or durable and that have no outcome yet: what a crash now could
   * leave `interrupted` (every journal image carries every outcome known when it is taken).
   */
  get openStarts(): number {
    return this.#open;
  }

  /** A start may be requested now (false: the journal is full of outcomes; wait for a status write). */
  get mayRequestStart(): boolean {
    return this.outcomesWaiting < this.#outcomesMax;
  }

  requestStart(key: string, startedAt: string): boolean {
    const h = this.#hooks.get(key);
    if (h === undefined || h.state !== 'unstarted' || !this.mayRequestStart) return false;
    h.state = 'start-requested';
    h.startedAt = startedAt;
    this.#open++;
    return true;
  }

  /**
   * Takes back a start that is requested or durable but whose hook has not executed and never will in
   * this process (ADR 0027: a graceful stop). The hook is unstarted again; its entry leaves with the
   * next journal write, which the caller forces (a dropped entry alone does not make the journal dirty).
   */
  retractStart(key: string): boolean {
    const h = this.#hooks.get(key);
    if (h === undefined || (h.state !== 'start-requested' && h.state !== 'started')) return false;
    h.state = 'unstarted';
    h.startedAt = undefined;
    this.#open--;
    return true;
  }

  /** A result. Only a started hook may have executed; others end not-run. */
  recordOutcome(key: string, outcome: Outcome): boolean {
    const h = this.#hooks.get(key);
    if (h === undefined || h.state === 'finished') return false;
    if (h.state !== 'started' && outcome !== 'not-run') throw new Error(`start journal: hook ${key} got ${outcome} before its start was durable`);
    // A not-run hook that never reached the journal needs no entry: its result goes to the status only.
    if (h.state === 'unstarted') h.startedAt = undefined;
    else this.#open--;
    h.state = 'finished';
    h.outcome = outcome;
    if (h.startedAt !== undefined && !h.statusFinal) this.#outcomesWaiting++;
    return true;
  }

  #journalEntries(): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (const [key, h] of this.#hooks) {
      if (h.startedAt === undefined || h.statusFinal) continue;
      out.push(h.outcome === undefined ? { key, startedAt: h.startedAt } : { key, startedAt: h.startedAt, outcome: h.outcome });
    }
    return out;
  }

  /** Starts or outcomes that the acknowledged journal lacks (entries only to drop do not force a write). */
  get journalWriteInFlight(): boolean {
    return this.#journalInFlight !== undefined;
  }

  get journalDirty(): boolean {
    const durable = new Map(this.#durable.map((e) => [e.key, e]));
    return this.#journalEntries().some((e) => durable.get(e.key)?.outcome !== e.outcome || !durable.has(e.key));
  }

  /** `force`: an image even when nothing changed (a takeover writes the journal under its own holder). */
  beginJournalWrite(force = false): JournalImage | undefined {
    if (this.#journalInFlight !== undefined || (!force && !this.journalDirty)) return undefined;
    const image = { seq: ++this.#journalSeq, entries: this.#journalEntries() };
    this.#journalInFlight = image;
    return image;
  }

  /** The journal write is stored: returns the hooks that may exec now. */
  ackJournalWrite(seq: number): string[] {
    const w = this.#journalInFlight;
    if (w?.seq !== seq) throw new Error(`start journal: journal write ${seq} is not in flight`);
    this.#journalInFlight = undefined;
    this.#durable = w.entries;
    const released: string[] = [];
    for (const e of w.entries) {
      const h = this.#hooks.get(e.key);
      if (h?.state === 'start-requested') {
        h.state = 'started';
        released.push(e.key);
      }
    }
    return released;
  }

  failJournalWrite(seq: number): void {
    if (this.#journalInFlight?.seq !== seq) throw new Error(`start journal: journal write ${seq} is not in flight`);
    this.#journalInFlight = undefined;
  }

  beginStatusWrite(): StatusImage | undefined {
    if (this.#statusInFlight !== undefined) return undefined;
    const finals = [...this.#hooks].filter(([, h]) => h.state === 'finished' && !h.statusFinal).map(([key]) => key);
    if (finals.length === 0) return undefined;
    const image = { seq: ++this.#statusSeq, finals };
    this.#statusInFlight = image;
    return image;
  }

  ackStatusWrite(seq: number): void {
    const w = this.#statusInFlight;
    if (w?.seq !== seq) throw new Error(`start journal: status write ${seq} is not in flight`);
    this.#statusInFlight = undefined;
    for (const key of w.finals) {
      const h = this.#hooks.get(key);
      if (h === undefined || h.statusFinal) continue;
      h.statusFinal = true;
      if (h.startedAt !== undefined && h.outcome !== undefined) this.#outcomesWaiting--;
    }
  }

  failStatusWrite(seq: number): void {
    if (this.#statusInFlight?.seq !== seq) throw new Error(`start journal: status write ${seq} is not in flight`);
    this.#statusInFlight = undefined;
  }
}

export type Recovered = 'kept' | 'outcome' | 'interrupted' | 'unstarted';

/**
 * What a hook is after a restart, from the two objects as stored (ADR 0024's order): a final result
 * in the status is kept; else an outcome in the journal is recorded (output lost); else a start in
 * the journal or `running` in the status is interrupted; else the hook runs. `journal: 'lost'`: the
 * status names a journal that is gone, so nothing without a final result may run.
 */
export function recover(
  keys: readonly string[],
  status: ReadonlyMap<string, 'final' | 'running' | 'pending'>,
  journal: readonly JournalEntry[] | 'lost',
): Map<string, Recovered> {
  const entries = journal === 'lost' ? undefined : new Map(journal.map((e) => [e.key, e]));
  const out = new Map<string, Recovered>();
  for (const key of keys) {
    const s = status.get(key);
    const e = entries?.get(key);
    if (s === 'final') out.set(key, 'kept');
    else if (entries === undefined) out.set(key, 'interrupted');
    else if (e?.outcome !== undefined) out.set(key, 'outcome');
    else if (e !== undefined || s === 'running') out.set(key, 'interrupted');
    else out.set(key, 'unstarted');
  }
  return out;
}
