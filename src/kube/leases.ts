/**
 * `coordination.k8s.io/v1` Leases over the KubeClient, for leader election (src/controller/leader.ts):
 * get, create, and update with metadata.resourceVersion as the precondition (409 Conflict when
 * another candidate wrote first). Nothing else: no list, watch or delete (RBAC: get, create, update).
 */
import type { KubeClient } from './client.ts';
import { ApiStatusError, NotFoundError } from './errors.ts';
import { isRecord } from './status.ts';

/** The fields of a Lease the election reads and writes. Times are MicroTime strings (RFC 3339, µs). */
export interface LeaseSpec {
  readonly holderIdentity?: string | undefined;
  readonly leaseDurationSeconds?: number | undefined;
  readonly acquireTime?: string | undefined;
  readonly renewTime?: string | undefined;
  readonly leaseTransitions?: number | undefined;
}

export interface Lease {
  readonly apiVersion: 'coordination.k8s.io/v1';
  readonly kind: 'Lease';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly resourceVersion?: string | undefined; readonly [k: string]: unknown };
  readonly spec: LeaseSpec;
}

/** What the leader elector needs (src/kube implements it; tests use the fake API server through it). */
export interface LeaseStore {
  /** undefined when the Lease does not exist. */
  get(namespace: string, name: string, signal: AbortSignal): Promise<Lease | undefined>;
  /** POST; 409 AlreadyExists when another candidate created it first. */
  create(lease: Lease, signal: AbortSignal): Promise<Lease>;
  /** PUT with metadata.resourceVersion as the precondition; 409 Conflict when it moved. */
  update(lease: Lease, signal: AbortSignal): Promise<Lease>;
}

const seg = encodeURIComponent;

function leasesPath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${seg(namespace)}/leases`;
  return name === undefined ? base : `${base}/${seg(name)}`;
}

function toLease(raw: unknown, what: string): Lease {
  if (!isRecord(raw) || !isRecord(raw['metadata']) || typeof raw['metadata']['name'] !== 'string' || typeof raw['metadata']['namespace'] !== 'string') {
    throw new ApiStatusError(`cannot ${what}: the response is not a Lease`, { statusCode: 200, reason: undefined, serverMessage: '' });
  }
  const spec = isRecord(raw['spec']) ? raw['spec'] : {};
  const str = (k: string): string | undefined => (typeof spec[k] === 'string' ? spec[k] : undefined);
  const num = (k: string): number | undefined => (typeof spec[k] === 'number' ? spec[k] : undefined);
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: raw['metadata'] as Lease['metadata'],
    spec: {
      holderIdentity: str('holderIdentity'),
      leaseDurationSeconds: num('leaseDurationSeconds'),
      acquireTime: str('acquireTime'),
      renewTime: str('renewTime'),
      leaseTransitions: num('leaseTransitions'),
    },
  };
}

/** Drops undefined fields: the API server stores what it is sent. */
function body(lease: Lease): Record<string, unknown> {
  const spec = Object.fromEntries(Object.entries(lease.spec).filter(([, v]) => v !== undefined));
  return { apiVersion: lease.apiVersion, kind: lease.kind, metadata: lease.metadata, spec };
}

export class KubeLeaseClient implements LeaseStore {
  readonly #client: KubeClient;
  /** Lease requests are small: a short deadline keeps a renewal within the renew deadline. */
  readonly #timeoutMs: number | undefined;

  constructor(client: KubeClient, options: { readonly timeoutMs?: number } = {}) {
    this.#client = client;
    this.#timeoutMs = options.timeoutMs;
  }

  async get(namespace: string, name: string, signal: AbortSignal): Promise<Lease | undefined> {
    const what = `get Lease ${namespace}/${name}`;
    try {
      return toLease(await this.#client.request('GET', leasesPath(namespace, name), { signal, what, ...this.#timeout() }), what);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async create(lease: Lease, signal: AbortSignal): Promise<Lease> {
    const what = `create Lease ${lease.metadata.namespace}/${lease.metadata.name}`;
    return toLease(await this.#client.request('POST', leasesPath(lease.metadata.namespace), { signal, what, body: body(lease), ...this.#timeout() }), what);
  }

  async update(lease: Lease, signal: AbortSignal): Promise<Lease> {
    const what = `update Lease ${lease.metadata.namespace}/${lease.metadata.name}`;
    return toLease(await this.#client.request('PUT', leasesPath(lease.metadata.namespace, lease.metadata.name), { signal, what, body: body(lease), ...this.#timeout() }), what);
  }

  #timeout(): { timeoutMs?: number } {
    return this.#timeoutMs === undefined ? {} : { timeoutMs: this.#timeoutMs };
  }
}
