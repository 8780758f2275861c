/**
 * KubePodWatcher against the fake API server: list, watch, resume, relist on 410, back-off, stalls,
 * malformed events. Over 300 lines on purpose: one file per watcher, as its loop is one piece (see
 * pod-watcher.ts); each case is short and shares the server set-up.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { PodEvent, PodScope, WatchLifecycle } from '../run/ports.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeApiServer, pendingPod, runningPod, type RequestRecord } from '../testing/fake-api-server.ts';
import { ChangeSignal, until } from '../testing/changes.ts';
import { activeHandlesAfterSettling } from '../testing/handles.ts';
import { KubeClient } from './client.ts';
import { ApiUnreachableError, ForbiddenError, errorForStatus } from './errors.ts';
import { KubePodWatcher } from './pod-watcher.ts';

/** Notified on every event and lifecycle a session records; the fake servers' `changes` are added too. */
const sinkChanges = new ChangeSignal();
const signals = new Set<ChangeSignal>([sinkChanges]);

// Generous: the machine is shared and can be heavily loaded; a passing test returns as soon as it can.
// Re-checked on every change of what the predicates read (server requests and watches, session records).
function waitFor(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  return until([...signals], what, predicate, timeoutMs);
}

interface Session {
  readonly events: PodEvent[];
  readonly lifecycle: WatchLifecycle[];
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Sessions still running; stopped after each test so one failure cannot leave a watch behind. */
const running = new Set<Session>();

async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((s) => s.stop()));
}

function start(watcher: KubePodWatcher, scope: PodScope): Session {
  const controller = new AbortController();
  const events: PodEvent[] = [];
  const lifecycle: WatchLifecycle[] = [];
  const done = watcher.run(
    scope,
    {
      onEvent: (e) => {
        events.push(e);
        sinkChanges.notify();
      },
      onLifecycle: (l) => {
        lifecycle.push(l);
        sinkChanges.notify();
      },
    },
    controller.signal,
  );
  const session: Session = {
    events,
    lifecycle,
    done,
    stop: async () => {
      running.delete(session);
      controller.abort();
      await done;
    },
  };
  running.add(session);
  return session;
}

/**
 * A fake API server and a client for one describe block (read them in hooks or tests, not at
 * definition). After each test every session is stopped and the server has seen every watch closed.
 */
function useFakeServer(): { readonly server: FakeApiServer; readonly client: KubeClient; readonly watchRequests: () => RequestRecord[] } {
  let server: FakeApiServer | undefined;
  let client: KubeClient | undefined;
  const fake = {
    get server(): FakeApiServer {
      assert.ok(server !== undefined, 'the fake server is started in before()');
      return server;
    },
    get client(): KubeClient {
      assert.ok(client !== undefined, 'the client is created in before()');
      return client;
    },
    watchRequests: (): RequestRecord[] => fake.server.requests.filter((r) => r.query.get('watch') === 'true'),
  };
  before(async () => {
    server = await FakeApiServer.start();
    signals.add(server.changes);
    client = KubeClient.load({ kubeconfigPath: server.writeKubeconfig(), warn: () => undefined });
  });
  afterEach(async () => {
    await stopAll();
    // The server notices a client's close a little later; do not let the next test count this watch.
    await waitFor('the server to see every watch closed', () => fake.server.openWatchCount === 0);
  });
  after(async () => {
    client?.close();
    await server?.close();
  });
  return fake;
}

const names = (events: readonly PodEvent[], type: PodEvent['type']): string[] =>
  events.filter((e) => e.type === type).map((e) => `${e.pod.metadata.namespace ?? ''}/${e.pod.metadata.name}`);

