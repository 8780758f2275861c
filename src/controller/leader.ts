/**
 * Leader election on a `coordination.k8s.io/v1` Lease, the protocol of client-go's leaderelection
 * package (ADR 0020): a candidate reads the Lease; it takes it when the Lease does not exist, has no
 * holder, or its record has not changed for `leaseDurationSeconds` of the candidate's own clock; the
 * leader renews it every `retryPeriod`. Every write is a create or a PUT with the resourceVersion read,
 * so of two candidates exactly one wins (the other gets 409). A leader that cannot renew within
 * `renewDeadline` stops leading, which is before any other candidate may take over (leaseDuration >
 * renewDeadline + retryPeriod's jitter). On a clean stop the leader releases the Lease (empty holder,
 * leaseDurationSeconds 1) so a standby takes over at its next retry, not after the lease duration.
 *
 * Expiry is judged by when *this process* last saw the record change, never by comparing renewTime
 * with the local clock: the candidates' clocks need to run at the same rate, not to agree.
 *
 * Just over 300 lines on purpose: acquire, renew, release and the fencing check share one record of
 * what this process last observed, and splitting them would spread that invariant over files.
 */
import type { Clock } from '../run/ports.ts';
import type { Lease, LeaseSpec, LeaseStore } from '../kube/leases.ts';

/** client-go's defaults (and kube-controller-manager's flags). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** client-go's JitterFactor: retries wait retryPeriod × [1, 1 + 1.2). */
export const JITTER_FACTOR = 1.2;

export interface LeaderElectionConfig {
  readonly namespace: string;
  readonly name: string;
  /** This candidate's holderIdentity: unique per process (pod name plus a random suffix). */
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** client-go's checks: why the durations cannot work together, or undefined when they can. */
export function leaderElectionConfigError(c: Pick<LeaderElectionConfig, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>): string | undefined {
  if (!(c.retryPeriodMs > 0)) return `--leader-elect-retry-period must be greater than zero`;
  if (!(c.leaseDurationMs > c.renewDeadlineMs)) return `--leader-elect-lease-duration (${c.leaseDurationMs} ms) must be greater than --leader-elect-renew-deadline (${c.renewDeadlineMs} ms)`;
  if (!(c.renewDeadlineMs > JITTER_FACTOR * c.retryPeriodMs)) {
    return `--leader-elect-renew-deadline (${c.renewDeadlineMs} ms) must be greater than ${JITTER_FACTOR} × --leader-elect-retry-period (${c.retryPeriodMs} ms)`;
  }
  return undefined;
}

/** Lease times are MicroTime: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export type LeaderEvent =
  | { readonly type: 'started-leading' }
  | { readonly type: 'stopped-leading'; readonly why: string }
  | { readonly type: 'new-leader'; readonly identity: string };

export interface LeaderElectorOptions {
  readonly store: LeaseStore;
  readonly clock: Clock;
  readonly config: LeaderElectionConfig;
  readonly log?: ((message: string) => void) | undefined;
  readonly onEvent?: ((event: LeaderEvent) => void) | undefined;
  /** [0, 1): the jitter of each retry. Default Math.random. */
  readonly random?: (() => number) | undefined;
}

function sameRecord(a: LeaseSpec | undefined, b: LeaseSpec | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    (a.holderIdentity ?? '') === (b.holderIdentity ?? '') &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    (a.leaseTransitions ?? 0) === (b.leaseTransitions ?? 0)
  );
}

/** Read through a call: the signal flips while we await, which TypeScript's narrowing cannot see. */
function aborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One candidate. `run` campaigns until it leads, calls `lead` with a signal that aborts the moment
 * leadership is lost (or `signal` aborts), waits for `lead` to return, releases the Lease if it still
 * holds it, and campaigns again, until `signal` aborts.
 */
