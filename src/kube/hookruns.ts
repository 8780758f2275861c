/**
 * The HookRun API (`kubehooks.dev/v1alpha1`) and the Velero objects HookRuns refer to, over the
 * KubeClient: get, status PUT with the resourceVersion precondition, a metadata-only list + watch (one
 * watch per namespace or one cluster-wide, resumed after disconnects, relisted on 410 Gone), and
 * Events on a HookRun. The controller reaches the cluster only through these and the runner's ports.
 *
 * The watch asks for PartialObjectMetadata (as client-go's metadata informers do): a HookRun's status
 * grows to ~1 MiB with 2000 results and the controller writes it up to 10 times a second, and a full
 * watch sent every one of those writes back to the controller to be read and parsed. The controller
 * GETs the whole object only when it needs it (controller.ts).
 */
import type { HookRun, HookRunMeta } from '../controller/hookrun-types.ts';
import { HOOKRUN_API_VERSION, HOOKRUN_KIND, HOOKRUN_PLURAL } from '../controller/hookrun-types.ts';
import type { Clock } from '../run/ports.ts';
import type { KubeClient } from './client.ts';
import { isRecord } from './status.ts';
import { ApiStatusError, CredentialError, ForbiddenError, GoneError, KubeconfigError, NotFoundError, UnauthorizedError, errorForStatus, errorText } from './errors.ts';
import { WatchLineDecoder } from './watch-decoder.ts';

const seg = encodeURIComponent;

function hookRunsPath(namespace: string | undefined, name?: string, sub?: string): string {
  const base = namespace === undefined ? `/apis/${HOOKRUN_API_VERSION}/${HOOKRUN_PLURAL}` : `/apis/${HOOKRUN_API_VERSION}/namespaces/${seg(namespace)}/${HOOKRUN_PLURAL}`;
  return name === undefined ? base : `${base}/${seg(name)}${sub === undefined ? '' : `/${sub}`}`;
}

function toHookRun(raw: unknown): HookRun | undefined {
  if (!isRecord(raw) || !isRecord(raw['metadata']) || !isRecord(raw['spec'])) return undefined;
  const meta = raw['metadata'];
  if (typeof meta['name'] !== 'string' || typeof meta['namespace'] !== 'string') return undefined;
  return { ...(raw as unknown as HookRun), apiVersion: HOOKRUN_API_VERSION, kind: HOOKRUN_KIND };
}

/** Metadata only (kube-apiserver's PartialObjectMetadata), with plain JSON as the fallback a server without it answers. */
export const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

/** The metadata of a HookRun (PartialObjectMetadata, or a whole HookRun from a server that ignores `as=`). */
export function toHookRunMeta(raw: unknown): HookRunMeta | undefined {
  if (!isRecord(raw) || !isRecord(raw['metadata'])) return undefined;
  const m = raw['metadata'];
  if (typeof m['name'] !== 'string' || typeof m['namespace'] !== 'string') return undefined;
  return {
    name: m['name'],
    namespace: m['namespace'],
    ...(typeof m['uid'] === 'string' ? { uid: m['uid'] } : {}),
    ...(typeof m['generation'] === 'number' ? { generation: m['generation'] } : {}),
    ...(typeof m['resourceVersion'] === 'string' ? { resourceVersion: m['resourceVersion'] } : {}),
  };
}

export interface HookRunMetaEvent {
  readonly type: 'upsert' | 'deleted';
  readonly meta: HookRunMeta;
}

export interface HookRunWatchOptions {
  readonly clock: Clock;
  /** Namespaces to watch; empty = all (one cluster-wide watch). */
  readonly namespaces: readonly string[];
  /** Server-side watch duration; the watch is then resumed. Default 300 s. */
  readonly watchTimeoutSeconds?: number;
  readonly log?: (message: string) => void;
  /** Called once, when every watched namespace has been listed the first time (the cache is synced). */
  readonly onSynced?: (() => void) | undefined;
}

/** The Velero objects a HookRun may name in backupRef / restoreRef. */
export type VeleroKind = 'backups' | 'restores';

