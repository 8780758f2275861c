/**
 * The HookRun controller loop: one watch on HookRuns (cluster-wide, or one per --namespace), a queue,
 * and at most `maxConcurrentRuns` runs at a time. A HookRun is run once: a finished one (completionTime
 * set) is never picked up again; one with a start time and no completion is resumed (the journal says
 * what already happened). Everything else is in hookrun-run.ts.
 */
import type { HookRun } from './hookrun-types.ts';
import type { HookRunRunner, RunOutcome } from './hookrun-run.ts';
import type { Clock } from '../run/ports.ts';

export interface HookRunSource {
  watch(options: { readonly clock: Clock; readonly namespaces: readonly string[]; readonly log?: (m: string) => void; readonly onSynced?: () => void }, onEvent: (event: { readonly type: 'upsert' | 'deleted'; readonly hookRun: HookRun }) => void, signal: AbortSignal): Promise<void>;
  get(namespace: string, name: string, signal: AbortSignal): Promise<HookRun>;
}

export interface ControllerOptions {
  readonly namespaces: readonly string[];
  readonly maxConcurrentRuns: number;
  readonly clock: Clock;
  readonly log: (message: string) => void;
  /** Told of every watch event (metrics: HookRuns by phase). */
  readonly onEvent?: ((event: { readonly type: 'upsert' | 'deleted'; readonly hookRun: HookRun }) => void) | undefined;
  /** A run that failed with an error (not a hook failure) is retried after this long. */
  readonly retryMs?: number;
}

export function isFinished(hr: HookRun): boolean {
  return hr.status?.completionTime !== undefined && (hr.status.phase === 'Succeeded' || hr.status.phase === 'Failed');
}

export class HookRunController {
  readonly #source: HookRunSource;
  readonly #runner: HookRunRunner;
  readonly #o: ControllerOptions;
  /** uid → latest object seen, for HookRuns waiting for a run slot. */
  readonly #queue = new Map<string, HookRun>();
  readonly #active = new Map<string, Promise<void>>();
  /** HookRuns this process gave up (another writer owns them): not picked up again by this process. */
  readonly #given = new Set<string>();
  #signal: AbortSignal | undefined;
  #ready = false;
  #runs = 0;

  constructor(source: HookRunSource, runner: HookRunRunner, options: ControllerOptions) {
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
          this.#o.onEvent?.(event);
          this.#onEvent(event);
        },
        signal,
      );
    } finally {
      await Promise.allSettled([...this.#active.values()]);
    }
  }

  #onEvent(event: { readonly type: 'upsert' | 'deleted'; readonly hookRun: HookRun }): void {
    const hr = event.hookRun;
    const uid = hr.metadata.uid ?? `${hr.metadata.namespace}/${hr.metadata.name}`;
    if (event.type === 'deleted') {
      this.#queue.delete(uid);
      return;
    }
    if (isFinished(hr) || this.#active.has(uid) || this.#given.has(uid)) return;
    this.#queue.set(uid, hr);
    this.#pump();
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

  async #runOne(uid: string, seen: HookRun, signal: AbortSignal): Promise<void> {
    const name = `${seen.metadata.namespace}/${seen.metadata.name}`;
    let outcome: RunOutcome;
    try {
      // The latest object: the watch event may be old, and the status PUT needs a current resourceVersion.
      const hr = await this.#source.get(seen.metadata.namespace, seen.metadata.name, signal);
      if (isFinished(hr) || (hr.metadata.uid !== undefined && hr.metadata.uid !== seen.metadata.uid)) return;
      this.#o.log(`HookRun ${name}: ${hr.status?.startTime === undefined ? 'starting' : 'resuming'}`);
      outcome = await this.#runner.run(hr, signal);
    } catch (error) {
      if (signal.aborted) return;
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
      this.#o.log(`HookRun ${name}: stopped (${outcome.why})`);
      if (!signal.aborted) this.#given.add(uid);
      return;
    }
    this.#o.log(`HookRun ${name}: ${outcome.hookRun.status?.phase ?? 'done'} (${outcome.hookRun.status?.summary?.attempted ?? 0} attempted, ${outcome.hookRun.status?.summary?.failed ?? 0} failed)`);
  }
}
