/**
 * The bench's own small API-server client: node:https with the kubeconfig's credentials, one
 * keep-alive agent, a deadline on every request. Its requests stay out of client-node on purpose: the
 * bench shares two cores with the process it measures, so it should cost as little as it can.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import pLimit from 'p-limit';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';

export interface ApiTarget {
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean };
  readonly token: string | undefined;
}

function material(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data !== undefined && data !== '') return Buffer.from(data, 'base64');
  return file === undefined || file === '' ? undefined : readFileSync(file);
}

/**
 * The current context of a kubeconfig (server, CA, client certificate or bearer token), read and
 * validated by kubehooks' own loader (src/kube/kubeconfig.ts: the file checks, kubectl's merge rules);
 * only the requests stay out of client-node.
 */
export function loadTarget(kubeconfigPath: string): ApiTarget {
  const kc = loadKubeConfig({ kubeconfigPath, warn: () => undefined });
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (cluster === null || cluster.server === '') throw new Error(`${kubeconfigPath}: the current context has no cluster server`);
  const tls: ApiTarget['tls'] = { rejectUnauthorized: !cluster.skipTLSVerify };
  const ca = material(cluster.caData, cluster.caFile);
  const cert = material(user?.certData, user?.certFile);
  const key = material(user?.keyData, user?.keyFile);
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  const token = user?.token !== undefined && user.token !== '' ? user.token : undefined;
  return { server: cluster.server.replace(/\/$/, ''), kubeconfigPath, tls, token };
}

export interface ApiResponse {
  readonly status: number;
  readonly body: string;
}

export class Api {
  readonly target: ApiTarget;
  readonly #agent: https.Agent;

  constructor(target: ApiTarget, maxSockets = 16) {
    this.target = target;
    this.#agent = new https.Agent({ keepAlive: true, maxSockets, ...target.tls });
  }

  #options(method: string, path: string, extra: https.RequestOptions = {}): https.RequestOptions {
    const url = new URL(this.target.server + path);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.target.token !== undefined) headers['Authorization'] = `Bearer ${this.target.token}`;
    return { method, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers, agent: this.#agent, ...extra };
  }

  /** One request with a deadline; resolves with the status and the whole body. */
  request(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const options = this.#options(method, path);
    if (payload !== undefined) {
      (options.headers as Record<string, string>)['Content-Type'] =
        method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    }
    return new Promise((resolvePromise, reject) => {
      const req = https.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like request, but any status outside `ok` is an error naming the call. */
  async call(method: string, path: string, body?: unknown, ok: readonly number[] = [200, 201, 202]): Promise<string> {
    const res = await this.request(method, path, body);
    if (!ok.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    return res.body;
  }

  /**
   * A streaming GET (a watch): calls onLine for every newline-delimited JSON line until the server
   * ends it or `signal` aborts. Resolves when the stream ends.
   */
  stream(path: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      const req = https.request(this.#options('GET', path, { agent: false, ...this.target.tls, signal }), (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`GET ${path}: HTTP ${res.statusCode ?? 0}`));
          return;
        }
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          rest += chunk;
          let nl = rest.indexOf('\n');
          while (nl >= 0) {
            const line = rest.slice(0, nl);
            rest = rest.slice(nl + 1);
            if (line.trim() !== '') onLine(line);
            nl = rest.indexOf('\n');
          }
        });
        res.on('end', () => {
          resolvePromise();
        });
        res.on('error', (e) => {
          if (signal.aborted) resolvePromise();
          else reject(e);
        });
      });
      req.on('error', (e) => {
        if (signal.aborted) resolvePromise();
        else reject(e);
      });
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Runs `fn` over `items` with at most `limit` in flight (p-limit, as kubehooks does); results in item order. */
export function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const run = pLimit(Math.max(1, limit));
  return Promise.all(items.map((item, i) => run(() => fn(item, i))));
}