export class KubeHookRunClient {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  async get(namespace: string, name: string, signal: AbortSignal): Promise<HookRun> {
    const what = `get HookRun ${namespace}/${name}`;
    const body = await this.#client.request('GET', hookRunsPath(namespace, name), { signal, what });
    const hr = toHookRun(body);
    if (hr === undefined) throw new ApiStatusError(`cannot ${what}: the response is not a HookRun`, { statusCode: 200, reason: undefined, serverMessage: '' });
    return hr;
  }

  /** PUT …/status with metadata.resourceVersion as the precondition (409 Conflict when it moved). */
  async replaceStatus(hookRun: HookRun, signal: AbortSignal): Promise<HookRun> {
    const { namespace, name } = hookRun.metadata;
    const what = `update the status of HookRun ${namespace}/${name}`;
    const body = await this.#client.request('PUT', hookRunsPath(namespace, name, 'status'), { signal, what, body: hookRun });
    const hr = toHookRun(body);
    if (hr === undefined) throw new ApiStatusError(`cannot ${what}: the response is not a HookRun`, { statusCode: 200, reason: undefined, serverMessage: '' });
    return hr;
  }

  /** A velero.io/v1 Backup or Restore; undefined when it does not exist. */
  async getVelero(kind: VeleroKind, namespace: string, name: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    try {
      const body = await this.#client.request('GET', `/apis/velero.io/v1/namespaces/${seg(namespace)}/${kind}/${seg(name)}`, { signal, what: `get velero.io/v1 ${kind} ${namespace}/${name}` });
      return isRecord(body) ? body : undefined;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** A core/v1 Event on the HookRun (best effort: the result says whether it was recorded). */
  async event(hookRun: HookRun, type: 'Normal' | 'Warning', reason: string, message: string, signal: AbortSignal): Promise<{ ok: boolean; error?: string }> {
    const { namespace, name, uid } = hookRun.metadata;
    const now = new Date().toISOString();
    try {
      await this.#client.request('POST', `/api/v1/namespaces/${seg(namespace)}/events`, {
        signal,
        what: `create an Event on HookRun ${namespace}/${name}`,
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: { apiVersion: HOOKRUN_API_VERSION, kind: HOOKRUN_KIND, namespace, name, ...(uid === undefined ? {} : { uid }) },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: 'kubehooks-controller' },
          reportingComponent: 'kubehooks.dev/controller',
          reportingInstance: 'kubehooks-controller',
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
      return { ok: true };
    } catch (error) {
      return { ok: false, error: errorText(error) };
    }
  }

  /**
   * Lists then watches HookRuns' metadata until `signal` aborts, calling `onEvent` for each; relists
   * on 410 Gone (objects gone meanwhile are reported deleted), resumes after disconnects with capped
   * backoff. Rejects on 401/403 or a broken kubeconfig.
   */
  async watch(options: HookRunWatchOptions, onEvent: (event: HookRunMetaEvent) => void, signal: AbortSignal): Promise<void> {
    const targets = options.namespaces.length === 0 ? [undefined] : [...new Set(options.namespaces)];
    const inner = new AbortController();
    const onAbort = (): void => {
      inner.abort();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let failure: { error: unknown } | undefined;
    let unsynced = targets.length;
    const listed = (): void => {
      if (--unsynced === 0) options.onSynced?.();
    };
    try {
      await Promise.allSettled(
        targets.map((ns) =>
          this.#watchOne(ns, options, onEvent, inner.signal, listed).catch((error: unknown) => {
            failure ??= { error };
            inner.abort();
          }),
        ),
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
      inner.abort();
    }
    if (failure !== undefined && !signal.aborted) throw failure.error;
  }

  async #watchOne(namespace: string | undefined, options: HookRunWatchOptions, onEvent: (event: HookRunMetaEvent) => void, signal: AbortSignal, listed: () => void): Promise<void> {
    let firstList = true;
    const where = namespace === undefined ? 'in all namespaces' : `in namespace "${namespace}"`;
    /** Metadata only: what a relist needs to report the objects deleted meanwhile. */
    const known = new Map<string, HookRunMeta>();
    let rv: string | undefined;
    let attempt = 0;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          const body = await this.#client.request('GET', hookRunsPath(namespace), { signal, what: `list HookRuns ${where}`, accept: METADATA_LIST_ACCEPT });
          // An empty PartialObjectMetadataList comes as `"items": null` (a nil Go slice).
          if (!isRecord(body) || !(Array.isArray(body['items']) || body['items'] === null || body['items'] === undefined) || !isRecord(body['metadata'])) {
            throw new ApiStatusError(`cannot list HookRuns ${where}: the response is not a HookRunList or PartialObjectMetadataList`, { statusCode: 200, reason: undefined, serverMessage: '' });
          }
          const seen = new Set<string>();
          for (const raw of (body['items'] ?? []) as unknown[]) {
            const meta = toHookRunMeta(raw);
            if (meta === undefined) continue;
            const key = meta.uid ?? `${meta.namespace}/${meta.name}`;
            seen.add(key);
            known.set(key, meta);
            onEvent({ type: 'upsert', meta });
          }
          for (const [key, meta] of known) {
            if (!seen.has(key)) {
              known.delete(key);
              onEvent({ type: 'deleted', meta });
            }
          }
          const meta = body['metadata'];
          rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '';
          if (firstList) {
            firstList = false;
            listed();
          }
        }
        const res = await this.#client.stream(hookRunsPath(namespace), {
          signal,
          what: `watch HookRuns ${where}`,
          query: { watch: '1', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: String(options.watchTimeoutSeconds ?? 300) },
          accept: METADATA_ACCEPT,
        });
        const decoder = new WatchLineDecoder(`watch HookRuns ${where}`);
        let events = 0;
        try {
          for await (const chunk of res as AsyncIterable<Buffer>) {
            for (const line of decoder.push(chunk)) {
              const event = JSON.parse(line) as { type?: string; object?: unknown };
              if (event.type === 'ERROR') {
                const status = isRecord(event.object) ? event.object : {};
                const code = typeof status['code'] === 'number' ? status['code'] : 0;
                if (code === 410) throw new GoneError(`watch HookRuns ${where}: resourceVersion too old`, { statusCode: 410, reason: 'Expired', serverMessage: typeof status['message'] === 'string' ? status['message'] : '' });
                throw errorForStatus(`watch HookRuns ${where}`, { statusCode: code, reason: undefined, serverMessage: typeof status['message'] === 'string' ? status['message'] : '' });
              }
              const objMeta = isRecord(event.object) && isRecord(event.object['metadata']) ? event.object['metadata'] : undefined;
              if (objMeta !== undefined && typeof objMeta['resourceVersion'] === 'string') rv = objMeta['resourceVersion'];
              if (event.type === 'BOOKMARK') continue;
              const meta = toHookRunMeta(event.object);
              if (meta === undefined) continue;
              events++;
              const key = meta.uid ?? `${meta.namespace}/${meta.name}`;
              if (event.type === 'DELETED') {
                known.delete(key);
                onEvent({ type: 'deleted', meta });
              } else {
                known.set(key, meta);
                onEvent({ type: 'upsert', meta });
              }
            }
          }
        } finally {
          res.destroy();
        }
        attempt = events > 0 ? 0 : attempt;
      } catch (error) {
        if (isAborted(signal)) return;
        if (error instanceof GoneError) {
          rv = undefined;
          continue;
        }
        if (error instanceof ForbiddenError || error instanceof UnauthorizedError || error instanceof KubeconfigError || error instanceof CredentialError) throw error;
        attempt++;
        options.log?.(`watch HookRuns ${where}: ${errorText(error)}; retrying (attempt ${attempt})`);
        const delay = Math.min(30_000, 500 * 2 ** Math.min(6, attempt - 1));
        try {
          await options.clock.sleep(delay, signal);
        } catch {
          return;
        }
      }
    }
  }
}

/** Read through a call: the signal flips while we await, which TypeScript's narrowing cannot see. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
