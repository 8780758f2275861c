import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { KubeClient } from '../kube/client.ts';
import { KubeLeaseClient, type Lease, type LeaseStore } from '../kube/leases.ts';
import { createSystemClock } from '../run/clock.ts';
import { FakeApiServer } from '../testing/fake-api-server.ts';
import { until } from '../testing/changes.ts';
import { LeaderElector, leaderElectionConfigError, microTime, type LeaderEvent } from './leader.ts';

const TIMING = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };

async function fake(t: TestContext): Promise<{ server: FakeApiServer; client: KubeClient }> {
  const server = await FakeApiServer.start();
  const client = KubeClient.load({ kubeconfigPath: server.writeKubeconfig() });
  t.after(async () => {
    client.close();
    await server.close();
  });
  return { server, client };
}

/** A store that can be cut off, as a partitioned or frozen leader is. */
class CutStore implements LeaseStore {
  cut = false;
  readonly #inner: LeaseStore;
  constructor(inner: LeaseStore) {
    this.#inner = inner;
  }
  #check(): void {
    if (this.cut) throw new Error('connection refused (cut off)');
  }
  async get(namespace: string, name: string, signal: AbortSignal): Promise<Lease | undefined> {
    this.#check();
    return this.#inner.get(namespace, name, signal);
  }
  async create(lease: Lease, signal: AbortSignal): Promise<Lease> {
    this.#check();
    return this.#inner.create(lease, signal);
  }
  async update(lease: Lease, signal: AbortSignal): Promise<Lease> {
    this.#check();
    return this.#inner.update(lease, signal);
  }
}

interface Candidate {
  readonly elector: LeaderElector;
  readonly events: { at: number; event: LeaderEvent }[];
  /** Times this candidate's lead function ran and when its signal aborted. */
  readonly terms: { start: number; end?: number }[];
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

function candidate(store: LeaseStore, identity: string, timing = TIMING): Candidate {
  const events: Candidate['events'] = [];
  const terms: Candidate['terms'] = [];
  const stop = new AbortController();
  const elector = new LeaderElector({
    store,
    clock: createSystemClock(),
    config: { namespace: 'kubehooks', name: 'kubehooks-controller', identity, ...timing },
    onEvent: (event) => events.push({ at: Date.now(), event }),
  });
  const done = elector.run(stop.signal, async (signal) => {
    const term: { start: number; end?: number } = { start: Date.now() };
    terms.push(term);
    await new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => {
        term.end = Date.now();
        resolve();
      }, { once: true });
    });
  });
  return { elector, events, terms, stop, done };
}