void describe('KubePodWatcher against the fake API server', () => {
  const fake = useFakeServer();
  let server: FakeApiServer;
  let watcher: KubePodWatcher;
  before(() => {
    server = fake.server;
    watcher = new KubePodWatcher(fake.client, { backoff: { initialMs: 5, maxMs: 40 }, random: () => 1 });
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.goneAs = 'event';
  });
  const watchRequests = fake.watchRequests;

  void it('lists, then watches from the list resourceVersion: Pending→Running, deletion, one watch for many pods', async () => {
    for (let i = 0; i < 30; i++) server.putPod(pendingPod('w1', `p${i}`, ['app'], { app: 'db' }));
    server.putPod(pendingPod('w1', 'other', ['app'], { app: 'web' }));
    const listRv = server.resourceVersion;
    const s = start(watcher, { namespaces: ['w1'], labelSelector: 'app=db' });
    await waitFor('initial list', () => s.events.length === 30);
    await waitFor('watch open', () => server.openWatchCount === 1);
    assert.ok(s.events.every((e) => e.type === 'upsert' && e.pod.status?.phase === 'Pending'));
    assert.deepEqual(s.lifecycle[0], { type: 'listed', namespace: 'w1', count: 30 });

    server.updatePod('w1', 'p7', (p) => {
      p.status = runningPod('w1', 'p7').status ?? {};
    });
    server.updatePod('w1', 'other', (p) => {
      p.status = { phase: 'Running' };
    });
    server.deletePod('w1', 'p3');
    await waitFor('running + deleted', () => s.events.length === 32);
    const running = s.events[30];
    assert.equal(running?.type, 'upsert');
    assert.equal(running.pod.metadata.name, 'p7');
    assert.equal(running.pod.status?.phase, 'Running');
    assert.deepEqual(names(s.events.slice(31), 'deleted'), ['w1/p3']);

    await s.stop();
    const watches = watchRequests();
    assert.equal(watches.length, 1, 'one watch for 30 pods');
    const q = watches[0]!.query;
    assert.equal(q.get('labelSelector'), 'app=db');
    assert.equal(q.get('allowWatchBookmarks'), 'true');
    assert.equal(q.get('resourceVersion'), listRv);
    assert.equal(watches[0]!.path, '/api/v1/namespaces/w1/pods');
    assert.equal(server.requests.find((r) => r.query.get('watch') === null)?.query.get('labelSelector'), 'app=db');
    await waitFor('server sees the watch closed', () => server.openWatchCount === 0);
  });

  void it('one watch per namespace, or one cluster-wide watch', async () => {
    server.putPod(runningPod('a', 'x'));
    server.putPod(runningPod('b', 'y'));
    const perNs = start(watcher, { namespaces: ['a', 'b', 'a'] });
    await waitFor('two watches', () => server.openWatchCount === 2);
    await perNs.stop();
    assert.deepEqual(watchRequests().map((r) => r.path).sort(), ['/api/v1/namespaces/a/pods', '/api/v1/namespaces/b/pods']);
    assert.deepEqual(names(perNs.events, 'upsert').sort(), ['a/x', 'b/y']);
    // Else a closing per-namespace watch could pass for the cluster-wide one below.
    await waitFor('the per-namespace watches closed', () => server.openWatchCount === 0);

    server.requests.length = 0;
    const all = start(watcher, { namespaces: [] });
    await waitFor('one watch', () => server.openWatchCount === 1);
    await all.stop();
    assert.deepEqual(watchRequests().map((r) => r.path), ['/api/v1/pods']);
  });

  void it('watch events cut inside a multi-byte character keep their labels and annotations exact (issue 10 item 6)', async () => {
    server.splitWatchWritesInsideCharacters = true;
    try {
      server.putPod(pendingPod('utf8', 'p'));
      const s = start(watcher, { namespaces: ['utf8'] });
      await waitFor('watch open', () => server.openWatchCount === 1);
      const labels = { team: 'müller' };
      const annotations = { note: '€ 日本語 😀' };
      server.updatePod('utf8', 'p', (p) => {
        p.metadata.labels = labels;
        p.metadata.annotations = annotations;
      });
      await waitFor('update', () => s.events.length === 2);
      await s.stop();
      const got = s.events[1];
      assert.equal(got?.type, 'upsert');
      assert.deepEqual(got.pod.metadata.labels, labels);
      assert.deepEqual(got.pod.metadata.annotations, annotations);
    } finally {
      server.splitWatchWritesInsideCharacters = false;
    }
  });

  void it('[R-30] resumes from the last seen resourceVersion after a dropped connection', async () => {
    server.putPod(pendingPod('drop', 'p'));
    const s = start(watcher, { namespaces: ['drop'] });
    await waitFor('watch open', () => server.openWatchCount === 1);
    const updated = server.updatePod('drop', 'p', (p) => {
      p.status = { phase: 'Running' };
    });
    await waitFor('update', () => s.events.length === 2);
    assert.equal(server.dropWatches(), 1);
    await waitFor('reconnected', () => server.openWatchCount === 1 && watchRequests().length === 2);
    server.updatePod('drop', 'p', (p) => {
      p.metadata.labels = { after: 'reconnect' };
    });
    await waitFor('event after reconnect', () => s.events.length === 3);
    await s.stop();
    assert.equal(watchRequests()[1]!.query.get('resourceVersion'), updated.metadata.resourceVersion);
    assert.ok(s.lifecycle.some((l) => l.type === 'reconnecting'));
    assert.equal(s.lifecycle.filter((l) => l.type === 'listed').length, 1, 'no relist after a plain drop');
  });

  void it('bookmarks advance the resourceVersion used to resume', async () => {
    server.putPod(pendingPod('bm', 'p'));
    const s = start(watcher, { namespaces: ['bm'] });
    await waitFor('watch open', () => server.openWatchCount === 1);
    server.putPod(pendingPod('elsewhere', 'q')); // advances the global resourceVersion only
    server.sendBookmarks();
    const bookmarkRv = server.resourceVersion;
    // Ended in order (as at timeoutSeconds), so the bookmark is read before the end; no sleep needed.
    server.endWatches();
    await waitFor('reconnected', () => watchRequests().length === 2);
    await s.stop();
    assert.equal(watchRequests()[1]!.query.get('resourceVersion'), bookmarkRv);
  });

  for (const goneAs of ['event', 'http'] as const) {
    void it(`[R-30] 410 Gone (${goneAs === 'event' ? 'ERROR watch event' : 'HTTP status'}) relists and emits synthetic upserts and deletes`, async () => {
      const ns = `gone-${goneAs}`;
      server.goneAs = goneAs;
      server.putPod(runningPod(ns, 'stays'));
      server.putPod(runningPod(ns, 'changes'));
      server.putPod(runningPod(ns, 'vanishes'));
      const s = start(watcher, { namespaces: [ns] });
      await waitFor('watch open', () => server.openWatchCount === 1);
      assert.equal(s.events.length, 3);
      // Changes the watch never hears about, then the history is compacted.
      server.silently(() => {
        server.deletePod(ns, 'vanishes');
        server.updatePod(ns, 'changes', (p) => {
          p.status = { phase: 'Failed' };
        });
        server.putPod(runningPod(ns, 'new'));
      });
      server.compact();
      if (goneAs === 'event') server.sendWatchError(410);
      else server.dropWatches();
      await waitFor('relist', () => s.events.length === 6);
      await waitFor('watch open again', () => server.openWatchCount === 1);
      await s.stop();
      const after = s.events.slice(3);
      assert.deepEqual(names(after, 'upsert').sort(), [`${ns}/changes`, `${ns}/new`]);
      assert.deepEqual(names(after, 'deleted'), [`${ns}/vanishes`]);
      const tomb = after.find((e) => e.type === 'deleted')!.pod;
      assert.ok(tomb.metadata.uid !== undefined && tomb.metadata.uid !== '');
      assert.ok(s.lifecycle.some((l) => l.type === 'relisting'));
      assert.equal(s.lifecycle.filter((l) => l.type === 'listed').length, 2);
    });
  }

  void it('retries a failing watch (500) with backoff, then continues', async () => {
    server.putPod(runningPod('flaky', 'p'));
    server.failNext({ verb: 'watch', namespace: 'flaky', statusCode: 500, message: 'etcd leader changed' });
    server.failNext({ verb: 'watch', namespace: 'flaky', statusCode: 503 });
    const s = start(watcher, { namespaces: ['flaky'] });
    await waitFor('watch open', () => server.openWatchCount === 1);
    server.updatePod('flaky', 'p', (p) => {
      p.metadata.labels = { x: 'y' };
    });
    await waitFor('event', () => s.events.length === 2);
    await s.stop();
    const retries = s.lifecycle.filter((l): l is Extract<WatchLifecycle, { type: 'reconnecting' }> => l.type === 'reconnecting');
    assert.deepEqual(
      retries.map((l) => l.attempt),
      [1, 2],
    );
    assert.match(retries[0]!.reason, /etcd leader changed/);
  });

  void it('an API server that cannot be reached at the start rejects after initialListAttempts', async () => {
    const dead = await FakeApiServer.start();
    const deadClient = KubeClient.load({ kubeconfigPath: dead.writeKubeconfig(), warn: () => undefined });
    await dead.close();
    try {
      const w = new KubePodWatcher(deadClient, { backoff: { initialMs: 1 }, initialListAttempts: 2 });
      const s = start(w, { namespaces: ['x'] });
      await assert.rejects(s.done, ApiUnreachableError);
      assert.equal(s.lifecycle.filter((l) => l.type === 'reconnecting').length, 1);
    } finally {
      deadClient.close();
    }
  });

  void it('a list failing at the start is retried within initialListAttempts', async () => {
    server.putPod(runningPod('retry-list', 'p'));
    server.failNext({ verb: 'list', namespace: 'retry-list', statusCode: 500 });
    server.failNext({ verb: 'list', namespace: 'retry-list', statusCode: 500 });
    const s = start(watcher, { namespaces: ['retry-list'] });
    await waitFor('listed', () => s.events.length === 1);
    await s.stop();
  });

  void it('403 on the list rejects with ForbiddenError', async () => {
    server.failNext({ verb: 'list', namespace: 'secret', statusCode: 403, message: 'pods is forbidden: User "x" cannot list resource "pods"' });
    const s = start(watcher, { namespaces: ['secret'] });
    await assert.rejects(s.done, (error: unknown) => {
      assert.ok(error instanceof ForbiddenError);
      assert.equal(error.code, 'forbidden');
      assert.match(error.message, /cannot list resource "pods"/);
      return true;
    });
  });

  void it('403 on the watch rejects and stops the other namespaces\' watches', async () => {
    server.failNext({ verb: 'watch', namespace: 'nowatch', statusCode: 403, message: 'cannot watch' });
    const s = start(watcher, { namespaces: ['fine', 'nowatch'] });
    await assert.rejects(s.done, ForbiddenError);
    await waitFor('no open watches', () => server.openWatchCount === 0);
  });

  void it('a throwing handler rejects run() with that error', async () => {
    server.putPod(runningPod('boom', 'p'));
    const oops = new Error('handler bug');
    const done = watcher.run(
      { namespaces: ['boom'] },
      {
        onEvent: () => {
          throw oops;
        },
      },
      new AbortController().signal,
    );
    await assert.rejects(done, (e) => e === oops);
  });

  void it('an already aborted signal resolves without any request', async () => {
    await watcher.run({ namespaces: ['x'] }, { onEvent: () => undefined }, AbortSignal.abort());
    assert.equal(server.requests.length, 0);
  });

  void it('list() uses the label selector and spans namespaces', async () => {
    server.putPod(runningPod('l1', 'a', ['app'], { tier: 'db' }));
    server.putPod(runningPod('l2', 'b', ['app'], { tier: 'db' }));
    server.putPod(runningPod('l2', 'c', ['app'], { tier: 'web' }));
    const pods = await watcher.list({ namespaces: ['l1', 'l2'], labelSelector: 'tier=db' }, new AbortController().signal);
    assert.deepEqual(pods.map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`).sort(), ['l1/a', 'l2/b']);
  });

  void it('lists in pages and restarts the list when a continue token expires', async () => {
    for (let i = 0; i < 7; i++) server.putPod(runningPod('paged', `p${i}`));
    const paged = new KubePodWatcher(fake.client, { pageSize: 3 });
    server.requests.length = 0;
    const pods = await paged.list({ namespaces: ['paged'] }, new AbortController().signal);
    assert.equal(pods.length, 7);
    assert.equal(server.requests.length, 3);
    server.requests.length = 0;
    server.failNext({ verb: 'list', namespace: 'paged', statusCode: 410, onlyContinue: true, message: 'continue token expired' });
    const again = await paged.list({ namespaces: ['paged'] }, new AbortController().signal);
    assert.equal(again.length, 7);
    assert.deepEqual(
      server.requests.map((r) => r.query.get('continue') !== null),
      [false, true, false, true, true],
    );
  });

  void it('[R-30] backoff is capped exponential', () => {
    const w = new KubePodWatcher(fake.client, { backoff: { initialMs: 100, maxMs: 1000, factor: 2 }, random: () => 1 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => w.backoffMs(n)), [100, 200, 400, 800, 1000, 1000]);
    const jittered = new KubePodWatcher(fake.client, { backoff: { initialMs: 100 }, random: () => 0 });
    assert.equal(jittered.backoffMs(1), 50);
  });
});

void describe('KubePodWatcher timing (fake clock / server-side timeout)', () => {
  const fake = useFakeServer();
  let server: FakeApiServer;
  let client: KubeClient;
  before(() => {
    ({ server, client } = fake);
  });
  const watchRequests = fake.watchRequests;

  void it('[R-20][R-30] a watch the server ends at timeoutSeconds is resumed at once, without relist or lifecycle noise', async () => {
    server.putPod(runningPod('t', 'p'));
    // 2 s: comfortably above the 1 s under which an ended watch counts as a failure.
    const watcher = new KubePodWatcher(client, { watchTimeoutSeconds: 2 });
    const s = start(watcher, { namespaces: ['t'] });
    await waitFor('second watch', () => watchRequests().length === 2, 6000);
    await s.stop();
    assert.deepEqual(s.lifecycle.map((l) => l.type), ['listed']);
    const [first, second] = watchRequests();
    assert.equal(second!.query.get('resourceVersion'), first!.query.get('resourceVersion'));
  });

  void it('[R-20][R-30] the stalled-watch guard and the backoff run on the injected clock', async () => {
    server.requests.length = 0;
    const clock = new FakeClock();
    const watcher = new KubePodWatcher(client, { clock, watchTimeoutSeconds: 3600, backoff: { initialMs: 1000 }, random: () => 1 });
    const s = start(watcher, { namespaces: ['t'] });
    await waitFor('watch open', () => server.openWatchCount === 1);
    // The server never ends this watch; the guard fires at timeoutSeconds + 60 s.
    await clock.advance(3660_000);
    await waitFor('watch closed by the guard', () => server.openWatchCount === 0);
    await waitFor('reconnecting', () => s.lifecycle.some((l) => l.type === 'reconnecting'));
    assert.equal(watchRequests().length, 1, 'waits for the backoff before reconnecting');
    await clock.advance(1000);
    await waitFor('watch reopened', () => server.openWatchCount === 1);
    await s.stop();
    assert.equal(watchRequests()[1]!.query.get('resourceVersion'), watchRequests()[0]!.query.get('resourceVersion'));
    assert.match(JSON.stringify(s.lifecycle.find((l) => l.type === 'reconnecting')), /no end of watch/);
  });
});

void it('leaves no sockets, servers or timers behind', async () => {
  assert.deepEqual(await activeHandlesAfterSettling(), []);
});

void describe('KubePodWatcher.list (the CLI\'s first list)', () => {
  const stubClient = (failures: Error[]): { client: KubeClient; calls: () => number } => {
    let calls = 0;
    const client = {
      server: 'https://api.example',
      request() {
        calls++;
        const failure = failures.shift();
        if (failure !== undefined) return Promise.reject(failure);
        return Promise.resolve({ metadata: { resourceVersion: '1' }, items: [] });
      },
    } as unknown as KubeClient;
    return { client, calls: () => calls };
  };

  void it('[R-31] F7: a retryable failure (unreachable, 503, 429) is retried within initialListAttempts', async () => {
    const s = stubClient([
      new ApiUnreachableError('list pods: connection reset', { systemCode: 'ECONNRESET' }),
      errorForStatus('list pods', { statusCode: 503, reason: undefined, serverMessage: 'unavailable' }),
    ]);
    const w = new KubePodWatcher(s.client, { backoff: { initialMs: 1 }, initialListAttempts: 3 });
    assert.deepEqual(await w.list({ namespaces: ['ns'] }, new AbortController().signal), []);
    assert.equal(s.calls(), 3);
    const t = stubClient([errorForStatus('list pods', { statusCode: 429, reason: undefined, serverMessage: 'slow down' })]);
    const w2 = new KubePodWatcher(t.client, { backoff: { initialMs: 1 } });
    assert.deepEqual(await w2.list({ namespaces: ['ns'] }, new AbortController().signal), []);
    assert.equal(t.calls(), 2);
  });

  void it('[R-31] F7: gives up after initialListAttempts with the last error', async () => {
    const s = stubClient([1, 2, 3, 4].map(() => new ApiUnreachableError('list pods: connection refused', { systemCode: 'ECONNREFUSED' })));
    const w = new KubePodWatcher(s.client, { backoff: { initialMs: 1 }, initialListAttempts: 3 });
    await assert.rejects(w.list({ namespaces: ['ns'] }, new AbortController().signal), ApiUnreachableError);
    assert.equal(s.calls(), 3);
  });

  void it('[R-31] F7: 403 and 401 are not retried', async () => {
    for (const statusCode of [403, 401]) {
      const s = stubClient([errorForStatus('list pods', { statusCode, reason: undefined, serverMessage: 'no' })]);
      const w = new KubePodWatcher(s.client, { backoff: { initialMs: 1 } });
      await assert.rejects(w.list({ namespaces: ['ns'] }, new AbortController().signal));
      assert.equal(s.calls(), 1);
    }
  });
});
