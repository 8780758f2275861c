/**
 * ExecChannelOpener over `ws`: the pod `exec` subresource as a WebSocket, v5.channel.k8s.io preferred,
 * v4 accepted. Failures before the upgrade are classified by where they happened, never by their
 * text: before the server answered → api-unreachable; after an answer that is not a WebSocket peer's
 * → handshake-failed; no answer within the deadline → handshake-timeout (our timer, not ws's).
 */
import WebSocket from 'ws';
import type { KubeClient } from './client.ts';
import { AbortedBeforeOpenError, HandshakeError, HandshakeTimeoutError, errorText } from './errors.ts';
import { EXEC_PROTOCOLS, type ExecChannel, type ExecChannelHandlers, type ExecChannelOpenOptions, type ExecChannelOpener, type ExecTarget } from './exec-channel.ts';
import { MAX_ERROR_BODY_BYTES, buildPath, readBody, unreachable } from './transport.ts';

export function wsExecChannelOpener(client: KubeClient): ExecChannelOpener {
  return {
    server: client.server,
    open: (target, options, handlers) => openWsExecChannel(client, target, options, handlers),
  };
}

async function openWsExecChannel(
  client: KubeClient,
  target: ExecTarget,
  options: ExecChannelOpenOptions,
  handlers: ExecChannelHandlers,
): Promise<ExecChannel> {
  const { signal } = options;
  const startedAt = performance.now();
  let conn: Awaited<ReturnType<KubeClient['connectionOptions']>>;
  try {
    conn = await client.connectionOptions({ deadlineMs: options.handshakeTimeoutMs, signal, use: 'upgrade' });
  } catch (error) {
    if (signal.aborted) throw new AbortedBeforeOpenError('aborted before the connection was opened', { cause: error });
    throw error;
  }
  if (signal.aborted) throw new AbortedBeforeOpenError('aborted before the connection was opened');
  const handshakeMs = Math.max(1, Math.round(options.handshakeTimeoutMs - (performance.now() - startedAt)));
  const pathname = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/exec`;
  const query = { command: target.command, container: target.container, stdout: 'true', stderr: 'true', stdin: 'false', tty: 'false' };
  const url = new URL(client.server + buildPath(pathname, query));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url, [...EXEC_PROTOCOLS], {
    // What applyToHTTPSOptions fills in is what ws hands to https.request, as before the split.
    ...(conn as unknown as WebSocket.ClientOptions),
    perMessageDeflate: false,
    followRedirects: false,
  });

  // Listeners go on before any event can fire (an unhandled 'error' would throw).
  let upgraded = false;
  let opened = false;
  /** A refusal or a failure before the upgrade was reported: the socket's own aftermath is not news. */
  let ended = false;
  const handshakeTimer = setTimeout(() => {
    if (opened || ended) return;
    ended = true;
    handlers.failed(new HandshakeTimeoutError(`the API server ${client.server} did not complete the WebSocket handshake within ${handshakeMs} ms`));
    socket.terminate();
  }, handshakeMs);
  socket.on('upgrade', () => {
    upgraded = true;
  });
  socket.on('error', (error: Error) => {
    if (opened) {
      handlers.failed(error);
      return;
    }
    if (ended) return;
    ended = true;
    clearTimeout(handshakeTimer);
    handlers.failed(
      upgraded
        ? new HandshakeError(`WebSocket handshake failed: ${errorText(error)}`, { cause: error })
        : unreachable(client.server, error),
    );
  });
  socket.on('unexpected-response', (_req, res) => {
    ended = true;
    clearTimeout(handshakeTimer);
    const statusCode = res.statusCode ?? 0;
    // The socket stays CONNECTING until the executor closes the channel, after it has decided.
    readBody(res, MAX_ERROR_BODY_BYTES)
      .catch(() => '')
      .then((body) => {
        handlers.refused(statusCode, body);
      }, () => undefined);
  });
  socket.on('open', () => {
    opened = true;
    clearTimeout(handshakeTimer);
    handlers.open(socket.protocol);
  });
  socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
    if (!isBinary) return;
    handlers.frame(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));
  });
  socket.on('close', (code: number, reason: Buffer) => {
    clearTimeout(handshakeTimer);
    if (!opened && ended) return;
    handlers.closed(code, reason.toString('utf8'));
  });
  return {
    close: async (graceMs) => {
      clearTimeout(handshakeTimer);
      await closeSocket(socket, graceMs);
    },
    drop: () => {
      clearTimeout(handshakeTimer);
      if (socket.readyState !== socket.CLOSED) socket.terminate();
    },
  };
}

/** Closes gracefully, then terminates; resolves once the socket is closed (or after a hard cap). */
async function closeSocket(socket: WebSocket, graceMs: number): Promise<void> {
  if (socket.readyState === socket.CLOSED) return;
  await new Promise<void>((resolve) => {
    let hard: ReturnType<typeof setTimeout> | undefined;
    const grace = setTimeout(() => {
      socket.terminate();
      hard = setTimeout(done, graceMs);
    }, graceMs);
    function done(): void {
      clearTimeout(grace);
      clearTimeout(hard);
      socket.off('close', done);
      resolve();
    }
    socket.on('close', done);
    if (socket.readyState === socket.OPEN) socket.close(1000);
    else if (socket.readyState === socket.CONNECTING) socket.terminate();
  });
}