void describe('leader election on a Lease (fake API server)', () => {
  void test('the durations are checked as client-go checks them', () => {
    const cases: readonly (readonly [number, number, number, RegExp | undefined])[] = [
      [15_000, 10_000, 2_000, undefined],
      [10_000, 10_000, 2_000, /lease-duration \(10000 ms\) must be greater than --leader-elect-renew-deadline/],
      [15_000, 2_000, 2_000, /renew-deadline \(2000 ms\) must be greater than 1\.2 × --leader-elect-retry-period/],
      [15_000, 10_000, 0, /retry-period must be greater than zero/],
    ];
    for (const [leaseDurationMs, renewDeadlineMs, retryPeriodMs, want] of cases) {
      const got = leaderElectionConfigError({ leaseDurationMs, renewDeadlineMs, retryPeriodMs });
      if (want === undefined) assert.equal(got, undefined);
      else assert.match(got ?? '', want);
    }
    assert.equal(microTime(Date.UTC(2026, 11, 2, 4, 5, 6, 789)), '2026-12-02T04:05:06.789000Z');
  });

  void test('two candidates: exactly one leads; a clean stop releases the Lease and the other takes over at its next retry', async (t) => {
    const { server, client } = await fake(t);
    const store = new KubeLeaseClient(client);
    const a = candidate(store, 'a');
    const b = candidate(store, 'b');
    t.after(async () => {
      a.stop.abort();
      b.stop.abort();
      await Promise.all([a.done, b.done]);
    });
    await until([server.changes], 'a.elector.isLeader || b.elector.isLeader', () => a.elector.isLeader || b.elector.isLeader, 10_000);
    // Give the standby a few retries to (wrongly) take it too.
    await new Promise((r) => setTimeout(r, 3 * TIMING.retryPeriodMs));
    assert.notEqual(a.elector.isLeader, b.elector.isLeader, 'one leader');
    const [leader, standby] = a.elector.isLeader ? [a, b] : [b, a];
    assert.ok(standby.elector.leaderKnown, 'the standby knows who leads');
    assert.equal(standby.elector.observedHolder, leader.elector.identity);
    const first = server.objects.lease('kubehooks', 'kubehooks-controller') as unknown as { spec: Record<string, unknown> };
    assert.equal(first.spec['holderIdentity'], leader.elector.identity);
    assert.equal(first.spec['leaseDurationSeconds'], 2);
    assert.equal(first.spec['leaseTransitions'], 0);
    assert.match(String(first.spec['renewTime']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    const stoppedAt = Date.now();
    leader.stop.abort();
    await leader.done;
    assert.equal(leader.terms.length, 1);
    assert.ok(leader.terms[0]?.end !== undefined, 'the leader\'s term ended');
    const released = server.objects.lease('kubehooks', 'kubehooks-controller') as unknown as { spec: Record<string, unknown> };
    assert.ok(released.spec['holderIdentity'] === '' || released.spec['holderIdentity'] === standby.elector.identity, JSON.stringify(released.spec));
    await until([server.changes], 'standby.elector.isLeader', () => standby.elector.isLeader, 10_000);
    const tookMs = Date.now() - stoppedAt;
    assert.ok(tookMs < TIMING.leaseDurationMs, `a released Lease is taken before it would have expired (${tookMs} ms)`);
    const taken = server.objects.lease('kubehooks', 'kubehooks-controller') as unknown as { spec: Record<string, unknown> };
    assert.equal(taken.spec['holderIdentity'], standby.elector.identity);
    assert.equal(taken.spec['leaseTransitions'], 1);
  });

  void test('a leader that is cut off stops leading before the standby takes over; the standby waits for the lease duration', async (t) => {
    const { server, client } = await fake(t);
    const cutA = new CutStore(new KubeLeaseClient(client));
    const a = candidate(cutA, 'a');
    t.after(async () => {
      a.stop.abort();
      await a.done;
    });
    await until([server.changes], 'a.elector.isLeader', () => a.elector.isLeader, 10_000);
    const b = candidate(new KubeLeaseClient(client), 'b');
    t.after(async () => {
      b.stop.abort();
      await b.done;
    });
    await until([server.changes], 'b.elector.leaderKnown', () => b.elector.leaderKnown, 10_000);
    const cutAt = Date.now();
    cutA.cut = true;
    await until([server.changes], 'b.elector.isLeader', () => b.elector.isLeader, 15_000);
    const aEnded = a.terms[0]?.end;
    const bStarted = b.terms[0]?.start;
    assert.ok(aEnded !== undefined && bStarted !== undefined);
    assert.ok(aEnded <= bStarted, `the old leader stopped (${aEnded - cutAt} ms after the cut) before the new one started (${bStarted - cutAt} ms)`);
    assert.ok(bStarted - cutAt >= TIMING.leaseDurationMs - TIMING.retryPeriodMs * 3, `the standby waited for the lease to expire (${bStarted - cutAt} ms)`);
    assert.ok(a.events.some((e) => e.event.type === 'stopped-leading' && /failed to renew/.test(e.event.why)), JSON.stringify(a.events));
    assert.ok(!a.elector.mayAct());
    assert.ok(b.elector.mayAct());
  });

  void test('Lease conflicts: a 409 on a renewal is retried within the renew deadline; 409s past it end the term', async (t) => {
    const { server, client } = await fake(t);
    const a = candidate(new KubeLeaseClient(client), 'a');
    t.after(async () => {
      a.stop.abort();
      await a.done;
    });
    await until([server.changes], 'a.elector.isLeader', () => a.elector.isLeader, 10_000);
    server.objects.failNext({ verb: 'lease-update', statusCode: 409, times: 2 });
    await new Promise((r) => setTimeout(r, TIMING.leaseDurationMs));
    assert.ok(a.elector.isLeader, 'two conflicts within the deadline: still leading');
    assert.equal(a.terms.length, 1);
    assert.equal(a.terms[0]?.end, undefined);
    // Someone else writes the Lease (another holder, fresh renewTime): the next renewal sees it and stops.
    const current = server.objects.lease('kubehooks', 'kubehooks-controller');
    assert.ok(current !== undefined);
    server.objects.putLease({ ...current, spec: { ...(current['spec'] as object), holderIdentity: 'intruder', renewTime: microTime(Date.now()) } });
    await until([server.changes], 'a.terms[0]?.end !== undefined', () => a.terms[0]?.end !== undefined, 10_000);
    assert.ok(!a.elector.isLeader);
    assert.ok(a.events.some((e) => e.event.type === 'new-leader' && e.event.identity === 'intruder'));
  });

  void test('racing creates: one candidate gets 409 AlreadyExists and stays a standby', async (t) => {
    const { server, client } = await fake(t);
    const store = new KubeLeaseClient(client);
    const many = ['a', 'b', 'c', 'd'].map((id) => candidate(store, id));
    t.after(async () => {
      for (const c of many) c.stop.abort();
      await Promise.all(many.map((c) => c.done));
    });
    await until([server.changes], 'many.every((c) => c.elector.leaderKnown)', () => many.every((c) => c.elector.leaderKnown), 10_000);
    await new Promise((r) => setTimeout(r, 3 * TIMING.retryPeriodMs));
    assert.equal(many.filter((c) => c.elector.isLeader).length, 1);
    assert.equal(many.reduce((n, c) => n + c.terms.length, 0), 1, 'one term in all');
  });
});
