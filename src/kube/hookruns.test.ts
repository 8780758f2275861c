/**
 * The HookRun watch (KubeHookRunClient.watch) against the fake API server: it asks for metadata only
 * (PartialObjectMetadata) on the list and the watch, so a status write of ~100 KiB comes back as a few
 * hundred bytes; it resumes after a drop from the last resourceVersion without a relist, and relists on
 * 410 Gone, reporting the HookRuns deleted meanwhile.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { HookRunMeta } from '../controller/hookrun-types.ts';
import { createSystemClock } from '../run/clock.ts';
import { until } from '../testing/changes.ts';
import { FakeApiServer } from '../testing/fake-api-server.ts';
import type { StoredObject } from '../testing/fake-objects.ts';
import { KubeClient } from './client.ts';
import { KubeHookRunClient, METADATA_ACCEPT, METADATA_LIST_ACCEPT, toHookRunMeta } from './hookruns.ts';

const NS = 'db';

function hookRun(name: string): StoredObject {
  return { apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name, namespace: NS }, spec: { phase: 'post-restore', restore: { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' }, spec: {} } } };
}

/** A status the size of a large run's (2000 results). */
function bigStatus(): Record<string, unknown> {
  return { phase: 'Running', results: Array.from({ length: 2000 }, (_, i) => ({ namespace: NS, pod: `app-${i}`, container: 'c', source: 'spec', name: 'h', phase: 'post', index: 0, status: 'succeeded', stdout: 'x'.repeat(40) })) };
}

