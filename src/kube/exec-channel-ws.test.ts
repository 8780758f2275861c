import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { withDeadline } from '../testing/changes.ts';
import { activeHandlesAfterSettling } from '../testing/handles.ts';
import { KubeClient } from './client.ts';
import { AbortedBeforeOpenError, ApiUnreachableError, HandshakeError, HandshakeTimeoutError } from './errors.ts';
import type { ExecChannel, ExecChannelHandlers } from './exec-channel.ts';
import { wsExecChannelOpener } from './exec-channel-ws.ts';

/** A TCP server that answers every upgrade request with `reply` (undefined: never answers). */
async function rawServer(reply: string | undefined): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', () => {
      if (reply !== undefined) socket.write(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

interface Seen {
  readonly failed: Promise<Error>;
  readonly handlers: ExecChannelHandlers;
}

function recorder(): Seen {
  let fail: (e: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => {
    fail = resolve;
  });
  return {
    failed,
    handlers: {
      open: () => undefined,
      frame: () => undefined,
      refused: () => undefined,
      failed: (e) => {
        fail(e);
      },
      closed: () => undefined,
    },
  };
}

/** The code as a plain value: pinned as data, not as the narrowed literal type. */
const codeOf = (e: unknown): unknown => (e as { code?: unknown }).code;

const target = { namespace: 'ns', pod: 'p', container: 'app', command: ['true'] };

void describe('the WebSocket exec channel classifies failures by where they happened, not by their text', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubehooks-ws-channel-'));
  const clients: KubeClient[] = [];
  const clientFor = (url: string): KubeClient => {
    const file = path.join(dir, `kubeconfig-${clients.length}`);
    fs.writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "${url}", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n`,
    );
    const client = KubeClient.load({ kubeconfigPath: file, warn: () => undefined });
    clients.push(client);
    return client;
  };
  after(() => {
    for (const c of clients) c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases: readonly [string, string | undefined, number, (e: Error) => boolean][] = [
    [
      'an answer that is not a WebSocket peer (no Sec-WebSocket-Accept): handshake-failed',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      10_000,
      (e) => e instanceof HandshakeError && codeOf(e) === 'handshake-failed' && /^WebSocket handshake failed: /.test(e.message),
    ],
    [
      'no answer within the deadline: handshake-timeout',
      undefined,
      200,
      (e) => e instanceof HandshakeTimeoutError && codeOf(e) === 'handshake-timeout' && /did not complete the WebSocket handshake within \d+ ms/.test(e.message),
    ],
  ];
  for (const [name, reply, handshakeTimeoutMs, check] of cases) {
    void it(name, async () => {
      const server = await rawServer(reply);
      let channel: ExecChannel | undefined;
      try {
        const seen = recorder();
        channel = await wsExecChannelOpener(clientFor(server.url)).open(target, { handshakeTimeoutMs, signal: new AbortController().signal }, seen.handlers);
        const error = await withDeadline(seen.failed, 'the channel to fail');
        assert.ok(check(error), `${error.name}: ${error.message}`);
      } finally {
        await channel?.close(50);
        await server.close();
      }
    });
  }

  void it('connection refused: api-unreachable with the system code', async () => {
    const server = await rawServer(undefined);
    const url = server.url;
    await server.close();
    const seen = recorder();
    const channel = await wsExecChannelOpener(clientFor(url)).open(target, { handshakeTimeoutMs: 10_000, signal: new AbortController().signal }, seen.handlers);
    try {
      const error = await withDeadline(seen.failed, 'the channel to fail');
      assert.ok(error instanceof ApiUnreachableError && error.systemCode === 'ECONNREFUSED', `${error.name}: ${error.message}`);
    } finally {
      await channel.close(50);
    }
  });

  void it('a signal aborted before the connection: AbortedBeforeOpenError, no connection attempted', async () => {
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const ctl = new AbortController();
      ctl.abort();
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      await assert.rejects(
        wsExecChannelOpener(clientFor(url)).open(target, { handshakeTimeoutMs: 1000, signal: ctl.signal }, recorder().handlers),
        (e: unknown) => e instanceof AbortedBeforeOpenError && codeOf(e) === 'aborted-before-open',
      );
      assert.equal(connections, 0);
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  });
});

void it('leaves no sockets, servers or timers behind', async () => {
  assert.deepEqual(await activeHandlesAfterSettling(), []);
});
