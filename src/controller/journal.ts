/**
 * The status journal of one HookRun, as a pure state machine (no I/O, no clock: times are passed in).
 *
 * The HookRun's `status.results[]` is the journal. It lists every planned hook from the plan's first
 * write on (status `pending`), and every hook moves through
 *   unstarted (pending) → start-requested → started (durable `running`) → finished (local) → finished (durable)
 * and may start only once its start is durable: written in a status write that the API server
 * acknowledged. After a restart the journal is rebuilt from the status as stored: a durable start
 * without a result becomes `failed` with reasonCode `interrupted` (never run again), a durable result
 * stays, a `pending` entry (or a planned hook the status lacks) is unstarted and may run. Nothing here can start a hook twice: a hook has a
 * start request at most once per journal, and a journal rebuilt from the status never offers a hook
 * whose start or result the status holds.
 *
 * Writes are group commits: `beginWrite` takes every pending change into one status image; `ackWrite`
 * makes them durable (and releases the hooks whose starts they carried); `failWrite` puts them back to
 * be sent with the next write. The shell (journal-writer.ts) decides when to write.
 *
 * Just over 300 lines on purpose: one state machine, whose transitions are checked together by
 * journal.test.ts (a crash at every step).
 */
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import { hookKey } from '../run/hook-key.ts';
import type { HookRunResult, HookRunSummary } from './hookrun-types.ts';
import { REASON_MAX_BYTES } from './hookrun-types.ts';

type HookIdentity = Pick<PlannedHook, 'namespace' | 'pod' | 'container' | 'source' | 'name' | 'phase' | 'index'>;

type EntryState = 'unstarted' | 'start-requested' | 'started' | 'finished';

interface Sent {
  readonly seq: number;
  readonly result: HookRunResult;
  readonly failed: boolean;
}

interface Entry {
  readonly key: string;
  readonly hook: HookIdentity;
  /** True for entries the plan does not have (kept from the status as history, never started). */
  readonly unplanned: boolean;
  /** A final result read from the stored status: counted in the stored summary.failed, never changes. */
  readonly storedFinal: boolean;
  state: EntryState;
  /** What the status should say about this hook (undefined while unstarted). Replaced, never mutated. */
  local: HookRunResult | undefined;
  localFailed: boolean;
  /** What the API server has acknowledged (undefined: nothing). */
  durable: HookRunResult | undefined;
  durableFailed: boolean;
  /** The value in the write in flight, if this entry is in it. */
  sent: Sent | undefined;
  /** When its start was requested. */
  startedAt?: string | undefined;
}

export interface JournalOptions {
  /** Bytes kept of each stream's tail (status.outputTailBytes), as stored (JSON-encoded). */
  readonly tailBytes: number;
  /** Bytes kept of a reason, as stored (reasonBytes(hooks); default REASON_MAX_BYTES). */
  readonly reasonBytes?: number | undefined;
  /** ISO time used for interrupted entries found on recovery that carry no start time. */
  readonly now: string;
  /**
   * ADR 0024: a start is durable in the HookRunJournal, not in the status. requestStart leaves the
   * status entry `pending`; `startDurable` (the journal PUT was acknowledged) makes it `running`, to be
   * written at the results pace. Status writes then release no hook.
   */
  readonly startsElsewhere?: boolean | undefined;
}

/** What the status as stored says; undefined fields = nothing recorded yet. */
export interface StoredJournal {
  readonly results?: readonly HookRunResult[] | undefined;
  /** summary.failed as stored: the failures among the stored final results. */
  readonly failed?: number | undefined;
  /**
   * ADR 0024 recovery: outcomes the HookRunJournal holds for hooks whose final result the status lacks
   * (by hookKey), recorded with that outcome (not written to the status yet).
   */
  readonly journalOutcomes?: ReadonlyMap<string, { readonly result: HookRunResult; readonly failed: boolean }> | undefined;
}

export interface WriteImage {
  readonly seq: number;
  /** status.results as it should be stored: plan order, then entries the plan lacks. */
  readonly results: readonly HookRunResult[];
  readonly summary: Omit<HookRunSummary, 'skipped'>;
  /** How many starts this write makes durable (0: results only). */
  readonly starts: number;
}

