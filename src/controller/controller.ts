/**
 * The HookRun controller loop: one metadata-only watch on HookRuns (cluster-wide, or one per
 * --namespace), a queue, and at most `maxConcurrentRuns` runs at a time. A HookRun is run once: a
 * finished one (completionTime set) is never picked up again; one with a start time and no completion
 * is resumed (the journal says what already happened). Everything else is in hookrun-run.ts.
 *
 * The watch carries metadata only, so the status writes of a run (up to ~1 MiB each, up to 10 a
 * second) do not come back to this process in full. The whole object is read (GET, one at a time)
 * only for a HookRun this process is not running whose resourceVersion differs from the one it last
 * read: a new HookRun, a change by someone else, a relist. While a run is active its own writes'
 * echoes are ignored, as before (a spec change after the start is not acted on: hookrun-run.ts).
 */
import type { HookRun, HookRunMeta } from './hookrun-types.ts';
import type { HookRunRunner, RunOutcome } from './hookrun-run.ts';
import type { HookRunStore } from './journal-writer.ts';
import type { Clock } from '../run/ports.ts';

/** A HookRun's metadata from the watch: created or changed (`upsert`), or deleted. */
export interface HookRunMetaEvent {
  readonly type: 'upsert' | 'deleted';
  readonly meta: HookRunMeta;
}

/** What the controller tells its observer (metrics): each HookRun as read or written, each deletion. */
export type HookRunObserved = { readonly type: 'upsert'; readonly hookRun: HookRun } | { readonly type: 'deleted'; readonly meta: HookRunMeta };

export interface HookRunSource {
  watch(options: { readonly clock: Clock; readonly namespaces: readonly string[]; readonly log?: (m: string) => void; readonly onSynced?: () => void }, onEvent: (event: HookRunMetaEvent) => void, signal: AbortSignal): Promise<void>;
  get(namespace: string, name: string, signal: AbortSignal): Promise<HookRun>;
}

export interface ControllerOptions {
  readonly namespaces: readonly string[];
  readonly maxConcurrentRuns: number;
  readonly clock: Clock;
  readonly log: (message: string) => void;
  /** Told of every HookRun read (and of a run's last write) and of every deletion (metrics: HookRuns by phase). */
  readonly onEvent?: ((event: HookRunObserved) => void) | undefined;
  /** A run that failed with an error (not a hook failure) is retried after this long. */
  readonly retryMs?: number;
  /**
   * A run that stopped (another writer met, its journal lost) is resumed after this long, doubled per
   * stop in a row up to STOPPED_RETRY_MAX_MS (default: retryMs, else 10 s). This process runs HookRuns
   * only while it leads (or alone, without --leader-elect), so a stopped run has no other live owner
   * for long: an old leader stops at its next journal PUT and its fence holds it there.
   */
  readonly stoppedRetryMs?: number;
}

/** The longest wait before a stopped run is resumed. */
export const STOPPED_RETRY_MAX_MS = 5 * 60 * 1000;

export function isFinished(hr: HookRun): boolean {
  return hr.status?.completionTime !== undefined && (hr.status.phase === 'Succeeded' || hr.status.phase === 'Failed');
}

/**
 * `store` with every status write it stores told to `onWrite` (metrics: the phase of a run here, which
 * the metadata watch does not carry). Every other member is the store's own.
 */
export function observeStatusWrites<T extends HookRunStore>(store: T, onWrite: (stored: HookRun) => void): T {
  const replaceStatus = async (hookRun: HookRun, signal: AbortSignal): Promise<HookRun> => {
    const stored = await store.replaceStatus(hookRun, signal);
    onWrite(stored);
    return stored;
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'replaceStatus') return replaceStatus;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function keyOf(meta: HookRunMeta): string {
  return meta.uid ?? `${meta.namespace}/${meta.name}`;
}

function metaOf(hr: HookRun): HookRunMeta {
  const { name, namespace, uid, generation, resourceVersion } = hr.metadata;
  return { name, namespace, ...(uid === undefined ? {} : { uid }), ...(generation === undefined ? {} : { generation }), ...(resourceVersion === undefined ? {} : { resourceVersion }) };
}

/** 404 from the API (src/kube's errors carry `statusCode`). */
function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: unknown }).statusCode === 404;
}

