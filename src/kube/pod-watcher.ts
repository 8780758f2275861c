/**
 * PodWatcher and PodLister over the core/v1 pods API: list, then watch from the list's
 * resourceVersion — one watch per namespace, or one cluster-wide watch when no namespace is given;
 * never one per pod. Disconnects resume from the last seen resourceVersion (bookmarks keep it fresh)
 * with capped exponential backoff; `410 Gone` relists and emits synthetic upserts/deletes for what
 * changed meanwhile. Only uid → {resourceVersion, name, namespace, labels} is kept between events
 * (pod-snapshots.ts); lines are decoded by watch-decoder.ts.
 *
 * Over 300 lines on purpose: what is left is one loop — list, watch, resume, relist on 410, back off,
 * the stalled-watch guard — whose branches share the resourceVersion, the attempt counters and the
 * abort; split up, each piece would need all of them passed around. The pure parts are elsewhere.
 */
import type { PodManifest } from '../model/pod.ts';
import type { Clock, PodEvent, PodLister, PodScope, PodWatchHandlers, PodWatcher, WatchLifecycle } from '../run/ports.ts';
import type { KubeClient } from './client.ts';
import { createSystemClock } from '../run/clock.ts';
import {
  ApiStatusError,
  ApiTimeoutError,
  ApiUnreachableError,
  CredentialError,
  ForbiddenError,
  GoneError,
  KubeconfigError,
  UnauthorizedError,
  WatchStallError,
  errorForStatus,
  errorText,
} from './errors.ts';
import { applyList, keyOf, snapshotOf, type Snapshot } from './pod-snapshots.ts';
import { resourceVersionOf, toPodManifest } from './pod.ts';
import { isRecord } from './status.ts';
import { WatchLineDecoder, decodeWatchEvent } from './watch-decoder.ts';

export interface BackoffOptions {
  /** First retry delay. Default 500 ms. */
  readonly initialMs?: number;
  /** Cap. Default 30 s. */
  readonly maxMs?: number;
  /** Growth per attempt. Default 2. */
  readonly factor?: number;
}

export interface KubePodWatcherOptions {
  /** Used for backoff sleeps and the stalled-watch guard. Default: the real clock. */
  readonly clock?: Clock;
  readonly backoff?: BackoffOptions;
  /** Jitter source in [0,1): the delay is scaled by 0.5 + random/2. Default Math.random. */
  readonly random?: () => number;
  /** Server-side watch duration (`timeoutSeconds`); the watch is then resumed. Default 300. */
  readonly watchTimeoutSeconds?: number;
  /** Page size for lists. Default 500. */
  readonly pageSize?: number;
  /**
   * How many times the very first list may fail (unreachable, timeout, 5xx) before run() rejects
   * with that error, so a wrong server fails fast instead of waiting forever. Once a list has
   * succeeded, failures are retried until the signal aborts. Default 3.
   */
  readonly initialListAttempts?: number;
  /** Diagnostics: retried first lists and dropped malformed pods (default: ignore). */
  readonly log?: (message: string) => void;
}

/** Wraps an exception thrown by a caller's handler so it is not mistaken for a watch failure. */
class HandlerFailure extends Error {
  readonly error: unknown;
  constructor(error: unknown) {
    super('a watch handler threw', { cause: error });
    this.error = error;
  }
}

/** Worth another try: the API server was unreachable or slow, throttled (429) or failed (5xx). */
function isRetryableListError(error: unknown): boolean {
  if (error instanceof ApiUnreachableError || error instanceof ApiTimeoutError) return true;
  return error instanceof ApiStatusError && (error.statusCode === 429 || error.statusCode >= 500);
}

/** Errors that retrying cannot fix: the watch rejects with them. */
function isFatal(error: unknown): boolean {
  return error instanceof ForbiddenError || error instanceof UnauthorizedError || error instanceof KubeconfigError || error instanceof CredentialError;
}

/** Reads `aborted` afresh (TypeScript keeps an earlier narrowing of the property across awaits). */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function podsPath(namespace: string | undefined): string {
  return namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
}

function describeTarget(namespace: string | undefined): string {
  return namespace === undefined ? 'in all namespaces' : `in namespace "${namespace}"`;
}

export class KubePodWatcher implements PodWatcher, PodLister {
  readonly #client: KubeClient;
  readonly #clock: Clock;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #random: () => number;
  readonly #watchTimeoutSeconds: number;
  readonly #pageSize: number;
  readonly #initialListAttempts: number;
  readonly #log: (message: string) => void;

  constructor(client: KubeClient, options: KubePodWatcherOptions = {}) {
    this.#client = client;
    this.#clock = options.clock ?? createSystemClock();
    this.#initialMs = options.backoff?.initialMs ?? 500;
    this.#maxMs = options.backoff?.maxMs ?? 30_000;
    this.#factor = options.backoff?.factor ?? 2;
    this.#random = options.random ?? Math.random;
    this.#watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.#pageSize = options.pageSize ?? 500;
    this.#initialListAttempts = Math.max(1, options.initialListAttempts ?? 3);
    this.#log = options.log ?? (() => undefined);
  }

