/**
 * Polling waits with deadlines (polling, not watches: nothing to leak, and a pod's few transitions
 * in a test are seen within one interval). Every wait ends by its deadline or the caller's signal.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';

export class WaitTimeoutError extends Error {
  readonly code = 'wait-timeout';
  /** The last object seen, for the assertion message. */
  readonly last: V1Pod | undefined;
  constructor(message: string, last: V1Pod | undefined) {
    super(message);
    this.name = 'WaitTimeoutError';
    this.last = last;
  }
}

export interface WaitOptions {
  /** Default 30 s. */
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal | undefined;
}

/** One line describing a pod's state, for messages. */
export function describePod(pod: V1Pod | undefined): string {
  if (pod === undefined) return 'not found';
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '-';
  const containers = (pod.status?.containerStatuses ?? [])
    .map((c) => {
      const s = c.state;
      const state = s?.running
        ? 'running'
        : s?.terminated
          ? `terminated(${s.terminated.exitCode})`
          : s?.waiting
            ? `waiting(${s.waiting.reason ?? ''})`
            : '?';
      return `${c.name}=${state}`;
    })
    .join(' ');
  return `phase=${pod.status?.phase ?? '-'} ready=${ready} ${containers}`.trim();
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 404;
}

export async function waitForPod(
  core: CoreV1Api,
  namespace: string,
  name: string,
  predicate: (pod: V1Pod | undefined) => boolean,
  description: string,
  options: WaitOptions = {},
): Promise<V1Pod | undefined> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: V1Pod | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      last = await core.readNamespacedPod({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      last = undefined;
    }
    if (predicate(last)) return last;
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(
        `pod ${namespace}/${name} did not become ${description} within ${timeoutMs} ms (last: ${describePod(last)})`,
        last,
      );
    }
    await sleep(Math.min(options.intervalMs ?? 100, Math.max(0, deadline - Date.now())), undefined, {
      signal: options.signal,
    });
  }
}

export const isRunning = (pod: V1Pod | undefined): boolean =>
  pod?.status?.phase === 'Running' &&
  (pod.status.containerStatuses ?? []).length > 0 &&
  (pod.status.containerStatuses ?? []).every((c) => c.state?.running !== undefined);

export const isReady = (pod: V1Pod | undefined): boolean =>
  pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