export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  #observed: LeaseSpec | undefined;
  #observedRv: string | undefined;
  /** When this process saw the record change (its own clock). */
  #observedAt = 0;
  #leading = false;
  #known = false;
  #lastRenewAt: number | undefined;
  #lastLogged = '';

  constructor(options: LeaderElectorOptions) {
    this.#o = options;
  }

  get identity(): string {
    return this.#o.config.identity;
  }

  /** True while this process holds the Lease (as last acknowledged). */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** True once the Lease has been read or written: who leads is known (readiness). */
  get leaderKnown(): boolean {
    return this.#known;
  }

  /** The holder last seen ('' when none). */
  get observedHolder(): string {
    return this.#observed?.holderIdentity ?? '';
  }

  /** When the last renewal was acknowledged (undefined when not leading). */
  get lastRenewAt(): number | undefined {
    return this.#leading ? this.#lastRenewAt : undefined;
  }

  /**
   * Whether a leader may still act: it leads and its last renewal is younger than the renew deadline
   * (past that it is about to stop leading, and another candidate may soon take the Lease).
   */
  mayAct(): boolean {
    return this.#leading && this.#lastRenewAt !== undefined && this.#o.clock.now() - this.#lastRenewAt < this.#o.config.renewDeadlineMs;
  }

  async run(signal: AbortSignal, lead: (leaderSignal: AbortSignal) => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      const acquired = await this.#acquire(signal);
      if (!acquired) return;
      const term = new AbortController();
      const onOuter = (): void => {
        term.abort();
      };
      signal.addEventListener('abort', onOuter, { once: true });
      this.#o.onEvent?.({ type: 'started-leading' });
      const renewing = this.#renewLoop(term.signal).then((why) => {
        // Stop leading at once: the lead function's signal aborts before anything else happens.
        this.#leading = false;
        term.abort();
        if (why !== undefined) this.#o.onEvent?.({ type: 'stopped-leading', why });
      });
      try {
        await lead(term.signal);
      } finally {
        term.abort();
        signal.removeEventListener('abort', onOuter);
        await renewing;
      }
      if (aborted(signal)) {
        await this.#release();
        this.#o.onEvent?.({ type: 'stopped-leading', why: 'shutting down (Lease released)' });
        return;
      }
    }
  }

  /** Campaigns until the Lease is ours (true) or `signal` aborts (false). */
  async #acquire(signal: AbortSignal): Promise<boolean> {
    const { clock, config } = this.#o;
    this.#o.log?.(`leader election: campaigning for Lease ${config.namespace}/${config.name} as ${config.identity}`);
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.#tryAcquireOrRenew(AbortSignal.any([signal, AbortSignal.timeout(config.renewDeadlineMs)]));
      } catch (error) {
        if (aborted(signal)) return false;
        this.#logOnce(`leader election: cannot read or take Lease ${config.namespace}/${config.name}: ${errorText(error)}; retrying`);
      }
      if (ok) {
        this.#o.log?.(`leader election: acquired Lease ${config.namespace}/${config.name}`);
        return true;
      }
      try {
        await clock.sleep(this.#jittered(), signal);
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Renews every retryPeriod; resolves with why leadership ended (undefined when the term was aborted). */
  async #renewLoop(term: AbortSignal): Promise<string | undefined> {
    const { clock, config } = this.#o;
    for (;;) {
      try {
        await clock.sleep(config.retryPeriodMs, term);
      } catch {
        return undefined;
      }
      // One renewal: retried every retryPeriod until it succeeds or renewDeadline has passed.
      const cycleStart = clock.now();
      const deadline = AbortSignal.any([term, AbortSignal.timeout(config.renewDeadlineMs)]);
      let renewed = false;
      let last = 'the renew deadline passed';
      while (!renewed && !deadline.aborted && clock.now() - cycleStart < config.renewDeadlineMs) {
        try {
          renewed = await this.#tryAcquireOrRenew(deadline);
          if (!renewed) {
            last = `Lease ${config.namespace}/${config.name} is held by ${this.observedHolder || '(nobody)'}`;
            break;
          }
        } catch (error) {
          if (term.aborted) return undefined;
          last = errorText(error);
          try {
            await clock.sleep(config.retryPeriodMs, deadline);
          } catch {
            break;
          }
        }
      }
      if (term.aborted) return undefined;
      if (!renewed) {
        this.#leading = false;
        const why = `failed to renew Lease ${config.namespace}/${config.name} within ${config.renewDeadlineMs} ms: ${last}`;
        this.#o.log?.(`leader election: ${why}; stopped leading`);
        return why;
      }
    }
  }

  /** client-go's tryAcquireOrRenew: true when this process holds the Lease after the call. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { store, clock, config } = this.#o;
    const now = clock.now();
    const durationSeconds = Math.max(1, Math.ceil(config.leaseDurationMs / 1000));
    const mine = (acquireTime: string, transitions: number): LeaseSpec => ({
      holderIdentity: config.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime,
      renewTime: microTime(now),
      leaseTransitions: transitions,
    });
    const old = await store.get(config.namespace, config.name, signal);
    if (old === undefined) {
      const created = await store.create(
        { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: config.name, namespace: config.namespace }, spec: mine(microTime(now), 0) },
        signal,
      );
      this.#took(created, now);
      return true;
    }
    this.#known = true;
    if (!sameRecord(old.spec, this.#observed) || old.metadata.resourceVersion !== this.#observedRv) {
      const previousHolder = this.observedHolder;
      this.#observed = old.spec;
      this.#observedRv = old.metadata.resourceVersion;
      this.#observedAt = now;
      const holder = old.spec.holderIdentity ?? '';
      if (holder !== '' && holder !== previousHolder && holder !== config.identity) this.#o.onEvent?.({ type: 'new-leader', identity: holder });
    }
    const holder = old.spec.holderIdentity ?? '';
    const heldMs = (old.spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== '' && holder !== config.identity && this.#observedAt + heldMs > now) {
      this.#leading = false;
      return false;
    }
    const spec = holder === config.identity
      ? mine(old.spec.acquireTime ?? microTime(now), old.spec.leaseTransitions ?? 0)
      : mine(microTime(now), (old.spec.leaseTransitions ?? 0) + 1);
    const updated = await store.update({ ...old, metadata: { ...old.metadata }, spec }, signal);
    this.#took(updated, now);
    return true;
  }

  #took(lease: Lease, now: number): void {
    this.#observed = lease.spec;
    this.#observedRv = lease.metadata.resourceVersion;
    this.#observedAt = now;
    this.#known = true;
    this.#leading = true;
    this.#lastRenewAt = now;
  }

  /** Gives the Lease up (client-go's ReleaseOnCancel): only if it is still ours, with the resourceVersion we wrote. */
  async #release(): Promise<void> {
    const { store, clock, config } = this.#o;
    this.#leading = false;
    if (this.#observed?.holderIdentity !== config.identity || this.#observedRv === undefined) return;
    const now = clock.now();
    try {
      const released = await store.update(
        {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: config.name, namespace: config.namespace, resourceVersion: this.#observedRv },
          spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: this.#observed.leaseTransitions ?? 0 },
        },
        AbortSignal.timeout(config.renewDeadlineMs),
      );
      this.#observed = released.spec;
      this.#observedRv = released.metadata.resourceVersion;
      this.#o.log?.(`leader election: released Lease ${config.namespace}/${config.name}`);
    } catch (error) {
      this.#o.log?.(`leader election: could not release Lease ${config.namespace}/${config.name} (${errorText(error)}); it expires after its lease duration`);
    }
  }

  #jittered(): number {
    const r = (this.#o.random ?? Math.random)();
    return this.#o.config.retryPeriodMs * (1 + JITTER_FACTOR * Math.min(Math.max(r, 0), 0.999_999));
  }

  #logOnce(message: string): void {
    if (message === this.#lastLogged) return;
    this.#lastLogged = message;
    this.#o.log?.(message);
  }
}
