/**
 * The bench's own view of when each container became Running, in milliseconds. Kubernetes' startedAt
 * has one-second resolution, so the bench watches the namespace itself (one watch, opened before the
 * pods are created) and stamps the moment a container's `state.running` first shows up. kubehooks
 * receives the same watch event from the same API server at about the same moment, so
 * `hook startedAt - observed Running` is the runner's own reaction time plus queueing for a slot.
 */
import { Worker } from 'node:worker_threads';
import type { Api } from './api.ts';

interface ContainerStatus {
  readonly name?: string;
  readonly state?: { readonly running?: unknown };
}

interface PodLike {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
  readonly status?: { readonly containerStatuses?: readonly ContainerStatus[] };
}

/** Wall-clock milliseconds with sub-millisecond precision. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export class RunningObserver {
  /** `pod/container` → first time seen running (epoch ms). */
  readonly running = new Map<string, number>();
  readonly #ctl = new AbortController();
  #done: Promise<void> = Promise.resolve();
  #error: unknown;
  events = 0;

  #see(pod: PodLike, at: number): void {
    const name = pod.metadata?.name;
    if (name === undefined) return;
    for (const s of pod.status?.containerStatuses ?? []) {
      if (s.state?.running === undefined || s.name === undefined) continue;
      const key = `${name}/${s.name}`;
      if (!this.running.has(key)) this.running.set(key, at);
    }
  }

  /** Lists the namespace, then watches it until stop(). Resolves once the watch request is sent. */
  async start(api: Api, namespace: string): Promise<void> {
    const path = `/api/v1/namespaces/${namespace}/pods`;
    const list = JSON.parse(await api.call('GET', path)) as { metadata?: { resourceVersion?: string }; items?: PodLike[] };
    const at = nowMs();
    for (const p of list.items ?? []) this.#see(p, at);
    const rv = list.metadata?.resourceVersion ?? '';
    this.#done = api
      .stream(
        `${path}?watch=1&resourceVersion=${rv}&timeoutSeconds=3600&allowWatchBookmarks=false`,
        (line) => {
          const t = nowMs();
          this.events++;
          const event = JSON.parse(line) as { type?: string; object?: PodLike };
          if (event.type === 'ADDED' || event.type === 'MODIFIED') this.#see(event.object ?? {}, t);
        },
        this.#ctl.signal,
      )
      .catch((e: unknown) => {
        this.#error = e;
      });
  }

  /** Waits until `count` containers were seen running, or the deadline passes; returns how many were. */
  async waitFor(count: number, deadlineMs: number): Promise<number> {
    const end = Date.now() + deadlineMs;
    while (this.running.size < count && Date.now() < end && this.#error === undefined) {
      await new Promise((r) => setTimeout(r, 200));
    }
    return this.running.size;
  }

  get error(): unknown {
    return this.#error;
  }

  async stop(): Promise<void> {
    this.#ctl.abort();
    await Promise.race([this.#done, new Promise((r) => setTimeout(r, 2_000))]);
  }
}

/** The observer on a worker thread (see observer-worker.ts), driven by messages. */
export class ThreadedObserver {
  readonly #worker: Worker;
  readonly #messages: { type: string; [k: string]: unknown }[] = [];
  readonly #waiters: (() => void)[] = [];

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (m: { type: string }) => {
      this.#messages.push(m);
      for (const w of this.#waiters.splice(0)) w();
    });
    worker.on('error', (e) => {
      this.#messages.push({ type: 'failed', error: String(e) });
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  async #next(type: string, deadlineMs: number): Promise<{ type: string; [k: string]: unknown }> {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const i = this.#messages.findIndex((m) => m.type === type || m.type === 'failed');
      if (i >= 0) {
        const [m] = this.#messages.splice(i, 1);
        if (m === undefined) continue;
        if (m.type === 'failed') throw new Error(`observer thread: ${String(m['error'])}`);
        return m;
      }
      const left = end - Date.now();
      if (left <= 0) throw new Error(`observer thread: no "${type}" within ${deadlineMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  static async start(kubeconfig: string, namespace: string): Promise<ThreadedObserver> {
    const worker = new Worker(new URL('./observer-worker.ts', import.meta.url), { workerData: { kubeconfig, namespace } });
    const o = new ThreadedObserver(worker);
    await o.#next('started', 30_000);
    return o;
  }

  async waitFor(count: number, deadlineMs: number): Promise<number> {
    this.#worker.postMessage({ type: 'wait', count, deadlineMs });
    return Number((await this.#next('waited', deadlineMs + 5_000))['seen']);
  }

  /** Stops the watch and returns `pod/container` → first time seen running (epoch ms). */
  async stop(): Promise<{ running: Map<string, number>; events: number; error: string | undefined }> {
    try {
      this.#worker.postMessage({ type: 'stop' });
      const m = await this.#next('stopped', 10_000);
      const error = m['error'];
      return {
        running: new Map(m['running'] as [string, number][]),
        events: Number(m['events']),
        error: typeof error === 'string' ? error : undefined,
      };
    } finally {
      await this.#worker.terminate();
    }
  }
}
