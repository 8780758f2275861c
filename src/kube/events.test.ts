import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from '../testing/fake-api-server.ts';
import { activeHandlesAfterSettling } from '../testing/handles.ts';
import { KubeClient } from './client.ts';
import { DEFAULT_EVENT_GRACE_MS } from '../run/run-options.ts';
import { EVENT_MESSAGE_LIMIT_BYTES, EVENT_WRITE_TIMEOUT_MS, KubeEventRecorder, truncateUtf8 } from './events.ts';

void describe('truncateUtf8', () => {
  void it('keeps short text, cuts long text on a character boundary with a marker', () => {
    assert.equal(truncateUtf8('abc', 10), 'abc');
    const cut = truncateUtf8('€'.repeat(10), 10);
    assert.ok(Buffer.byteLength(cut) <= 10);
    assert.equal(cut, '€€…');
  });
});

void describe('KubeEventRecorder against the fake API server', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  let recorder: KubeEventRecorder;
  before(async () => {
    server = await FakeApiServer.start();
    client = KubeClient.load({ kubeconfigPath: server.writeKubeconfig(), warn: () => undefined });
    recorder = new KubeEventRecorder(client, { instance: 'test-host', now: () => new Date('2026-11-25T12:00:00.123Z') });
  });
  after(async () => {
    client.close();
    await server.close();
  });

  void it('[S-16] creates a core/v1 Event on the pod', async () => {
    const result = await recorder.record(
      { namespace: 'ns', pod: 'db-0', podUid: 'uid-1', type: 'Warning', reason: 'HookFailed', message: 'x'.repeat(5000) },
      new AbortController().signal,
    );
    assert.deepEqual(result, { ok: true });
    const event = server.events.at(-1)!;
    assert.deepEqual(event['involvedObject'], { apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'db-0', uid: 'uid-1' });
    assert.equal(event['reason'], 'HookFailed');
    assert.equal(event['type'], 'Warning');
    assert.equal(event['reportingComponent'], 'kubehooks');
    assert.deepEqual(event['source'], { component: 'kubehooks', host: 'test-host' });
    assert.equal(event['firstTimestamp'], '2026-11-25T12:00:00Z');
    assert.ok(Buffer.byteLength(String(event['message'])) <= EVENT_MESSAGE_LIMIT_BYTES);
    assert.match((event['metadata'] as { name: string }).name, /^db-0\./);
  });

  void it('puts the record\'s labels (the window\'s run id) on the Event, and none without', async () => {
    await recorder.record({ namespace: 'ns', pod: 'db-0', type: 'Normal', reason: 'HookSucceeded', message: 'ok', labels: { 'kubehooks.dev/run-id': 'run-7' } }, new AbortController().signal);
    assert.deepEqual((server.events.at(-1)!['metadata'] as { labels?: unknown }).labels, { 'kubehooks.dev/run-id': 'run-7' });
    await recorder.record({ namespace: 'ns', pod: 'db-0', type: 'Normal', reason: 'HookSucceeded', message: 'ok' }, new AbortController().signal);
    assert.equal((server.events.at(-1)!['metadata'] as { labels?: unknown }).labels, undefined);
  });

  void it('[R-32] one attempt per Event: a failed write is not retried', async () => {
    const before = server.requests.filter((r) => r.method === 'POST').length;
    server.failNext({ verb: 'create-event', statusCode: 503, message: 'try later' });
    const result = await recorder.record({ namespace: 'ns', pod: 'p', type: 'Normal', reason: 'HookSucceeded', message: 'ok' }, new AbortController().signal);
    assert.equal(result.ok, false);
    assert.equal(server.requests.filter((r) => r.method === 'POST').length - before, 1);
  });
  void it('[R-32] never throws: API errors and unreachable servers come back as {ok:false}', async () => {
    server.failNext({ verb: 'create-event', statusCode: 403, message: 'events is forbidden' });
    const forbidden = await recorder.record(
      { namespace: 'ns', pod: 'p', type: 'Normal', reason: 'HookSucceeded', message: 'ok' },
      new AbortController().signal,
    );
    assert.equal(forbidden.ok, false);
    assert.match(forbidden.error ?? '', /forbidden \(403\): events is forbidden/);

    const aborted = await recorder.record({ namespace: 'ns', pod: 'p', type: 'Normal', reason: 'HookSucceeded', message: 'ok' }, AbortSignal.abort());
    assert.equal(aborted.ok, false);

    const dead = await FakeApiServer.start();
    const deadClient = KubeClient.load({ kubeconfigPath: dead.writeKubeconfig(), warn: () => undefined });
    await dead.close();
    try {
      const unreachable = await new KubeEventRecorder(deadClient).record(
        { namespace: 'ns', pod: 'p', type: 'Normal', reason: 'HookSucceeded', message: 'ok' },
        new AbortController().signal,
      );
      assert.equal(unreachable.ok, false);
      assert.match(unreachable.error ?? '', /cannot reach the API server/);
    } finally {
      deadClient.close();
    }
  });
});

void it('leaves no sockets, servers or timers behind', async () => {
  assert.deepEqual(await activeHandlesAfterSettling(), []);
});

void describe('docs/reliability.md states the Event limits the code uses (issue 10 item 7)', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'reliability.md'), 'utf8');
  const seconds = (ms: number): string => `${ms / 1000}`;
  void it('[R-7] the deadlines table: per Event write and grace at the end', () => {
    const row = doc.split('\n').find((line) => /^\| (\[R-\d+\] )?Events \|/.test(line) && line.includes('per Event write'));
    assert.ok(row !== undefined, 'docs/reliability.md has an Events row in its deadlines table');
    assert.match(row, new RegExp(`\\| ${seconds(EVENT_WRITE_TIMEOUT_MS)}s per Event write, ${seconds(DEFAULT_EVENT_GRACE_MS)}s grace at the end \\|`));
  });
  void it('every other mention of the Event grace or write timeout agrees', () => {
    for (const line of doc.split('\n').filter((l) => /\bEvents?\b/.test(l))) {
      for (const m of line.matchAll(/(\d+) ?s (grace|per Event write)/g)) {
        const want = m[2] === 'grace' ? DEFAULT_EVENT_GRACE_MS : EVENT_WRITE_TIMEOUT_MS;
        assert.equal(Number(m[1]) * 1000, want, `docs/reliability.md: "${m[0]}" in: ${line}`);
      }
    }
  });
});