  /** The delay before retry number `attempt` (1-based). */
  backoffMs(attempt: number): number {
    const raw = Math.min(this.#maxMs, this.#initialMs * this.#factor ** Math.max(0, attempt - 1));
    return Math.round(raw * (0.5 + this.#random() / 2));
  }

  /**
   * The CLI's first list: like the watch's initial list, a retryable failure (unreachable, timeout,
   * 429, 5xx) is tried up to `initialListAttempts` times with the watcher's backoff; 401/403, a bad
   * kubeconfig or any other answer fails at once.
   */
  async list(scope: PodScope, signal: AbortSignal): Promise<readonly PodManifest[]> {
    const targets = scope.namespaces.length === 0 ? [undefined] : [...new Set(scope.namespaces)];
    const pages = await Promise.all(targets.map((ns) => this.#listWithRetry(ns, scope.labelSelector, signal)));
    return pages.flatMap((p) => p.items);
  }

  async #listWithRetry(namespace: string | undefined, labelSelector: string | undefined, signal: AbortSignal): Promise<{ items: PodManifest[]; resourceVersion: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#listAll(namespace, labelSelector, signal);
      } catch (error) {
        if (isAborted(signal) || !isRetryableListError(error) || attempt >= this.#initialListAttempts) throw error;
        this.#log(`list pods ${describeTarget(namespace)} failed (attempt ${attempt} of ${this.#initialListAttempts}), retrying: ${errorText(error)}`);
        await this.#clock.sleep(this.backoffMs(attempt), signal);
      }
    }
  }

  async run(scope: PodScope, handlers: PodWatchHandlers, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const targets = scope.namespaces.length === 0 ? [undefined] : [...new Set(scope.namespaces)];
    const inner = new AbortController();
    const onAbort = (): void => {
      inner.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let firstError: { error: unknown } | undefined;
    try {
      await Promise.allSettled(
        targets.map((ns) =>
          this.#runOne(ns, scope.labelSelector, handlers, inner.signal).catch((error: unknown) => {
            firstError ??= { error };
            inner.abort(error);
          }),
        ),
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
      inner.abort();
    }
    if (firstError !== undefined && !isAborted(signal)) {
      throw firstError.error instanceof HandlerFailure ? firstError.error.error : firstError.error;
    }
  }

  async #runOne(
    namespace: string | undefined,
    labelSelector: string | undefined,
    handlers: PodWatchHandlers,
    signal: AbortSignal,
  ): Promise<void> {
    const known = new Map<string, Snapshot>();
    const emit = (event: PodEvent): void => {
      try {
        handlers.onEvent(event);
      } catch (error) {
        throw new HandlerFailure(error);
      }
    };
    const lifecycle = (event: WatchLifecycle): void => {
      try {
        handlers.onLifecycle?.(event);
      } catch (error) {
        throw new HandlerFailure(error);
      }
    };
    let rv: string | undefined;
    let needList = true;
    let initial = true;
    let attempt = 0;
    let consecutiveGone = 0;

    while (!signal.aborted) {
      try {
        if (needList) {
          const { items, resourceVersion } = await this.#listAll(namespace, labelSelector, signal);
          applyList(items, known, initial, emit);
          initial = false;
          rv = resourceVersion;
          needList = false;
          lifecycle({ type: 'listed', namespace, count: items.length });
        }
        const startedAt = this.#clock.now();
        const result = await this.#watchOnce(namespace, labelSelector, rv, known, emit, signal, (next) => {
          rv = next;
        });
        if (result.kind === 'gone') {
          consecutiveGone++;
          lifecycle({ type: 'relisting', namespace, reason: result.reason });
          needList = true;
          // A relist that is at once too old again should not spin.
          if (consecutiveGone > 1) await this.#clock.sleep(this.backoffMs(consecutiveGone - 1), signal);
          continue;
        }
        consecutiveGone = 0;
        if (result.events > 0 || this.#clock.now() - startedAt >= 1000) {
          // A healthy watch the server ended (timeoutSeconds): resume at once, quietly.
          attempt = 0;
        } else {
          attempt++;
          lifecycle({ type: 'reconnecting', namespace, reason: 'watch ended immediately', attempt });
          await this.#clock.sleep(this.backoffMs(attempt), signal);
        }
      } catch (error) {
        if (isAborted(signal)) return;
        if (error instanceof HandlerFailure || isFatal(error)) throw error;
        if (error instanceof GoneError) {
          consecutiveGone++;
          lifecycle({ type: 'relisting', namespace, reason: error.message });
          needList = true;
          if (consecutiveGone > 1) await this.#sleepUnlessAborted(this.backoffMs(consecutiveGone - 1), signal);
          continue;
        }
        attempt++;
        if (initial && attempt >= this.#initialListAttempts) throw error;
        lifecycle({ type: 'reconnecting', namespace, reason: errorText(error), attempt });
        await this.#sleepUnlessAborted(this.backoffMs(attempt), signal);
      }
    }
  }

  async #sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await this.#clock.sleep(ms, signal);
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  async #listAll(
    namespace: string | undefined,
    labelSelector: string | undefined,
    signal: AbortSignal,
  ): Promise<{ items: PodManifest[]; resourceVersion: string }> {
    const what = `list pods ${describeTarget(namespace)}`;
    for (let restart = 0; ; restart++) {
      const items: PodManifest[] = [];
      let token: string | undefined;
      let resourceVersion = '';
      try {
        do {
          const body = await this.#client.request('GET', podsPath(namespace), {
            query: { labelSelector, limit: String(this.#pageSize), continue: token },
            signal,
            what,
          });
          if (!isRecord(body) || !Array.isArray(body['items']) || !isRecord(body['metadata'])) {
            throw new ApiStatusError(`cannot ${what}: the response is not a PodList`, {
              statusCode: 200,
              reason: undefined,
              serverMessage: '',
            });
          }
          for (const raw of body['items'] as unknown[]) {
            const pod = toPodManifest(raw);
            if (pod === undefined) this.#log(`ignoring a malformed pod in ${what}`);
            else items.push(pod);
          }
          const meta = body['metadata'];
          resourceVersion = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : resourceVersion;
          token = typeof meta['continue'] === 'string' && meta['continue'] !== '' ? meta['continue'] : undefined;
        } while (token !== undefined);
        return { items, resourceVersion };
      } catch (error) {
        // An expired continue token: start the list again (bounded).
        if (error instanceof GoneError && token !== undefined && restart < 3) continue;
        throw error;
      }
    }
  }

