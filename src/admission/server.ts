/**
 * The webhook's HTTPS server: POST /validate (AdmissionReview), GET /healthz, GET /metrics. Serving
 * certificates are re-read when their files change. Every request has a deadline well under the
 * API server's webhook timeout; close() stops the listener, open connections and the reload timer.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { AdmissionMetrics } from './metrics.ts';
import { AdmissionRequestError, reviewAdmission } from './review.ts';
import type { DenyOn } from './review.ts';

export interface WebhookServerOptions {
  readonly host: string;
  /** 0 = any free port (see `address()`). */
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly denyOn: DenyOn;
  readonly version: string;
  /** Whole-request deadline (headers and body), ms. Default 1000: the generated configuration gives the API server 2 s. */
  readonly requestTimeoutMs?: number;
  /** Largest request body, bytes. Default 8 MiB (an AdmissionReview carries object and oldObject, each ≤ ~1.5 MiB). */
  readonly maxBodyBytes?: number;
  /** How often the certificate files are checked for changes, ms. Default 5000. */
  readonly certCheckIntervalMs?: number;
  /** One line per notable event (certificate reloads, reload failures). */
  readonly log?: (line: string) => void;
}

export interface WebhookServer {
  /** The bound address (the real port when 0 was asked for). */
  address(): { host: string; port: number };
  readonly metrics: AdmissionMetrics;
  /** Re-reads the certificate files now if they changed; resolves true when a new pair was loaded. */
  reloadCertificates(): Promise<boolean>;
  close(): Promise<void>;
}

export class WebhookConfigError extends Error {
  override readonly name = 'WebhookConfigError';
}

interface CertFiles {
  cert: Buffer;
  key: Buffer;
  stamp: string;
}

async function stampOf(file: string): Promise<string> {
  const s = await stat(file);
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
}

/** Most a PEM certificate chain or key file may be (a real one is a few KiB). */
export const MAX_CERT_FILE_BYTES = 1024 * 1024;

/**
 * A certificate or key file, read with a cap: opened without blocking and refused unless it is a
 * regular file (a FIFO would hang the read, `/dev/zero` would grow without bound; issue 10).
 */
async function readCertFile(file: string): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    if (!(await handle.stat()).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    const buffer = Buffer.alloc(MAX_CERT_FILE_BYTES + 1);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, size, buffer.length - size, null);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > MAX_CERT_FILE_BYTES) throw Object.assign(new Error('too large'), { code: `larger than ${MAX_CERT_FILE_BYTES} bytes` });
    }
    return buffer.subarray(0, size);
  } finally {
    await handle.close();
  }
}

async function readCertFiles(certFile: string, keyFile: string): Promise<CertFiles> {
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await readCertFile(file);
    } catch (err) {
      throw new WebhookConfigError(
        `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  };
  const [cert, key] = await Promise.all([
    read(certFile, '--tls-cert-file'),
    read(keyFile, '--tls-private-key-file'),
  ]);
  const stamp = `${await stampOf(certFile)}|${await stampOf(keyFile)}`;
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new WebhookConfigError(
      `--tls-cert-file ${certFile} and --tls-private-key-file ${keyFile} are not a usable PEM certificate and matching key: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return { cert, key, stamp };
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
    req.on('aborted', () => {
      reject(new Error('request aborted'));
    });
  });
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const log = options.log ?? ((): void => undefined);
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  let current = await readCertFiles(options.certFile, options.keyFile);
  const metrics = new AdmissionMetrics();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      send(res, 200, 'text/plain', 'ok\n');
      return;
    }
    if (path === '/metrics' && req.method === 'GET') {
      send(res, 200, 'text/plain; version=0.0.4', metrics.render(options.version));
      return;
    }
    if (path !== '/validate') {
      send(res, 404, 'text/plain', 'not found: kubehooks serves /validate, /healthz and /metrics\n');
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, 'text/plain', 'POST an admission.k8s.io/v1 AdmissionReview to /validate\n');
      return;
    }
    const body = await readBody(req, maxBody);
    if (body === 'too-large') {
      metrics.badRequest();
      res.setHeader('connection', 'close');
      send(res, 413, 'text/plain', `request body over ${maxBody} bytes\n`);
      return;
    }
    const started = performance.now();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      metrics.badRequest();
      send(res, 400, 'text/plain', 'the body is not JSON: POST an admission.k8s.io/v1 AdmissionReview\n');
      return;
    }
    try {
      const outcome = reviewAdmission(parsed, { denyOn: options.denyOn });
      const text = JSON.stringify(outcome.review);
      send(res, 200, 'application/json', text);
      metrics.observe(
        outcome.kind,
        outcome.result,
        (performance.now() - started) / 1000,
        outcome.review.response.warnings?.length ?? 0,
      );
    } catch (err) {
      if (!(err instanceof AdmissionRequestError)) throw err;
      metrics.badRequest();
      send(res, 400, 'text/plain', `${err.message}\n`);
    }
  };

  const requestTimeout = options.requestTimeoutMs ?? 1000;
  // Node checks request deadlines every connectionsCheckingInterval (30 s by default): a client that sent
  // half its headers held its connection for up to 30 s, not the 1 s promised (issue 10).
  const connectionsCheckingInterval = Math.max(10, Math.min(250, Math.floor(requestTimeout / 4)));
  const server: Server = createServer({ cert: current.cert, key: current.key, connectionsCheckingInterval }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(res, 500, 'text/plain', `internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });
  server.requestTimeout = requestTimeout;
  server.headersTimeout = requestTimeout;
  server.keepAliveTimeout = 30_000;
  server.on('tlsClientError', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let reloading: Promise<boolean> | undefined;
  const reloadCertificates = (): Promise<boolean> => {
    reloading ??= (async () => {
      try {
        const stamp = `${await stampOf(options.certFile)}|${await stampOf(options.keyFile)}`;
        if (stamp === current.stamp) return false;
        const next = await readCertFiles(options.certFile, options.keyFile);
        server.setSecureContext({ cert: next.cert, key: next.key });
        current = next;
        log('serving certificate reloaded');
        return true;
      } catch (err) {
        // Keep serving with the pair we have; a half-written pair is retried at the next check.
        log(
          `certificate reload failed, keeping the current one: ${err instanceof Error ? err.message : String(err)}`,
        );
        return false;
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
  };
  const timer = setInterval(() => void reloadCertificates(), options.certCheckIntervalMs ?? 5000);
  timer.unref();

  let closing: Promise<void> | undefined;
  return {
    address: () => {
      const a = server.address() as AddressInfo;
      return { host: a.address, port: a.port };
    },
    metrics,
    reloadCertificates,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