export class HookRunController {
  readonly #source: HookRunSource;
  readonly #runner: Pick<HookRunRunner, 'run'>;
  readonly #o: ControllerOptions;
  /** uid → metadata, for HookRuns waiting for a run slot (the run GETs the object). */
  readonly #queue = new Map<string, HookRunMeta>();
  readonly #active = new Map<string, Promise<void>>();
  /** uid → stops in a row: a stopped run waits (bounded back-off) before it is resumed, and watch events do not bring it back earlier. */
  readonly #stops = new Map<string, number>();
  /** HookRuns waiting for their back-off after a stop. */
  readonly #backingOff = new Set<string>();
  /** uid → the resourceVersion last read (or last written by a run here): the watch's echo of it needs no GET. */
  readonly #read = new Map<string, string | undefined>();
  /** uid → latest metadata, for HookRuns to read (GET), one at a time. */
  readonly #toRead = new Map<string, HookRunMeta>();
  #reading: Promise<void> | undefined;
  /** The HookRun being read, and whether its deletion was seen while the GET was in flight. */
  #inRead: { readonly uid: string; deleted: boolean } | undefined;
  #signal: AbortSignal | undefined;
  #ready = false;
  #runs = 0;

  constructor(source: HookRunSource, runner: Pick<HookRunRunner, 'run'>, options: ControllerOptions) {
    this.#source = source;
    this.#runner = runner;
    this.#o = options;
  }

  /** True once every watched namespace has been listed (readiness), even when it holds no HookRun. */
  get ready(): boolean {
    return this.#ready;
  }

  get activeRuns(): number {
    return this.#active.size;
  }

  get startedRuns(): number {
    return this.#runs;
  }

  /** Watches and runs until `signal` aborts, then waits for the active runs to wind down. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    try {
      await this.#source.watch(
        {
          clock: this.#o.clock,
          namespaces: this.#o.namespaces,
          log: (m) => {
            this.#o.log(m);
          },
          onSynced: () => {
            this.#ready = true;
          },
        },
        (event) => {
          this.#onEvent(event);
        },
        signal,
      );
    } finally {
      await Promise.allSettled([...this.#active.values(), this.#reading]);
    }
  }

  /** HookRuns read (GET) but not yet handled: for tests of the read rule. */
  get pendingReads(): number {
    return this.#toRead.size + (this.#reading === undefined ? 0 : 1);
  }

