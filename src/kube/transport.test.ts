/**
 * HttpTransport over real TLS (a test CA from the machine's openssl): kubehooks' own agents carry the
 * TLS settings, so connections share one context and resume TLS sessions, and Event-style requests
 * drain their answer instead of parsing it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import type tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { activeHandlesAfterSettling } from '../testing/handles.ts';
import { createTestCerts, type TestCerts } from '../testing/tls.ts';
import { KubeClient } from './client.ts';
import { REQUEST_POOL_SOCKETS } from './transport.ts';

interface Seen {
  readonly connections: { readonly reused: boolean }[];
  readonly requests: string[];
}

void describe('HttpTransport over TLS', () => {
  let certs: TestCerts;
  let server: https.Server;
  let url: string;
  const seen: Seen = { connections: [], requests: [] };
  const sockets = new Set<net.Socket>();
  const clients: KubeClient[] = [];
  /** Answers of `/hold` requests, sent when the test says so. */
  const held: (() => void)[] = [];

  before(async () => {
    certs = await createTestCerts();
    server = https.createServer({ cert: fs.readFileSync(certs.cert), key: fs.readFileSync(certs.key) }, (req, res) => {
      seen.requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
      req.resume();
      if (req.url?.startsWith('/hold') === true) {
        held.push(() => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{}');
        });
        return;
      }
      if (req.url?.startsWith('/not-json') === true) {
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end('this is not JSON'.repeat(1000));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"kind":"Status","status":"Success"}');
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      seen.connections.push({ reused: socket.isSessionReused() });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  after(async () => {
    for (const c of clients) c.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  const clientFor = (name: string): KubeClient => {
    const ca = fs.readFileSync(certs.caCert).toString('base64');
    const file = path.join(certs.dir, `kubeconfig-${name}`);
    fs.writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "${url}", certificate-authority-data: ${ca}}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n`,
    );
    const client = KubeClient.load({ kubeconfigPath: file, warn: () => undefined });
    clients.push(client);
    return client;
  };

  const signal = new AbortController().signal;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  /** Polls `predicate` every 5 ms for up to 10 s. */
  const eventually = async (predicate: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
      await sleep(5);
    }
  };

  void it('connection options carry no TLS material: one agent, the same for every connection, with a short pool name', async () => {
    const client = clientFor('options');
    const a = await client.connectionOptions();
    const b = await client.connectionOptions();
    const fields = (o: object): string[] => Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined).sort();
    assert.deepEqual(fields(a), ['agent', 'headers']);
    assert.ok(a.agent instanceof https.Agent);
    assert.equal(a.agent, b.agent, 'every connection goes through one agent');
    // Node keys the pool (and the TLS session cache) by this name: host, port and the agent's settings, no PEM.
    const name = (a.agent).getName({ host: '127.0.0.1', port: 6443 });
    assert.ok(name.length < 100, `pool name is ${name.length} characters`);
  });

  void it('requests reuse one keep-alive connection, and a new connection resumes the TLS session', async () => {
    const client = clientFor('resume');
    const before = seen.connections.length;
    for (let i = 0; i < 3; i++) await client.request('GET', '/api/v1/namespaces/a/pods', { signal, what: 'list pods' });
    assert.equal(seen.connections.length - before, 1, 'one TLS connection for three requests');
    // Three at once: one takes the idle socket, two open new connections, which resume the first's session.
    await Promise.all([0, 1, 2].map(() => client.request('GET', '/api/v1/namespaces/a/pods', { signal, what: 'list pods' })));
    assert.deepEqual(
      seen.connections.slice(before).map((c) => c.reused),
      [false, true, true],
    );
  });

  void it('requests share at most REQUEST_POOL_SOCKETS connections; exec upgrades go through no agent but a connector of their own (transport-sessions.test.ts)', async () => {
    const client = clientFor('cap');
    const before = seen.connections.length;
    const total = REQUEST_POOL_SOCKETS + 4;
    const answers = Array.from({ length: total }, () => client.request('GET', '/hold', { signal, what: 'get' }));
    await eventually(() => held.length >= REQUEST_POOL_SOCKETS, 'the first requests reach the server');
    // A request beyond the cap waits in the agent: give it time to open a connection it must not open.
    await sleep(200);
    assert.equal(held.length, REQUEST_POOL_SOCKETS, 'requests at the server at once');
    // Answer them one by one: each answer frees a socket for a queued request.
    const settled = { value: false };
    const all = Promise.all(answers).finally(() => {
      settled.value = true;
    });
    const deadline = Date.now() + 10_000;
    while (!settled.value && Date.now() < deadline) {
      const answer = held.shift();
      if (answer === undefined) await sleep(5);
      else answer();
    }
    await all;
    assert.equal(seen.connections.length - before, REQUEST_POOL_SOCKETS, 'queued requests reuse the pool, no new connections');
    const request = await client.connectionOptions();
    const upgrade = await client.connectionOptions({ use: 'upgrade' });
    assert.ok(request.agent instanceof https.Agent);
    assert.equal(request.agent.maxSockets, REQUEST_POOL_SOCKETS);
    assert.equal(upgrade.agent, undefined, 'an upgraded socket leaves any agent: none to pool in');
    assert.equal(typeof upgrade.createConnection, 'function');
    assert.equal((await client.connectionOptions({ use: 'upgrade' })).createConnection, upgrade.createConnection, 'one upgrade connector per TLS context');
  });

  void it('discardBody: a 2xx answer is drained, not parsed (a body that is not JSON is no error), and the socket is reused', async () => {
    const client = clientFor('discard');
    const before = seen.connections.length;
    for (let i = 0; i < 2; i++) {
      const value = await client.request('POST', '/not-json/events', { signal, what: 'create an event', body: { kind: 'Event' }, discardBody: true });
      assert.equal(value, undefined);
    }
    assert.equal(seen.connections.length - before, 1);
    // Without it the same answer is an error: the option is what changes it.
    await assert.rejects(client.request('POST', '/not-json/events', { signal, what: 'create an event', body: {} }), /not JSON/);
  });

  void it('leaves no sockets behind once the clients are closed', async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of sockets) s.destroy();
    const left = (await activeHandlesAfterSettling()).filter((h) => !/Server/.test(h));
    assert.deepEqual(left, []);
  });
});
