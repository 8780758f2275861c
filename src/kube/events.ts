/**
 * EventRecorder creating core/v1 Events on pods. core/v1 is accepted by every API server version and
 * by `kubectl describe pod`; events.k8s.io/v1 would need `action` and a stricter note format.
 */
import os from 'node:os';
import type { EventRecorder, PodEventRecord } from '../run/ports.ts';
import type { KubeClient } from './client.ts';
import { errorText } from './errors.ts';

/** events.k8s.io caps `note` at 1 KiB; we keep core/v1 messages within the same limit. */
export const EVENT_MESSAGE_LIMIT_BYTES = 1024;
export const REPORTING_COMPONENT = 'kubehooks';

/** Truncates to `limit` UTF-8 bytes without splitting a character, marking the cut with "…". */
export function truncateUtf8(text: string, limit: number): string {
  if (Buffer.byteLength(text, 'utf8') <= limit) return text;
  const marker = '…';
  const room = limit - Buffer.byteLength(marker, 'utf8');
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (used + size > room) break;
    out += ch;
    used += size;
  }
  return out + marker;
}

export interface KubeEventRecorderOptions {
  /** `reportingInstance` and `source.host`. Default: the host name. */
  readonly instance?: string;
  /** Injected for tests. */
  readonly now?: () => Date;
}

/** How long one Event write may take (docs/reliability.md's Events row; kept in step by a test). */
export const EVENT_WRITE_TIMEOUT_MS = 10_000;

export class KubeEventRecorder implements EventRecorder {
  readonly #client: KubeClient;
  readonly #instance: string;
  readonly #now: () => Date;

  constructor(client: KubeClient, options: KubeEventRecorderOptions = {}) {
    this.#client = client;
    this.#instance = (options.instance ?? os.hostname()).slice(0, 128);
    this.#now = options.now ?? (() => new Date());
  }

  async record(event: PodEventRecord, signal: AbortSignal): Promise<{ readonly ok: boolean; readonly error?: string }> {
    try {
      const time = this.#now().toISOString().replace(/\.\d+Z$/, 'Z');
      // Event names are DNS subdomains (≤ 253); the server appends a 5-character suffix.
      const prefix = `${event.pod.slice(0, 240)}.`;
      await this.#client.request('POST', `/api/v1/namespaces/${encodeURIComponent(event.namespace)}/events`, {
        signal,
        what: `create an event on pod ${event.namespace}/${event.pod}`,
        timeoutMs: EVENT_WRITE_TIMEOUT_MS,
        // The created Event is not read: its answer is drained, not parsed.
        discardBody: true,
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: prefix, namespace: event.namespace, ...(event.labels === undefined ? {} : { labels: { ...event.labels } }) },
          involvedObject: {
            apiVersion: 'v1',
            kind: 'Pod',
            namespace: event.namespace,
            name: event.pod,
            ...(event.podUid === undefined ? {} : { uid: event.podUid }),
          },
          type: event.type,
          reason: event.reason,
          message: truncateUtf8(event.message, EVENT_MESSAGE_LIMIT_BYTES),
          firstTimestamp: time,
          lastTimestamp: time,
          count: 1,
          source: { component: REPORTING_COMPONENT, host: this.#instance },
          reportingComponent: REPORTING_COMPONENT,
          reportingInstance: this.#instance,
        },
      });
      return { ok: true };
    } catch (error) {
      return { ok: false, error: errorText(error) };
    }
  }
}