  async #watchOnce(
    namespace: string | undefined,
    labelSelector: string | undefined,
    rv: string | undefined,
    known: Map<string, Snapshot>,
    emit: (e: PodEvent) => void,
    signal: AbortSignal,
    setRv: (rv: string) => void,
  ): Promise<{ kind: 'ended'; events: number } | { kind: 'gone'; reason: string }> {
    const what = `watch pods ${describeTarget(namespace)}`;
    const stream = new AbortController();
    const onAbort = (): void => {
      stream.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // Backstop for a connection that dies silently: the server should end the watch at timeoutSeconds.
    const guard = new AbortController();
    this.#clock.sleep((this.#watchTimeoutSeconds + 60) * 1000, guard.signal).then(
      () => {
        stream.abort(new WatchStallError(`${what}: no end of watch from the server after ${this.#watchTimeoutSeconds + 60}s`));
      },
      () => undefined,
    );
    let events = 0;
    try {
      const res = await this.#client.stream(podsPath(namespace), {
        query: {
          watch: 'true',
          resourceVersion: rv,
          allowWatchBookmarks: 'true',
          labelSelector,
          timeoutSeconds: String(this.#watchTimeoutSeconds),
        },
        signal: stream.signal,
        what,
      });
      const lines = new WatchLineDecoder(what);
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          for (const line of lines.push(chunk)) {
            events++;
            const outcome = this.#handleLine(line, what, known, emit, setRv);
            if (outcome !== undefined) return outcome;
          }
        }
      } finally {
        res.destroy();
      }
      if (stream.signal.aborted && !signal.aborted) throw stream.signal.reason;
      return { kind: 'ended', events };
    } catch (error) {
      // The guard's reason says more than the stream's "aborted".
      if (stream.signal.aborted && !isAborted(signal) && !(error instanceof HandlerFailure)) throw stream.signal.reason;
      throw error;
    } finally {
      guard.abort();
      signal.removeEventListener('abort', onAbort);
      stream.abort();
    }
  }

  /** Applies one watch line. Returns `gone` on a 410 ERROR event; throws on other ERROR events. */
  #handleLine(
    line: string,
    what: string,
    known: Map<string, Snapshot>,
    emit: (e: PodEvent) => void,
    setRv: (rv: string) => void,
  ): { kind: 'gone'; reason: string } | undefined {
    const event = decodeWatchEvent(line, what);
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        const pod = toPodManifest(event.object);
        if (pod === undefined) {
          this.#log(`ignoring a malformed pod in ${what}`);
          return undefined;
        }
        const podRv = resourceVersionOf(pod);
        if (podRv !== undefined) setRv(podRv);
        const key = keyOf(pod);
        if (event.type === 'DELETED') {
          known.delete(key);
          emit({ type: 'deleted', pod });
        } else {
          known.set(key, snapshotOf(pod));
          emit({ type: 'upsert', pod });
        }
        return undefined;
      }
      case 'BOOKMARK':
        if (event.resourceVersion !== undefined) setRv(event.resourceVersion);
        return undefined;
      case 'ERROR':
        if (event.status.statusCode === 410) return { kind: 'gone', reason: event.status.serverMessage || 'resource version too old' };
        throw errorForStatus(what, event.status);
      default:
        return undefined;
    }
  }
}
