/**
 * A Velero Restore and the workloads that own pods, over the KubeClient (ADR 0021): GET one Restore;
 * list one owner kind in one namespace, in pages of 500, slimmed to what the owner rule reads. Behind
 * the RestoreReader and OwnerLister ports (src/run/ports.ts).
 */
import { OWNER_KINDS, readOwnerRefs, type OwnerKind, type OwnerObject } from '../plan/from-restore.ts';
import type { OwnerLister, RestoreReader } from '../run/ports.ts';
import type { HookRun } from '../controller/hookrun-types.ts';
import { HOOKRUN_API_VERSION, HOOKRUN_PLURAL } from '../controller/hookrun-types.ts';
import type { RestoreHookRunApi } from '../controller/restore-hookruns.ts';
import type { KubeClient } from './client.ts';
import { ApiStatusError, ApiStatusErrorBase, NotFoundError } from './errors.ts';
import { isRecord } from './status.ts';

const seg = encodeURIComponent;
const PAGE = 500;

function ownersPath(kind: OwnerKind, namespace: string): string {
  const { apiVersion, plural } = OWNER_KINDS[kind];
  const base = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
  return `${base}/namespaces/${seg(namespace)}/${plural}`;
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

function toOwner(kind: OwnerKind, namespace: string, raw: unknown): OwnerObject | undefined {
  if (!isRecord(raw) || !isRecord(raw['metadata'])) return undefined;
  const meta = raw['metadata'];
  if (typeof meta['name'] !== 'string') return undefined;
  const refs = readOwnerRefs(meta);
  return {
    kind,
    namespace,
    name: meta['name'],
    ...(typeof meta['uid'] === 'string' ? { uid: meta['uid'] } : {}),
    ...(isStringMap(meta['labels']) ? { labels: meta['labels'] } : {}),
    ...(refs === undefined || refs.length === 0 ? {} : { ownerReferences: refs }),
  };
}

export class KubeRestoreClient implements RestoreReader, OwnerLister, RestoreHookRunApi {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  async getRestore(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    try {
      const body = await this.#client.request('GET', `/apis/velero.io/v1/namespaces/${seg(namespace)}/restores/${seg(name)}`, { signal, what: `get velero.io/v1 Restore ${namespace}/${name}` });
      return isRecord(body) ? body : undefined;
    } catch (error) {
      // 404 for a missing Restore, and for a cluster without Velero's CRDs (the message says which).
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async getBackup(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    try {
      const body = await this.#client.request('GET', `/apis/velero.io/v1/namespaces/${seg(namespace)}/backups/${seg(name)}`, { signal, what: `get velero.io/v1 Backup ${namespace}/${name}` });
      return isRecord(body) ? body : undefined;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async listOwners(kind: OwnerKind, namespace: string, signal: AbortSignal): Promise<readonly OwnerObject[]> {
    const out: OwnerObject[] = [];
    const what = `list ${OWNER_KINDS[kind].plural} in namespace "${namespace}"`;
    let cont: string | undefined;
    do {
      const body = await this.#client.request('GET', ownersPath(kind, namespace), { signal, what, query: { limit: String(PAGE), ...(cont === undefined ? {} : { continue: cont }) } });
      if (!isRecord(body) || !Array.isArray(body['items'])) throw new ApiStatusError(`cannot ${what}: the response is not a list`, { statusCode: 200, reason: undefined, serverMessage: '' });
      for (const item of body['items'] as unknown[]) {
        const owner = toOwner(kind, namespace, item);
        if (owner !== undefined) out.push(owner);
      }
      const meta = isRecord(body['metadata']) ? body['metadata'] : {};
      cont = typeof meta['continue'] === 'string' && meta['continue'] !== '' ? meta['continue'] : undefined;
    } while (cont !== undefined);
    return out;
  }

  /** Restores in one namespace (undefined = all), paged. */
  async listRestores(namespace: string | undefined, signal: AbortSignal): Promise<readonly Record<string, unknown>[]> {
    const path = namespace === undefined ? '/apis/velero.io/v1/restores' : `/apis/velero.io/v1/namespaces/${seg(namespace)}/restores`;
    const what = `list velero.io/v1 Restores${namespace === undefined ? '' : ` in namespace "${namespace}"`}`;
    const out: Record<string, unknown>[] = [];
    let cont: string | undefined;
    do {
      const body = await this.#client.request('GET', path, { signal, what, query: { limit: String(PAGE), ...(cont === undefined ? {} : { continue: cont }) } });
      if (!isRecord(body) || !Array.isArray(body['items'])) throw new ApiStatusError(`cannot ${what}: the response is not a list`, { statusCode: 200, reason: undefined, serverMessage: '' });
      for (const item of body['items'] as unknown[]) if (isRecord(item)) out.push(item);
      const meta = isRecord(body['metadata']) ? body['metadata'] : {};
      cont = typeof meta['continue'] === 'string' && meta['continue'] !== '' ? meta['continue'] : undefined;
    } while (cont !== undefined);
    return out;
  }

  /** POST a HookRun; 'exists' when one of that name is there already (409). */
  async createHookRun(hookRun: HookRun, signal: AbortSignal): Promise<'created' | 'exists'> {
    const { namespace, name } = hookRun.metadata;
    try {
      await this.#client.request('POST', `/apis/${HOOKRUN_API_VERSION}/namespaces/${seg(namespace)}/${HOOKRUN_PLURAL}`, { signal, what: `create HookRun ${namespace}/${name}`, body: hookRun });
      return 'created';
    } catch (error) {
      if (error instanceof ApiStatusErrorBase && error.statusCode === 409) return 'exists';
      throw error;
    }
  }
}