interface Watching {
  readonly server: FakeApiServer;
  readonly events: { type: string; meta: HookRunMeta }[];
  readonly logs: string[];
  synced: boolean;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

async function watch(t: TestContext, before: (server: FakeApiServer) => void = () => undefined): Promise<Watching> {
  const server = await FakeApiServer.start();
  t.after(() => server.close());
  before(server);
  const client = KubeClient.load({ kubeconfigPath: server.writeKubeconfig(), warn: () => undefined });
  const api = new KubeHookRunClient(client);
  const stop = new AbortController();
  const w: Watching = {
    server,
    events: [],
    logs: [],
    synced: false,
    stop,
    done: Promise.resolve(),
  };
  const done = api
    .watch({ clock: createSystemClock(), namespaces: [NS], log: (m) => w.logs.push(m), onSynced: () => { w.synced = true; } }, (e) => {
      w.events.push({ type: e.type, meta: e.meta });
      server.changes.notify();
    }, stop.signal)
    .finally(() => {
      client.close();
    });
  (w as { done: Promise<void> }).done = done;
  t.after(async () => {
    stop.abort();
    await done;
  });
  await until([server.changes], 'synced and watching', () => w.synced && server.objects.openWatchCount === 1, 10_000);
  return w;
}

const hookRunRequests = (s: FakeApiServer, what: 'list' | 'watch'): { accept?: string | undefined }[] =>
  s.requests.filter((r) => r.path === `/apis/kubehooks.dev/v1alpha1/namespaces/${NS}/hookruns` && (r.query.get('watch') === '1') === (what === 'watch'));

void describe('KubeHookRunClient.watch: metadata only', () => {
  void test('the list and the watch ask for PartialObjectMetadata; events carry metadata only, and a large status write comes back small', async (t) => {
    const w = await watch(t, (server) => {
      server.objects.createHookRun(hookRun('listed'));
    });
    assert.deepEqual(hookRunRequests(w.server, 'list').map((r) => r.accept), [METADATA_LIST_ACCEPT]);
    assert.deepEqual(hookRunRequests(w.server, 'watch').map((r) => r.accept), [METADATA_ACCEPT]);
    assert.equal(w.events.length, 1);
    assert.deepEqual(Object.keys(w.events[0]?.meta ?? {}).sort(), ['generation', 'name', 'namespace', 'resourceVersion', 'uid']);

    const before = w.server.objects.hookRunWatchBytes;
    const stored = w.server.objects.touchHookRun(NS, 'listed', (o) => {
      o['status'] = bigStatus();
    });
    await until([w.server.changes], 'the write seen', () => w.events.length === 2, 10_000);
    const sent = w.server.objects.hookRunWatchBytes - before;
    const size = Buffer.byteLength(JSON.stringify(stored));
    assert.ok(size > 100_000, `the object is large (${size} bytes)`);
    assert.ok(sent < 1_000, `the watch sent ${sent} bytes for a ${size}-byte object`);
    assert.deepEqual(w.events[1], { type: 'upsert', meta: { name: 'listed', namespace: NS, uid: stored.metadata.uid, generation: 1, resourceVersion: stored.metadata.resourceVersion } });
  });

  void test('a dropped watch resumes from the last resourceVersion (no relist, nothing twice); 410 Gone relists and reports the HookRuns deleted meanwhile', async (t) => {
    const w = await watch(t, (server) => {
      server.objects.createHookRun(hookRun('a'));
      server.objects.createHookRun(hookRun('b'));
    });
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.meta.name}`), ['upsert a', 'upsert b']);
    // A drop: the watch resumes where it was; a HookRun created meanwhile is delivered once.
    w.server.objects.dropWatches();
    w.server.objects.createHookRun(hookRun('c'));
    await until([w.server.changes], 'c seen', () => w.events.some((e) => e.meta.name === 'c'), 15_000);
    assert.equal(hookRunRequests(w.server, 'list').length, 1, 'no relist after a drop');
    assert.deepEqual(w.events.map((e) => `${e.type} ${e.meta.name}`), ['upsert a', 'upsert b', 'upsert c']);

    // 410 on the next watch: a relist, which finds b deleted while the watch was down.
    w.events.length = 0;
    await until([w.server.changes], 'watching again', () => w.server.objects.openWatchCount === 1, 15_000);
    w.server.objects.failNext({ verb: 'hookrun-watch', statusCode: 410, reason: 'Expired', message: 'too old resource version' });
    w.server.objects.dropWatches();
    // Deleted while the watch is down; the 410 means its event is not replayed: only the relist can tell.
    w.server.objects.deleteHookRun(NS, 'b');
    await until([w.server.changes], 'relisted', () => hookRunRequests(w.server, 'list').length === 2 && w.events.some((e) => e.type === 'deleted'), 15_000);
    assert.deepEqual(w.events.filter((e) => e.type === 'deleted').map((e) => e.meta.name), ['b'], JSON.stringify(w.events));
    assert.deepEqual(
      w.events.filter((e) => e.type === 'upsert').map((e) => e.meta.name).sort(),
      ['a', 'c'],
      'the relist reports the HookRuns still there',
    );
    assert.equal(hookRunRequests(w.server, 'list').at(-1)?.accept, METADATA_LIST_ACCEPT);
  });

  void test('an empty namespace: the list answers `"items": null` (as kube-apiserver does for PartialObjectMetadataList); synced, and a HookRun created later is seen', async (t) => {
    const w = await watch(t);
    assert.equal(hookRunRequests(w.server, 'list').length, 1);
    assert.deepEqual(w.logs, []);
    w.server.objects.createHookRun(hookRun('later'));
    await until([w.server.changes], 'later seen', () => w.events.some((e) => e.meta.name === 'later'), 10_000);
  });

  void test('toHookRunMeta: PartialObjectMetadata, a whole HookRun (a server that ignores as=), and what is not a HookRun', () => {
    const cases: { name: string; raw: unknown; want: HookRunMeta | undefined }[] = [
      { name: 'partial metadata', raw: { kind: 'PartialObjectMetadata', metadata: { name: 'a', namespace: 'n', uid: 'u', generation: 2, resourceVersion: '7', labels: { x: 'y' } } }, want: { name: 'a', namespace: 'n', uid: 'u', generation: 2, resourceVersion: '7' } },
      { name: 'a whole HookRun', raw: { kind: 'HookRun', metadata: { name: 'a', namespace: 'n', resourceVersion: '8' }, spec: {}, status: { phase: 'Running' } }, want: { name: 'a', namespace: 'n', resourceVersion: '8' } },
      { name: 'no namespace', raw: { metadata: { name: 'a' } }, want: undefined },
      { name: 'no metadata', raw: { kind: 'Status' }, want: undefined },
      { name: 'not an object', raw: 'x', want: undefined },
    ];
    for (const c of cases) assert.deepEqual(toHookRunMeta(c.raw), c.want, c.name);
  });
});