  #onEvent(event: HookRunMetaEvent): void {
    const meta = event.meta;
    const uid = keyOf(meta);
    if (event.type === 'deleted') {
      this.#queue.delete(uid);
      this.#toRead.delete(uid);
      this.#read.delete(uid);
      this.#stops.delete(uid);
      if (this.#inRead?.uid === uid) this.#inRead.deleted = true;
      this.#o.onEvent?.({ type: 'deleted', meta });
      return;
    }
    // A run here holds the object; its own writes come back as these events.
    if (this.#active.has(uid)) return;
    if (meta.resourceVersion !== undefined && this.#read.has(uid) && this.#read.get(uid) === meta.resourceVersion) return;
    this.#toRead.set(uid, meta);
    this.#startReading();
  }

  #startReading(): void {
    if (this.#reading !== undefined) return;
    this.#reading = this.#readAll().finally(() => {
      this.#reading = undefined;
      // Added while the loop was ending.
      if (this.#toRead.size > 0 && this.#signal?.aborted === false) this.#startReading();
    });
  }

  /** GETs the HookRuns in #toRead one at a time (one large object in memory at a time), and queues those to run. */
  async #readAll(): Promise<void> {
    const signal = this.#signal;
    if (signal === undefined) return;
    {
      for (;;) {
        if (signal.aborted) return;
        const next = this.#toRead.entries().next();
        if (next.done === true) return;
        const [uid, meta] = next.value;
        this.#toRead.delete(uid);
        if (this.#active.has(uid)) continue;
        let hr: HookRun;
        const inRead = { uid, deleted: false };
        this.#inRead = inRead;
        try {
          hr = await this.#source.get(meta.namespace, meta.name, signal);
        } catch (error) {
          this.#inRead = undefined;
          if (isAborted(signal)) return;
          // Gone: the watch reports the deletion. Otherwise read it again later (unless newer news came).
          if (isNotFound(error)) continue;
          this.#o.log(`HookRun ${meta.namespace}/${meta.name}: ${error instanceof Error ? error.message : String(error)}; reading it again in ${(this.#o.retryMs ?? 10_000) / 1000}s`);
          this.#o.clock.sleep(this.#o.retryMs ?? 10_000, signal).then(
            () => {
              if (!this.#toRead.has(uid) && !this.#active.has(uid) && !this.#queue.has(uid)) {
                this.#toRead.set(uid, meta);
                this.#startReading();
              }
            },
            () => undefined,
          );
          continue;
        }
        this.#inRead = undefined;
        // Deleted while read, or deleted and re-created under the same name (the new object's own event comes).
        if (inRead.deleted || (hr.metadata.uid !== undefined && meta.uid !== undefined && hr.metadata.uid !== meta.uid)) continue;
        this.#read.set(uid, hr.metadata.resourceVersion);
        this.#o.onEvent?.({ type: 'upsert', hookRun: hr });
        if (isFinished(hr) || this.#active.has(uid) || this.#backingOff.has(uid)) continue;
        this.#queue.set(uid, metaOf(hr));
        this.#pump();
      }
    }
  }

  #pump(): void {
    const signal = this.#signal;
    if (signal === undefined || signal.aborted) return;
    while (this.#active.size < this.#o.maxConcurrentRuns) {
      const next = this.#queue.entries().next();
      if (next.done === true) return;
      const [uid, hr] = next.value;
      this.#queue.delete(uid);
      this.#runs++;
      const p = this.#runOne(uid, hr, signal).finally(() => {
        this.#active.delete(uid);
        this.#pump();
      });
      this.#active.set(uid, p);
    }
  }

  async #runOne(uid: string, seen: HookRunMeta, signal: AbortSignal): Promise<void> {
    const name = `${seen.namespace}/${seen.name}`;
    let outcome: RunOutcome;
    try {
      // The latest object: the one read may be old, and the status PUT needs a current resourceVersion.
      const hr = await this.#source.get(seen.namespace, seen.name, signal);
      this.#read.set(uid, hr.metadata.resourceVersion);
      this.#o.onEvent?.({ type: 'upsert', hookRun: hr });
      if (isFinished(hr) || (hr.metadata.uid !== undefined && seen.uid !== undefined && hr.metadata.uid !== seen.uid)) return;
      this.#o.log(`HookRun ${name}: ${hr.status?.startTime === undefined ? 'starting' : 'resuming'}`);
      outcome = await this.#runner.run(hr, signal);
    } catch (error) {
      if (signal.aborted) return;
      if (isNotFound(error) && !this.#read.has(uid)) {
        this.#o.log(`HookRun ${name}: deleted`);
        return;
      }
      this.#o.log(`HookRun ${name}: ${error instanceof Error ? error.message : String(error)}; retrying in ${(this.#o.retryMs ?? 10_000) / 1000}s`);
      const timer = this.#o.clock.sleep(this.#o.retryMs ?? 10_000, signal);
      timer.then(
        () => {
          if (!this.#active.has(uid) && !this.#queue.has(uid)) {
            this.#queue.set(uid, seen);
            this.#pump();
          }
        },
        () => undefined,
      );
      return;
    }
    if (outcome.kind === 'stopped') {
      if (signal.aborted) {
        this.#o.log(`HookRun ${name}: stopped (${outcome.why})`);
        return;
      }
      // Not given up: the other writer (an old leader) stops at its next journal PUT; the resume then
      // keeps what it stored (the journal's precondition fences it, ADR 0024 "Two writers").
      const n = (this.#stops.get(uid) ?? 0) + 1;
      this.#stops.set(uid, n);
      const first = this.#o.stoppedRetryMs ?? this.#o.retryMs ?? 10_000;
      const wait = Math.min(STOPPED_RETRY_MAX_MS, first * 2 ** Math.min(n - 1, 30));
      this.#o.log(`HookRun ${name}: stopped (${outcome.why}); resuming it in ${wait / 1000}s`);
      this.#backingOff.add(uid);
      this.#o.clock.sleep(wait, signal).then(
        () => {
          this.#backingOff.delete(uid);
          if (!this.#active.has(uid) && !this.#queue.has(uid)) {
            this.#queue.set(uid, seen);
            this.#pump();
          }
        },
        () => {
          this.#backingOff.delete(uid);
        },
      );
      return;
    }
    this.#stops.delete(uid);
    // The last write: its echo needs no GET (echoes of earlier writes that arrive later cost one).
    // Not when the HookRun was deleted meanwhile (the deletion cleared #read).
    if (this.#read.has(uid)) {
      this.#read.set(uid, outcome.hookRun.metadata.resourceVersion);
      this.#o.onEvent?.({ type: 'upsert', hookRun: outcome.hookRun });
    }
    this.#o.log(`HookRun ${name}: ${outcome.hookRun.status?.phase ?? 'done'} (${outcome.hookRun.status?.summary?.attempted ?? 0} attempted, ${outcome.hookRun.status?.summary?.failed ?? 0} failed)`);
  }
}

/** Read through a call: the signal flips while we await, which TypeScript's narrowing cannot see. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