export const INTERRUPTED_REASON =
  'interrupted: the controller recorded this hook\'s start (before its exec, or ahead of it while the hook waited for a slot) and then stopped (killed, crashed or lost its lease) before it recorded a result; the command may or may not have run, and it is not run again';

function isDirty(e: Entry): boolean {
  return e.local !== undefined && e.local !== e.durable && e.sent?.result !== e.local;
}

export class Journal {
  readonly #entries = new Map<string, Entry>();
  readonly #order: Entry[] = [];
  readonly #tailBytes: number;
  readonly #reasonBytes: number;
  #seq = 0;
  #inFlight: number | undefined;
  /** summary.failed as stored (the failures among stored final entries, whose own flags are not stored). */
  readonly #storedFailed: number;
  readonly #recovered: HookRunResult[] = [];
  readonly #recoveredOutcomes: HookRunResult[] = [];
  readonly #startsElsewhere: boolean;

  constructor(planned: readonly PlannedHook[], stored: StoredJournal, options: JournalOptions) {
    this.#tailBytes = options.tailBytes;
    this.#reasonBytes = options.reasonBytes ?? REASON_MAX_BYTES;
    this.#startsElsewhere = options.startsElsewhere === true;
    const storedByKey = new Map<string, HookRunResult>();
    for (const r of stored.results ?? []) {
      const key = hookKey(r);
      if (!storedByKey.has(key)) storedByKey.set(key, r); // a duplicate key in a hand-edited status: the first wins
    }
    const add = (key: string, hook: HookIdentity, unplanned: boolean): void => {
      const r = storedByKey.get(key);
      const storedFinal = r !== undefined && r.status !== 'running' && r.status !== 'pending';
      const entry: Entry = {
        key,
        hook: identity(hook),
        unplanned,
        storedFinal,
        state: r === undefined || r.status === 'pending' ? 'unstarted' : 'finished',
        // Every planned hook is in the status from the plan's write on: `pending` until it starts.
        local: r ?? { ...blankResult(hook), status: 'pending' },
        localFailed: false,
        durable: r,
        durableFailed: false,
        sent: undefined,
      };
      const fromJournal = storedFinal ? undefined : stored.journalOutcomes?.get(key);
      if (fromJournal !== undefined) {
        // Its outcome was durable in the HookRunJournal, its output died with the controller.
        entry.state = 'finished';
        entry.local = fromJournal.result;
        entry.localFailed = fromJournal.failed;
        this.#recoveredOutcomes.push(fromJournal.result);
      } else if (r !== undefined && r.status === 'running') {
        // Started, no result: it may have run. Record it failed and never offer it again.
        entry.local = interrupted(r, options.now, this.#reasonBytes);
        entry.localFailed = true;
        this.#recovered.push(entry.local);
      }
      this.#entries.set(key, entry);
      this.#order.push(entry);
    };
    for (const hook of planned) {
      const key = hookKey(hook);
      if (!this.#entries.has(key)) add(key, hook, false);
    }
    for (const [key, r] of storedByKey) if (!this.#entries.has(key)) add(key, r, true);
    const storedFinals = this.#order.filter((e) => e.storedFinal).length;
    this.#storedFailed = Math.min(Math.max(0, Math.trunc(stored.failed ?? 0)), storedFinals);
  }

  /** Entries found `running` in the stored status, now recorded `interrupted` (pending a write). */
  get recovered(): readonly HookRunResult[] {
    return this.#recovered;
  }

  /** Entries recorded with the outcome the HookRunJournal held (pending a write). */
  get recoveredOutcomes(): readonly HookRunResult[] {
    return this.#recoveredOutcomes;
  }

  /** The hook may be offered for a start: planned, and the journal has neither a start nor a result. */
  mayStart(hook: HookIdentity): boolean {
    return this.#entries.get(hookKey(hook))?.state === 'unstarted';
  }

  /** The hook's start is durable and it has no result yet: it may exec now. */
  mayExec(hook: HookIdentity): boolean {
    return this.#entries.get(hookKey(hook))?.state === 'started';
  }

  /** Asks to start a hook; false (nothing changes) unless mayStart. The start is durable after the next acknowledged write. */
  requestStart(hook: HookIdentity, startedAt: string): boolean {
    const e = this.#entries.get(hookKey(hook));
    if (e === undefined || e.state !== 'unstarted' || e.unplanned) return false;
    e.state = 'start-requested';
    e.startedAt = startedAt;
    if (!this.#startsElsewhere) {
      e.local = { ...blankResult(e.hook), status: 'running', startedAt };
      e.localFailed = false;
    }
    return true;
  }

  /** ADR 0024: the hook's start is durable in the HookRunJournal; it may exec, the status says `running`. */
  startDurable(hook: HookIdentity): boolean {
    const e = this.#entries.get(hookKey(hook));
    if (e?.state !== 'start-requested' || !this.#startsElsewhere) return false;
    e.state = 'started';
    e.local = { ...blankResult(e.hook), status: 'running', startedAt: e.startedAt ?? null };
    e.localFailed = false;
    return true;
  }

  /**
   * Records a hook's result. An unstarted hook may get a result directly (not-run: its pod was
   * deleted, the run was stopped). A hook whose start is requested but not durable yet never executed:
   * it may only end not-run. Returns false when the hook is unknown or already has a result.
   */
  recordResult(hook: HookIdentity, result: HookResult, failed: boolean): boolean {
    const e = this.#entries.get(hookKey(hook));
    if (e === undefined || e.state === 'finished') return false;
    if (e.state !== 'started' && result.status !== 'not-run') {
      throw new Error(`journal: hook ${e.key} got a ${result.status} result before its start was durable (it must not exec before)`);
    }
    e.state = 'finished';
    e.local = this.#compact(result);
    e.localFailed = failed;
    return true;
  }

  /** Something is waiting to be written. */
  get hasChanges(): boolean {
    return this.#order.some(isDirty);
  }

  /** Start requests not yet in a write (their hooks wait for it). */
  get waitingStarts(): number {
    return this.#order.filter((e) => e.state === 'start-requested' && isDirty(e)).length;
  }

  get writeInFlight(): boolean {
    return this.#inFlight !== undefined;
  }

  /** Takes every pending change into one status image; undefined when a write is in flight or nothing changed. */
  beginWrite(): WriteImage | undefined {
    if (this.#inFlight !== undefined || !this.hasChanges) return undefined;
    const seq = ++this.#seq;
    let starts = 0;
    for (const e of this.#order) {
      if (!isDirty(e) || e.local === undefined) continue;
      e.sent = { seq, result: e.local, failed: e.localFailed };
      if (e.local.status === 'running') starts++;
    }
    this.#inFlight = seq;
    return { seq, results: this.#image('local'), summary: this.summary('local'), starts };
  }

  /** The API server stored write `seq`: what it carried is durable. Returns the hooks that may exec now. */
  ackWrite(seq: number): HookIdentity[] {
    this.#checkInFlight(seq);
    this.#inFlight = undefined;
    const released: HookIdentity[] = [];
    for (const e of this.#order) {
      if (e.sent?.seq !== seq) continue;
      e.durable = e.sent.result;
      e.durableFailed = e.sent.failed;
      e.sent = undefined;
      if (e.state === 'start-requested' && e.durable.status === 'running') {
        e.state = 'started';
        released.push(e.hook);
      }
    }
    return released;
  }

  /** Write `seq` was not stored (or may not have been): its changes go out again with the next write. */
  failWrite(seq: number): void {
    this.#checkInFlight(seq);
    this.#inFlight = undefined;
    for (const e of this.#order) if (e.sent?.seq === seq) e.sent = undefined;
  }

  #checkInFlight(seq: number): void {
    if (this.#inFlight !== seq) throw new Error(`journal: write ${seq} is not the write in flight (${String(this.#inFlight)})`);
  }

  /** Every hook has a final result and the API server has it. */
  get complete(): boolean {
    return this.#inFlight === undefined && this.#order.every((e) => e.state === 'finished' && !isDirty(e) && e.durable !== undefined && e.durable.status !== 'running');
  }

  /** Planned hooks with neither a start nor a result. */
  get unstarted(): number {
    return this.#order.filter((e) => e.state === 'unstarted').length;
  }

  /** Hooks the status lists as pending that the current plan does not have (their pod is gone or changed). */
  unplannedPending(): HookIdentity[] {
    return this.#order.filter((e) => e.unplanned && e.state === 'unstarted').map((e) => e.hook);
  }

  /** status.results of the latest (local) or the acknowledged (durable) state. */
  results(view: 'local' | 'durable' = 'durable'): readonly HookRunResult[] {
    return this.#image(view);
  }

  summary(view: 'local' | 'durable' = 'local'): Omit<HookRunSummary, 'skipped'> {
    let failed = this.#storedFailed;
    let succeeded = 0;
    let running = 0;
    let pending = 0;
    for (const e of this.#order) {
      const r = view === 'local' ? e.local : e.durable;
      if (r === undefined || r.status === 'pending') pending++;
      else if (r.status === 'running') running++;
      else {
        if (r.status === 'succeeded') succeeded++;
        // Stored finals carry no flag of their own (false): they are in #storedFailed.
        if (view === 'local' ? e.localFailed : e.durableFailed) failed++;
      }
    }
    return { attempted: this.#order.length, failed, succeeded, running, pending };
  }

  #image(view: 'local' | 'durable'): HookRunResult[] {
    const out: HookRunResult[] = [];
    for (const e of this.#order) {
      const r = view === 'local' ? e.local : e.durable;
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** Output as tails of at most tailBytes per stream as stored (JSON-encoded, cut at a character boundary); reason capped alike. */
  #compact(result: HookResult): HookRunResult {
    const stdout = jsonTail(result.stdout, this.#tailBytes);
    const stderr = jsonTail(result.stderr, this.#tailBytes);
    const base: HookRunResult = {
      ...blankResult(result),
      status: result.status,
      exitCode: result.exitCode,
      stdout: stdout.text,
      stderr: stderr.text,
      truncated: result.truncated || stdout.cut || stderr.cut,
      startedAt: result.startedAt,
      durationMs: result.durationMs === null ? null : Math.max(0, Math.round(result.durationMs)),
      reason: result.reason === null ? null : jsonHead(result.reason, this.#reasonBytes),
    };
    return result.reasonCode === undefined ? base : { ...base, reasonCode: result.reasonCode };
  }
}

function identity(h: HookIdentity): HookIdentity {
  return { namespace: h.namespace, pod: h.pod, container: h.container, source: h.source, name: h.name, phase: h.phase, index: h.index };
}

function blankResult(h: HookIdentity): HookRunResult {
  return { ...identity(h), status: 'running', exitCode: null, stdout: '', stderr: '', truncated: false, startedAt: null, durationMs: null, reason: null };
}

function interrupted(r: HookRunResult, now: string, reasonBytes: number): HookRunResult {
  return { ...r, status: 'failed', reasonCode: 'interrupted', reason: jsonHead(INTERRUPTED_REASON, reasonBytes), startedAt: r.startedAt ?? now };
}

/** Bytes `cp` takes inside a JSON string as JSON.stringify writes it, in UTF-8. */
function jsonBytes(cp: number): number {
  if (cp === 0x22 || cp === 0x5c || cp === 0x08 || cp === 0x09 || cp === 0x0a || cp === 0x0c || cp === 0x0d) return 2;
  if (cp < 0x20) return 6; // \u00XX
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp >= 0xd800 && cp <= 0xdfff) return 6; // a lone surrogate is written \udXXX
  return cp < 0x10000 ? 3 : 4;
}

/** The longest tail of `text` that takes at most `max` bytes as a JSON string's content (whole characters). */
export function jsonTail(text: string, max: number): { text: string; cut: boolean } {
  let bytes = 0;
  let start = text.length;
  while (start > 0) {
    const low = text.charCodeAt(start - 1);
    const high = start >= 2 ? text.charCodeAt(start - 2) : 0;
    const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
    const cp = pair ? (text.codePointAt(start - 2) ?? low) : low;
    const size = jsonBytes(cp);
    if (bytes + size > max) break;
    bytes += size;
    start -= pair ? 2 : 1;
  }
  return start === 0 ? { text, cut: false } : { text: text.slice(start), cut: true };
}

/** The longest head of `text` that takes at most `max` bytes as a JSON string's content (whole characters). */
export function jsonHead(text: string, max: number): string {
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const cp = text.codePointAt(end) ?? 0;
    const pair = cp > 0xffff;
    const size = jsonBytes(cp);
    if (bytes + size > max) break;
    bytes += size;
    end += pair ? 2 : 1;
  }
  return end === text.length ? text : text.slice(0, end);
}

/** The first `max` bytes of `text` in UTF-8, ending at a character boundary. */
export function utf8Head(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = max;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
