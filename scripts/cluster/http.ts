/**
 * The few HTTP calls the launcher makes (readiness probes, creating the Node), with the run's
 * certificates. Plain node:http(s) so that starting a cluster does not load the Kubernetes client.
 * Every request has a deadline and uses a fresh connection (no keep-alive sockets left behind).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface TlsFiles {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export function httpCall(
  url: string,
  options: { method?: string; body?: unknown; tls?: TlsFiles; timeoutMs?: number; contentType?: string } = {},
): Promise<HttpResponse> {
  const u = new URL(url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const common = {
    method: options.method ?? 'GET',
    headers,
    agent: false as const,
    timeout: options.timeoutMs ?? 2_000,
  };
  return new Promise((resolve, reject) => {
    const req =
      u.protocol === 'https:'
        ? httpsRequest(u, { ...common, ...(options.tls ?? {}) })
        : httpRequest(u, common);
    req.on('timeout', () => req.destroy(new Error(`${common.method} ${url} timed out`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.end(payload);
  });
}

/** true when GET url answers 200, false on any error or other status. */
export async function probe(url: string, tls?: TlsFiles): Promise<boolean> {
  try {
    const res = await httpCall(url, tls === undefined ? {} : { tls });
    return res.status === 200;
  } catch {
    return false;
  }
}
