/**
 * Exec upgrade connections resume TLS sessions (ADR 0026), over real TLS 1.3 with client certificates:
 * what the server sees (`isSessionReused()`, the client certificate's CN) and what the transport counts.
 * A session is never offered across another CA bundle, client certificate, server name or verification
 * setting, is not offered once too old, and a server that will not resume gets a full handshake.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { activeHandlesAfterSettling } from '../testing/handles.ts';
import { createTestCa, createTestCerts, issueServingCert, type TestCerts } from '../testing/tls.ts';
import { HttpTransport, TLS_SESSION_MAX_AGE_MS, type ConnectionOptions } from './transport.ts';

interface Seen {
  readonly reused: boolean;
  readonly user: string;
}

interface Material {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly servername?: string;
  readonly rejectUnauthorized?: boolean;
}

void describe('exec upgrade connections resume TLS sessions', () => {
  let certs: TestCerts;
  let otherCa: Buffer;
  let server: https.Server;
  let port: number;
  /** What the server saw, by request path (each upgrade has its own). */
  const seen = new Map<string, Seen>();
  let requests = 0;
  const sockets = new Set<net.Socket>();
  let base: Material;
  let rotated: Material;

  before(async () => {
    certs = await createTestCerts();
    const alice = await issueServingCert(certs, 'alice', 'alice');
    const bob = await issueServingCert(certs, 'bob', 'bob');
    const other = await createTestCa();
    otherCa = fs.readFileSync(other.caCert);
    fs.rmSync(other.dir, { recursive: true, force: true });
    const ca = fs.readFileSync(certs.caCert);
    base = { ca, cert: fs.readFileSync(alice.cert), key: fs.readFileSync(alice.key) };
    rotated = { ca, cert: fs.readFileSync(bob.cert), key: fs.readFileSync(bob.key) };
    server = https.createServer({
      cert: fs.readFileSync(certs.cert),
      key: fs.readFileSync(certs.key),
      ca,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
    });
    server.on('upgrade', (req: { url?: string; socket: tls.TLSSocket }, socket: net.Socket) => {
      const peer = req.socket.getPeerCertificate();
      seen.set(req.url ?? '', { reused: req.socket.isSessionReused(), user: typeof peer.subject.CN === 'string' ? peer.subject.CN : '' });
      if (req.url?.startsWith('/hold') === true) return;
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  /** A transport whose credentials are `material()` at each connection, on a clock the test moves. */
  const transportFor = (material: () => Material, clock = { now: Date.now() }): HttpTransport =>
    new HttpTransport(`https://127.0.0.1:${port}`, {
      requestTimeoutMs: 10_000,
      now: () => clock.now,
      prepare: (opts: ConnectionOptions) => {
        Object.assign(opts, material());
        return Promise.resolve();
      },
    });

  /** One upgrade as `ws` sends it (no agent, the transport's createConnection); resolves with the server's view. */
  const upgrade = async (transport: HttpTransport): Promise<Seen> => {
    const conn = await transport.connectionOptions({ use: 'upgrade' });
    assert.equal(conn.agent, undefined, 'upgrades go through no agent');
    assert.equal(typeof conn.createConnection, 'function');
    const path = `/exec/${++requests}`;
    await new Promise<void>((resolve, reject) => {
      const req = https.request({ ...conn, host: '127.0.0.1', port, path, headers: { ...(conn.headers as Record<string, string>), Connection: 'Upgrade', Upgrade: 'websocket' } });
      req.once('upgrade', (_res, socket) => {
        socket.destroy();
        resolve();
      });
      req.once('response', () => { reject(new Error('no upgrade')); });
      req.once('error', reject);
      req.end();
    });
    const got = seen.get(path);
    assert.ok(got !== undefined);
    return got;
  };

  void it('[S-25] the first upgrade does a full handshake, the next ones resume its session; the transport counts both', async () => {
    const transport = transportFor(() => base);
    try {
      const got: Seen[] = [];
      for (let i = 0; i < 4; i++) got.push(await upgrade(transport));
      assert.deepEqual(got, [
        { reused: false, user: 'alice' },
        { reused: true, user: 'alice' },
        { reused: true, user: 'alice' },
        { reused: true, user: 'alice' },
      ]);
      assert.deepEqual(transport.upgradeHandshakes(), { full: 1, resumed: 3 });
      // Concurrent upgrades all offer the kept session.
      const together = await Promise.all([0, 1, 2].map(() => upgrade(transport)));
      assert.deepEqual(together.map((s) => s.reused), [true, true, true]);
    } finally {
      transport.close();
    }
  });

  // After a warm-up with `base`, the credentials change to `next`: its first upgrade must not resume.
  const changes: readonly { readonly what: string; readonly next: () => Material; readonly backResumes: boolean }[] = [
    { what: 'a rotated client certificate', next: () => rotated, backResumes: false },
    { what: 'another CA bundle', next: () => ({ ...base, ca: Buffer.concat([base.ca, otherCa]) }), backResumes: false },
    { what: 'another server name', next: () => ({ ...base, servername: 'localhost' }), backResumes: true },
    { what: 'verification turned off', next: () => ({ ...base, rejectUnauthorized: false }), backResumes: true },
  ];
  for (const change of changes) {
    void it(`[S-25] never resumes across ${change.what}`, async () => {
      let current = base;
      const transport = transportFor(() => current);
      try {
        await upgrade(transport);
        assert.equal((await upgrade(transport)).reused, true);
        current = change.next();
        const first = await upgrade(transport);
        assert.equal(first.reused, false, 'the first upgrade with the new settings is a full handshake');
        assert.equal(first.user, current === rotated ? 'bob' : 'alice', 'the server sees the certificate now configured');
        assert.equal((await upgrade(transport)).reused, true, 'the new settings keep a session of their own');
        current = base;
        assert.equal((await upgrade(transport)).reused, change.backResumes, 'back to the first settings');
      } finally {
        transport.close();
      }
    });
  }

  void it(`[S-25] a session whose full handshake is ${TLS_SESSION_MAX_AGE_MS / 60_000} minutes old is not offered: the server's certificate is checked again`, async () => {
    const clock = { now: Date.now() };
    const transport = transportFor(() => base, clock);
    try {
      await upgrade(transport);
      clock.now += TLS_SESSION_MAX_AGE_MS - 1000;
      assert.equal((await upgrade(transport)).reused, true, 'younger than the bound');
      // The ticket of that resumed connection carries the first handshake's age, not its own.
      clock.now += 2000;
      assert.equal((await upgrade(transport)).reused, false, 'older: a full handshake');
      assert.equal((await upgrade(transport)).reused, true, 'and its session is kept from then on');
      assert.deepEqual(transport.upgradeHandshakes(), { full: 2, resumed: 2 });
    } finally {
      transport.close();
    }
  });

  void it('[S-25] a server that no longer accepts the ticket (new ticket keys) gets a full handshake, and its new session is kept', async () => {
    const transport = transportFor(() => base);
    try {
      await upgrade(transport);
      assert.equal((await upgrade(transport)).reused, true);
      server.setTicketKeys(randomBytes(48));
      assert.equal((await upgrade(transport)).reused, false);
      assert.equal((await upgrade(transport)).reused, true);
    } finally {
      transport.close();
    }
  });

  void it('[S-25] a server that fails verification is refused every time: no session is kept from it', async () => {
    const transport = transportFor(() => ({ ...base, ca: otherCa }));
    try {
      for (let i = 0; i < 2; i++) await assert.rejects(upgrade(transport), /unable to verify|self.signed|certificate/i);
      assert.deepEqual(transport.upgradeHandshakes(), { full: 0, resumed: 0 });
    } finally {
      transport.close();
    }
  });

  void it('close() destroys an upgrade connection still waiting for its answer', async () => {
    const transport = transportFor(() => base);
    const conn = await transport.connectionOptions({ use: 'upgrade' });
    const ended = new Promise<string>((resolve) => {
      const req = https.request({ ...conn, host: '127.0.0.1', port, path: '/hold/1', headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
      req.once('error', (e) => { resolve(e.message); });
      req.once('upgrade', () => { resolve('upgraded'); });
      req.end();
    });
    const deadline = Date.now() + 10_000;
    while (!seen.has('/hold/1') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    transport.close();
    assert.match(await ended, /socket hang up/);
  });

  void it('leaves no sockets behind', async () => {
    for (const s of sockets) s.destroy();
    const left = (await activeHandlesAfterSettling()).filter((h) => !/Server/.test(h));
    assert.deepEqual(left, []);
  });
});
