/**
 * HookRunJournals (`kubehooks.dev/v1alpha1`, ADR 0024) over the KubeClient: get, create, replace
 * (PUT with metadata.resourceVersion as the precondition: 409 Conflict when it moved) and delete
 * (with a uid precondition). Nothing else: no list, no watch (RBAC: get, create, update, delete); the
 * controller reads its journal by name. Every request has a deadline (`timeoutMs`) besides the caller's
 * signal: a journal write is on the exec path.
 */
import type { HookRunJournal } from '../controller/hookrun-types.ts';
import { HOOKRUN_API_VERSION, HOOKRUNJOURNAL_KIND, HOOKRUNJOURNAL_PLURAL } from '../controller/hookrun-types.ts';
import type { KubeClient } from './client.ts';
import { ApiStatusError, NotFoundError } from './errors.ts';
import { isRecord } from './status.ts';

/** What the controller needs of the journal objects (src/kube implements it; tests use the fake API server through it). */
export interface HookRunJournalStore {
  /** undefined when there is none. */
  get(namespace: string, name: string, signal: AbortSignal): Promise<HookRunJournal | undefined>;
  /** POST; 409 AlreadyExists when one exists. */
  create(journal: HookRunJournal, signal: AbortSignal): Promise<HookRunJournal>;
  /** PUT with metadata.resourceVersion as the precondition (409 Conflict when it moved). */
  replace(journal: HookRunJournal, signal: AbortSignal): Promise<HookRunJournal>;
  /** DELETE the object with this uid (409 when the name holds another object now); gone already: no error. */
  delete(namespace: string, name: string, uid: string, signal: AbortSignal): Promise<void>;
}

/** The default deadline of one journal request. */
export const JOURNAL_REQUEST_TIMEOUT_MS = 10_000;

const seg = encodeURIComponent;

function journalsPath(namespace: string, name?: string): string {
  const base = `/apis/${HOOKRUN_API_VERSION}/namespaces/${seg(namespace)}/${HOOKRUNJOURNAL_PLURAL}`;
  return name === undefined ? base : `${base}/${seg(name)}`;
}

/** The object as the API server sent it, checked for the fields the controller reads. */
export function toHookRunJournal(raw: unknown, what: string): HookRunJournal {
  const bad = (): never => {
    throw new ApiStatusError(`cannot ${what}: the response is not a HookRunJournal`, { statusCode: 200, reason: undefined, serverMessage: '' });
  };
  if (!isRecord(raw) || !isRecord(raw['metadata']) || !isRecord(raw['spec'])) return bad();
  const meta = raw['metadata'];
  const spec = raw['spec'];
  if (typeof meta['name'] !== 'string' || typeof meta['namespace'] !== 'string') return bad();
  const entries = spec['entries'] ?? [];
  if (!Array.isArray(entries) || !entries.every((e) => isRecord(e))) return bad();
  return {
    apiVersion: HOOKRUN_API_VERSION,
    kind: HOOKRUNJOURNAL_KIND,
    metadata: meta as HookRunJournal['metadata'],
    spec: {
      hookRunUID: typeof spec['hookRunUID'] === 'string' ? spec['hookRunUID'] : '',
      holder: typeof spec['holder'] === 'string' ? spec['holder'] : '',
      entries: entries as unknown as HookRunJournal['spec']['entries'],
    },
  };
}

export class KubeHookRunJournalClient implements HookRunJournalStore {
  readonly #client: KubeClient;
  readonly #timeoutMs: number;

  constructor(client: KubeClient, options: { readonly timeoutMs?: number } = {}) {
    this.#client = client;
    this.#timeoutMs = options.timeoutMs ?? JOURNAL_REQUEST_TIMEOUT_MS;
  }

  async get(namespace: string, name: string, signal: AbortSignal): Promise<HookRunJournal | undefined> {
    const what = `get HookRunJournal ${namespace}/${name}`;
    try {
      return toHookRunJournal(await this.#client.request('GET', journalsPath(namespace, name), { signal, what, timeoutMs: this.#timeoutMs }), what);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async create(journal: HookRunJournal, signal: AbortSignal): Promise<HookRunJournal> {
    const { namespace, name } = journal.metadata;
    const what = `create HookRunJournal ${namespace}/${name}`;
    return toHookRunJournal(await this.#client.request('POST', journalsPath(namespace), { signal, what, body: journal, timeoutMs: this.#timeoutMs }), what);
  }

  async replace(journal: HookRunJournal, signal: AbortSignal): Promise<HookRunJournal> {
    const { namespace, name } = journal.metadata;
    const what = `update HookRunJournal ${namespace}/${name}`;
    return toHookRunJournal(await this.#client.request('PUT', journalsPath(namespace, name), { signal, what, body: journal, timeoutMs: this.#timeoutMs }), what);
  }

  async delete(namespace: string, name: string, uid: string, signal: AbortSignal): Promise<void> {
    const what = `delete HookRunJournal ${namespace}/${name}`;
    try {
      await this.#client.request('DELETE', journalsPath(namespace, name), {
        signal,
        what,
        body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } },
        timeoutMs: this.#timeoutMs,
        discardBody: true,
      });
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
  }
}
