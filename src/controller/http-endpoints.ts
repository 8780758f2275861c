/**
 * The controller's HTTP endpoints on `--metrics-addr`: GET /metrics (Prometheus text), /healthz and
 * /readyz (200 "ok", or 503 with the reason on one line). Nothing else is served; the server is closed
 * with every connection when the controller stops (ADR 0020).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Probe {
  /** undefined = healthy / ready; otherwise why not (one line, served as the 503 body). */
  (): string | undefined;
}

export interface EndpointOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: () => Promise<string>;
  readonly metricsContentType: string;
  readonly healthz: Probe;
  readonly readyz: Probe;
}

/** `HOST:PORT`, `:PORT` (all interfaces, as Go's net.Listen), `[IPv6]:PORT`; `0` or '' = off (undefined). */
export function parseListenAddress(text: string, flag: string): { host: string; port: number } | undefined {
  const t = text.trim();
  if (t === '' || t === '0') return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(t);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) {
    throw new Error(`${flag} must be HOST:PORT or :PORT (e.g. 127.0.0.1:8080, :8080 for every interface, 0 for off); got "${text}"`);
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export class ControllerEndpoints {
  readonly #server: http.Server;
  readonly #o: EndpointOptions;

  private constructor(server: http.Server, options: EndpointOptions) {
    this.#server = server;
    this.#o = options;
  }

  /** Listens; rejects (EADDRINUSE, EACCES…) with a message naming the address. */
  static async start(options: EndpointOptions): Promise<ControllerEndpoints> {
    const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000 });
    server.keepAliveTimeout = 5_000;
    const endpoints = new ControllerEndpoints(server, options);
    server.on('request', (req, res) => {
      endpoints.#serve(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(new Error(`--metrics-addr ${options.host}:${options.port}: cannot listen (${error.code ?? error.message})`));
      };
      server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    endpoints.#remember();
    return endpoints;
  }

  /** The bound address as a URL base (the port is the real one when 0 was asked for); kept after close(). */
  get url(): string {
    return this.#url;
  }

  #remember(): void {
    const a = this.#server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.#url = `http://${host}:${a.port}`;
  }

  #url = '';

  #serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const text = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      text(405, 'method not allowed\n');
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const why = (path === '/healthz' ? this.#o.healthz : this.#o.readyz)();
      text(why === undefined ? 200 : 503, why === undefined ? 'ok\n' : `${why}\n`);
      return;
    }
    if (path === '/metrics') {
      this.#o.metrics().then(
        (body) => {
          text(200, body, this.#o.metricsContentType);
        },
        (error: unknown) => {
          text(500, `cannot collect metrics: ${error instanceof Error ? error.message : String(error)}\n`);
        },
      );
      return;
    }
    text(404, 'not found: /metrics, /healthz, /readyz\n');
  }

  /** Stops listening and ends every connection (keep-alive ones too). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
    this.#server.closeAllConnections();
    await closed;
  }
}
