/**
 * KubeHookRunJournalClient against the fake API server: get of a missing journal is undefined;
 * create, replace with the resourceVersion precondition (409 when it moved), delete with a uid
 * precondition (409 for another object under the name; gone already is fine); errors and an aborted
 * signal reject.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HookRunJournal } from '../controller/hookrun-types.ts';
import { FakeApiServer } from '../testing/fake-api-server.ts';
import { KubeClient } from './client.ts';
import { KubeHookRunJournalClient } from './hookrunjournals.ts';

const NS = 'db';

function journal(holder: string, entries: HookRunJournal['spec']['entries'] = []): HookRunJournal {
  return {
    apiVersion: 'kubehooks.dev/v1alpha1',
    kind: 'HookRunJournal',
    metadata: { name: 'nightly', namespace: NS, ownerReferences: [{ apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', name: 'nightly', uid: 'hr-1', controller: true }] },
    spec: { hookRunUID: 'hr-1', holder, entries },
  };
}

const ENTRY = { namespace: NS, pod: 'app-0', container: 'c', source: 'spec', name: 'h', phase: 'pre', index: 0, startedAt: '2026-12-03T12:00:00.000Z' } as const;

void test('HookRunJournal client: get, create, replace and delete with their preconditions', async (t) => {
  const server = await FakeApiServer.start();
  t.after(() => server.close());
  const client = KubeClient.load({ kubeconfigPath: server.writeKubeconfig(), warn: () => undefined });
  t.after(() => {
    client.close();
  });
  const api = new KubeHookRunJournalClient(client);
  const signal = AbortSignal.timeout(10_000);
  assert.equal(await api.get(NS, 'nightly', signal), undefined, 'missing: undefined');
  const created = await api.create(journal('a'), signal);
  assert.ok(created.metadata.uid !== undefined && created.metadata.resourceVersion !== undefined);
  assert.deepEqual(created.metadata.ownerReferences?.[0]?.uid, 'hr-1');
  await assert.rejects(api.create(journal('b'), signal), (e: { statusCode?: number }) => e.statusCode === 409, 'AlreadyExists');
  const next = await api.replace({ ...created, spec: { ...created.spec, entries: [ENTRY] } }, signal);
  assert.deepEqual(next.spec.entries, [ENTRY]);
  assert.notEqual(next.metadata.resourceVersion, created.metadata.resourceVersion);
  await assert.rejects(api.replace({ ...created, spec: { ...created.spec, holder: 'b' } }, signal), (e: { statusCode?: number }) => e.statusCode === 409, 'stale resourceVersion: 409');
  assert.equal((await api.get(NS, 'nightly', signal))?.spec.holder, 'a');
  await assert.rejects(api.delete(NS, 'nightly', 'someone-else', signal), (e: { statusCode?: number }) => e.statusCode === 409, 'another uid: 409');
  await api.delete(NS, 'nightly', next.metadata.uid ?? '', signal);
  assert.equal(server.objects.journal(NS, 'nightly'), undefined);
  await api.delete(NS, 'nightly', next.metadata.uid ?? '', signal);
  assert.equal(server.objects.journalWrites.get(`${NS}/nightly`), 2, 'create and one replace');
  // Only get, create, update and delete: no list or watch in the client's requests.
  assert.deepEqual([...new Set(server.requests.filter((r) => r.path.includes('hookrunjournals')).map((r) => r.method))].sort(), ['DELETE', 'GET', 'POST', 'PUT']);
});

void test('HookRunJournal client: a server error and an aborted signal reject', async (t) => {
  const server = await FakeApiServer.start();
  t.after(() => server.close());
  const client = KubeClient.load({ kubeconfigPath: server.writeKubeconfig(), warn: () => undefined });
  t.after(() => {
    client.close();
  });
  server.objects.failNext({ verb: 'journal-get', statusCode: 500, times: 1 });
  const api = new KubeHookRunJournalClient(client, { timeoutMs: 2_000 });
  await assert.rejects(api.get(NS, 'nightly', AbortSignal.timeout(10_000)), (e: { statusCode?: number }) => e.statusCode === 500);
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(api.get(NS, 'nightly', aborted.signal));
});
