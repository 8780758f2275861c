/**
 * Loading a kubeconfig and talking HTTP/WebSocket to the API server.
 *
 * client-node supplies what is hard to get right: kubeconfig parsing and merging, in-cluster config,
 * and static credentials (tokens, client certificates) via `applyToHTTPSOptions`; exec plugins,
 * `tokenFile` and the oidc auth-provider are ours (credentials.ts, oidc.ts), bounded by each request.
 * The requests themselves go through node:http(s) and `ws` with those options, because we need the
 * HTTP status *and* the Status body of every failed request (client-node's Watch drops the body, its
 * Exec hides the refused upgrade's body) and a single agent we can destroy on `close()`.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
// The kubeconfig module only: the package's index also loads the generated API, watch, cache, etc.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import WebSocket from 'ws';
import { parse as parseYaml } from 'yaml';
import { checkAuthProvider } from './auth-provider.ts';
import { CredentialSource, boundedWait, type ExecPluginConfig } from './credentials.ts';
import { OidcTokenSource, type OidcProviderConfig } from './oidc.ts';
import {
  CredentialError,
  ApiTimeoutError,
  ApiUnreachableError,
  KubeError,
  KubeconfigError,
  errorForStatus,
  type ApiStatusDetails,
} from './errors.ts';

export interface KubeClientOptions {
  /** Explicit kubeconfig file (`--kubeconfig`); otherwise KUBECONFIG, ~/.kube/config, then in-cluster. */
  readonly kubeconfigPath?: string | undefined;
  /** Context to use (`--context`); otherwise the kubeconfig's current context. */
  readonly context?: string | undefined;
  /** Disable TLS verification of the API server. Dangerous; logs a warning. */
  readonly insecureSkipTlsVerify?: boolean | undefined;
  /** Where warnings go (default: stderr). */
  readonly warn?: ((message: string) => void) | undefined;
  /** Environment to read KUBECONFIG/HOME/in-cluster variables from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Deadline for ordinary (non-watch, non-exec) requests. Default 30 s. */
  readonly requestTimeoutMs?: number | undefined;
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body?: unknown;
  readonly signal: AbortSignal;
  /** Names the request in error messages, e.g. `list pods in namespace "a"`. */
  readonly what: string;
  readonly timeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Upper bound on an error body we read to extract a Status. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export function defaultWarn(message: string): void {
  process.stderr.write(`kubehooks: warning: ${message}\n`);
}

/** Loads and validates a kubeconfig the way kubectl would, or throws KubeconfigError. */
export function loadKubeConfig(options: KubeClientOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  let source: string;
  let files: string[] = [];
  try {
    if (options.kubeconfigPath !== undefined) {
      source = options.kubeconfigPath;
      if (!fs.existsSync(source)) {
        throw new KubeconfigError(`kubeconfig ${source} does not exist`);
      }
      files = [source];
      kc.loadFromFile(source);
    } else if (env['KUBECONFIG'] !== undefined && env['KUBECONFIG'] !== '') {
      files = env['KUBECONFIG'].split(path.delimiter).filter((f) => f !== '' && fs.existsSync(f));
      if (files.length === 0) {
        throw new KubeconfigError(`none of the files in KUBECONFIG (${env['KUBECONFIG']}) exists`);
      }
      source = files.join(path.delimiter);
      mergeLikeKubectl(kc, files);
    } else {
      const home = env['HOME'] ?? os.homedir();
      const fallback = path.join(home, '.kube', 'config');
      if (fs.existsSync(fallback)) {
        source = fallback;
        files = [fallback];
        kc.loadFromFile(fallback);
      } else if (env['KUBERNETES_SERVICE_HOST'] !== undefined && env['KUBERNETES_SERVICE_PORT'] !== undefined) {
        source = 'in-cluster service account';
        kc.loadFromCluster();
      } else {
        throw new KubeconfigError(
          'no kubeconfig found: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run inside a pod',
        );
      }
    }
  } catch (error) {
    if (error instanceof KubeconfigError) throw error;
    throw new KubeconfigError(`cannot load kubeconfig ${describeSource(options, env)}: ${errorText(error)}`, {
      cause: error,
    });
  }

  if (kc.getClusters().length === 0 && kc.getContexts().length === 0) {
    throw new KubeconfigError(`${source} does not look like a kubeconfig: it has no clusters and no contexts`);
  }
  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeconfigError(
        `context "${options.context}" not found in ${source}; it has: ${known.length === 0 ? '(none)' : known.join(', ')}`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  const contextName = kc.getCurrentContext();
  if (contextName === '' || kc.getContextObject(contextName) === null) {
    throw new KubeconfigError(`${source} has no current context; pass --context NAME`);
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null || cluster.server === '') {
    throw new KubeconfigError(`context "${contextName}" in ${source} refers to a cluster that is missing or has no server`);
  }
  if (!/^https?:\/\//.test(cluster.server)) {
    throw new KubeconfigError(`cluster "${cluster.name}" has an invalid server URL: ${cluster.server}`);
  }
  const user = kc.getCurrentUser();
  if (user === null) {
    // client-node applies no TLS settings at all without a user entry; make that explicit.
    throw new KubeconfigError(`context "${contextName}" in ${source} refers to a user that does not exist`);
  }
  // gcp/azure (removed from kubectl) and unknown providers: refused before any request.
  checkAuthProvider(user, source);
  // kubectl (client-go's transport) refuses a CA together with insecure-skip-tls-verify in one cluster entry.
  if (cluster.skipTLSVerify && ((cluster.caData ?? '') !== '' || (cluster.caFile ?? '') !== '')) {
    throw new KubeconfigError(
      `cluster "${cluster.name}" in ${source} sets both certificate-authority${(cluster.caData ?? '') !== '' ? '-data' : ''} and insecure-skip-tls-verify: true; ` +
        'kubectl refuses that too ("specifying a root certificates file with the insecure flag is not allowed"): remove one of them',
    );
  }
  const extra = readUserExtras(files, user.name);
  USER_EXTRAS.set(kc, extra);
  if (extra.tokenFile !== undefined) {
    // client-go reads a tokenFile once at load when there is no static token and fails if it cannot.
    if ((user.token ?? '') === '') {
      try {
        fs.readFileSync(extra.tokenFile);
      } catch (error) {
        throw new KubeconfigError(`user "${user.name}" in ${source}: cannot read its tokenFile ${extra.tokenFile}: ${errorText(error)}`, { cause: error });
      }
    }
  }

  const warn = options.warn ?? defaultWarn;
  if (!hasCredentials(user, extra)) {
    warn(
      `user "${user.name}" in ${source} has no credentials (no token, tokenFile, client certificate, exec plugin or auth-provider): ` +
        'requests go out unauthenticated, as system:anonymous',
    );
  }
  if (options.insecureSkipTlsVerify === true) {
    warn(
      `TLS verification of the API server ${cluster.server} is DISABLED (--insecure-skip-tls-verify). ` +
        'Anyone on the network path can impersonate the cluster and read the hooks\' output.',
    );
    kc.loadFromOptions({
      clusters: kc.getClusters().map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c)),
      contexts: kc.getContexts(),
      users: kc.getUsers(),
      currentContext: kc.getCurrentContext(),
    });
  } else if (cluster.server.startsWith('http:')) {
    if (!cluster.skipTLSVerify) {
      throw new KubeconfigError(
        `cluster "${cluster.name}" uses plain HTTP (${cluster.server}); that is refused unless the cluster entry sets insecure-skip-tls-verify: true`,
      );
    }
    warn(`the API server ${cluster.server} is plain HTTP: traffic and credentials are not encrypted`);
  } else if (cluster.skipTLSVerify) {
    warn(`the kubeconfig disables TLS verification for ${cluster.server} (insecure-skip-tls-verify)`);
  }
  return kc;
}

/** What client-node drops from a kubeconfig user entry and kubectl honours. */
interface UserExtras {
  /** `users[].user.tokenFile`, resolved against the kubeconfig file's directory as kubectl does. */
  readonly tokenFile?: string;
  /** The kubeconfig file that defines the user (refreshed oidc tokens are written back there, as kubectl does). */
  readonly definedIn?: string;
}

const USER_EXTRAS = new WeakMap<KubeConfig, UserExtras>();

/** The `tokenFile` of `userName` and the file defining it, from the first kubeconfig file that defines that user (kubectl's merge). */
function readUserExtras(files: readonly string[], userName: string): UserExtras {
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parseYaml(fs.readFileSync(file, 'utf8'));
    } catch {
      continue; // client-node has loaded it already; an unreadable file has no extras
    }
    const users = isRecord(doc) && Array.isArray(doc['users']) ? (doc['users'] as unknown[]) : [];
    const entry = users.find((u) => isRecord(u) && u['name'] === userName);
    if (!isRecord(entry)) continue;
    const user = entry['user'];
    const tokenFile = isRecord(user) ? user['tokenFile'] : undefined;
    if (typeof tokenFile !== 'string' || tokenFile === '') return { definedIn: file };
    return { definedIn: file, tokenFile: path.isAbsolute(tokenFile) ? tokenFile : path.resolve(path.dirname(file), tokenFile) };
  }
  return {};
}

function hasCredentials(user: NonNullable<ReturnType<KubeConfig['getCurrentUser']>>, extra: UserExtras): boolean {
  const set = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
  return [user.token, user.certData, user.certFile, user.exec, user.authProvider, user.username, extra.tokenFile].some(set);
}

/** kubectl's KUBECONFIG merge: for every name and for current-context, the first file that sets it wins. */
function mergeLikeKubectl(kc: KubeConfig, files: readonly string[]): void {
  const parts = files.map((file) => {
    const part = new KubeConfig();
    part.loadFromFile(file);
    return part;
  });
  const firstByName = <T extends { readonly name: string }>(lists: readonly (readonly T[])[]): T[] => {
    const out = new Map<string, T>();
    for (const list of lists) for (const item of list) if (!out.has(item.name)) out.set(item.name, item);
    return [...out.values()];
  };
  kc.loadFromOptions({
    clusters: firstByName(parts.map((p) => p.getClusters())),
    users: firstByName(parts.map((p) => p.getUsers())),
    contexts: firstByName(parts.map((p) => p.getContexts())),
    currentContext: parts.map((p) => p.getCurrentContext()).find((c) => typeof c === 'string' && c !== '') ?? '',
  });
}

function describeSource(options: KubeClientOptions, env: Readonly<Record<string, string | undefined>>): string {
  if (options.kubeconfigPath !== undefined) return options.kubeconfigPath;
  if (env['KUBECONFIG'] !== undefined && env['KUBECONFIG'] !== '') return `from KUBECONFIG (${env['KUBECONFIG']})`;
  return '~/.kube/config';
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function systemCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

/** Turns a transport failure (not an HTTP status) into an ApiUnreachableError with a useful message. */
export function unreachable(server: string, error: unknown): ApiUnreachableError {
  const systemCode = systemCodeOf(error);
  let hint = '';
  if (systemCode === 'ECONNREFUSED') hint = ' (connection refused: is the API server running?)';
  else if (systemCode === 'ENOTFOUND' || systemCode === 'EAI_AGAIN') hint = ' (host name does not resolve)';
  else if (systemCode !== undefined && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/.test(systemCode)) {
    hint = ' (TLS verification failed: check certificate-authority in the kubeconfig)';
  }
  return new ApiUnreachableError(`cannot reach the API server ${server}${hint}: ${errorText(error)}`, {
    cause: error,
    systemCode,
  });
}

/** Extracts `{reason, message}` from a body that may be a metav1.Status. */
export function statusDetails(statusCode: number, bodyText: string): ApiStatusDetails {
  let reason: string | undefined;
  let serverMessage = bodyText.trim().slice(0, 500);
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (isRecord(parsed)) {
      if (typeof parsed['message'] === 'string') serverMessage = parsed['message'];
      if (typeof parsed['reason'] === 'string' && parsed['reason'] !== '') reason = parsed['reason'];
    }
  } catch {
    // not JSON: keep the text
  }
  return { statusCode, reason, serverMessage };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a response body up to `limit` bytes (the rest is discarded). */
export async function readBody(res: http.IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (size < limit) {
      chunks.push(chunk.subarray(0, limit - size));
      size += Math.min(chunk.length, limit - size);
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function buildPath(pathname: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (typeof value === 'string') params.append(key, value);
    else for (const v of value) params.append(key, v);
  }
  const qs = params.toString();
  return qs === '' ? pathname : `${pathname}?${qs}`;
}

type ConnectionOptions = https.RequestOptions;

/**
 * A connection to one API server. Every method takes an AbortSignal; `close()` destroys the agent so no
 * keep-alive socket outlives the client.
 */
export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  readonly contextName: string;
  readonly #requestTimeoutMs: number;
  readonly #agents = new Set<http.Agent>();
  #closed = false;
  /** One TLS context for every connection while the credentials stay the same (building one per exec is costly). */
  #tls: { readonly material: readonly (Buffer | undefined)[]; readonly context: tls.SecureContext } | undefined;

  /** Exec plugins and tokenFile, which client-node gets wrong (see credentials.ts). */
  readonly #credentials: CredentialSource | undefined;

  constructor(kubeConfig: KubeConfig, options: { requestTimeoutMs?: number | undefined; warn?: ((message: string) => void) | undefined } = {}) {
    this.kubeConfig = kubeConfig;
    this.server = (kubeConfig.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
    this.contextName = kubeConfig.getCurrentContext();
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const user = kubeConfig.getCurrentUser();
    // A KubeConfig a library caller built: client-node would run gcp/azure with execSync, unbounded.
    if (user !== null) checkAuthProvider(user, `context "${this.contextName}"`, { allowUnknown: true });
    const exec = (user?.exec ?? undefined) as ExecPluginConfig | undefined;
    const extras = USER_EXTRAS.get(kubeConfig);
    const tokenFile = extras?.tokenFile;
    const provider = user?.authProvider as { name?: unknown; config?: OidcProviderConfig } | undefined;
    const oidc =
      user !== null && provider?.name === 'oidc'
        ? new OidcTokenSource({ userName: user.name, config: provider.config ?? {}, persistTo: extras?.definedIn, warn: options.warn ?? defaultWarn })
        : undefined;
    if (user !== null && (exec !== undefined || tokenFile !== undefined || oidc !== undefined)) {
      this.#credentials = new CredentialSource({ userName: user.name, exec, tokenFile, staticToken: user.token, oidc });
    }
  }

  static load(options: KubeClientOptions = {}): KubeClient {
    return new KubeClient(loadKubeConfig(options), { requestTimeoutMs: options.requestTimeoutMs, warn: options.warn });
  }

  /**
   * Credentials and TLS settings for one request (tokens from plugins may rotate, so per request).
   * Preparing them (an exec plugin, an OIDC refresh) is bounded by `deadlineMs` and ends with `signal`.
   */
  async connectionOptions(limit: { deadlineMs?: number; signal?: AbortSignal | undefined } = {}): Promise<ConnectionOptions> {
    const opts: ConnectionOptions = {};
    await this.#applyCredentials(opts, { deadlineMs: limit.deadlineMs ?? this.#requestTimeoutMs, signal: limit.signal });
    return opts;
  }

  async #applyCredentials(
    opts: ConnectionOptions | WebSocket.ClientOptions,
    limit: { deadlineMs: number; signal?: AbortSignal | undefined },
  ): Promise<void> {
    if (this.#closed) throw new Error('KubeClient is closed');
    const credentials = this.#credentials;
    try {
      if (credentials === undefined) {
        // Static credentials, client certificates, a library caller's own authenticator: client-node. Waited for no longer than the request.
        await boundedWait(this.kubeConfig.applyToHTTPSOptions(opts), limit.deadlineMs, limit.signal, () =>
          new CredentialError(`preparing the credentials for ${this.server} took longer than ${limit.deadlineMs} ms`),
        );
      } else {
        // TLS settings and impersonation from client-node, the Authorization header from us.
        (this.kubeConfig as unknown as { applyHTTPSOptions(o: object): void }).applyHTTPSOptions(opts);
        await credentials.apply(opts, limit);
      }
    } catch (error) {
      if (limit.signal?.aborted === true) throw error;
      if (error instanceof CredentialError) throw error;
      throw new KubeconfigError(`cannot prepare credentials for ${this.server}: ${errorText(error)}`, { cause: error });
    }
    if (opts.agent instanceof http.Agent) this.#agents.add(opts.agent);
    this.#shareSecureContext(opts);
  }

  #pool: https.Agent | undefined;

  /**
   * client-node's agent has keep-alive off, so every request (an Event per hook) paid a TLS handshake.
   * Plain HTTPS (no proxy agent) goes through one keep-alive agent instead; the credentials travel
   * with each request (the shared secure context), and the agent's pool is keyed by them.
   */
  #pooledAgent(conn: ConnectionOptions): { agent?: https.Agent } {
    if (conn.agent === undefined || conn.agent.constructor !== https.Agent) return {};
    if (this.#pool === undefined) {
      this.#pool = new https.Agent({ keepAlive: true, maxSockets: 16 });
      this.#agents.add(this.#pool);
    }
    return { agent: this.#pool };
  }

  /**
   * Building a TLS context parses the CA, certificate and key: per exec that was the largest CPU cost
   * after the handshake, and the contexts' native memory piled up until a major GC (bench/README.md).
   * One context is shared while the material stays the same; tls.connect uses it instead of its own.
   */
  #shareSecureContext(opts: ConnectionOptions | WebSocket.ClientOptions): void {
    const o = opts as tls.SecureContextOptions & { secureContext?: tls.SecureContext; pfx?: unknown };
    if (o.pfx !== undefined || o.secureContext !== undefined) return;
    const fields = [o.ca, o.cert, o.key];
    // Only plain strings or Buffers are compared; anything else (arrays) keeps Node's per-connection context.
    if (!fields.every((v) => v === undefined || typeof v === 'string' || Buffer.isBuffer(v))) return;
    const material = fields.map((v) => (typeof v === 'string' ? Buffer.from(v) : v));
    if (material.every((m) => m === undefined)) return;
    const same = this.#tls?.material.every((m, i) => {
      const n = material[i];
      return m === undefined ? n === undefined : n !== undefined && m.equals(n);
    });
    if (this.#tls === undefined || same !== true) {
      this.#tls = { material, context: tls.createSecureContext({ ca: o.ca, cert: o.cert, key: o.key, passphrase: o.passphrase }) };
    }
    o.secureContext = this.#tls.context;
  }

  /** A JSON request. Resolves with the parsed body on 2xx; throws a typed KubeError otherwise. */
  async request(method: string, pathname: string, options: RequestOptions): Promise<unknown> {
    const { res, text } = await this.#send(method, pathname, options, 'json');
    if (text === undefined || text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw errorForStatus(
        options.what,
        { statusCode: res.statusCode ?? 0, reason: undefined, serverMessage: 'the response is not JSON' },
        error,
      );
    }
  }

  /**
   * A streaming GET (watch). Resolves with the 200 response once the headers arrive; from then on only
   * the caller's signal ends it (the request deadline covers the headers). Non-200 → typed error.
   */
  async stream(pathname: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const { res } = await this.#send('GET', pathname, options, 'stream');
    return res;
  }

  async #send(
    method: string,
    pathname: string,
    options: RequestOptions,
    mode: 'json' | 'stream',
  ): Promise<{ res: http.IncomingMessage; text?: string }> {
    options.signal.throwIfAborted();
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    // One deadline for the credentials and the request: an exec plugin's time counts against it.
    const startedAt = performance.now();
    const conn = await this.connectionOptions({ deadlineMs: timeoutMs, signal: options.signal });
    const url = new URL(this.server + buildPath(pathname, options.query));
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = {
      ...(conn.headers as Record<string, string> | undefined),
      Accept: 'application/json',
    };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = payload.length;
    }
    const requestFn = url.protocol === 'https:' ? https.request : http.request;
    const controller = new AbortController();
    const onAbort = (): void => {
      controller.abort(options.signal.reason);
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      controller.abort();
    }, Math.max(1, timeoutMs - (performance.now() - startedAt)));
    let handedOver = false;
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = requestFn({
          ...conn,
          ...this.#pooledAgent(conn),
          method,
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port,
          path: url.pathname + url.search,
          headers,
          signal: controller.signal,
        });
        req.once('response', resolve);
        req.once('error', reject);
        req.end(payload);
      });
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        const text = await readBody(res, MAX_ERROR_BODY_BYTES);
        throw errorForStatus(options.what, statusDetails(status, text));
      }
      if (mode === 'json') {
        return { res, text: await readBody(res, Number.MAX_SAFE_INTEGER) };
      }
      handedOver = true;
      res.once('close', () => {
        options.signal.removeEventListener('abort', onAbort);
      });
      return { res };
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason;
      if (error instanceof KubeError) throw error;
      if (controller.signal.aborted) {
        // Aborted, but not by the caller: our deadline.
        throw new ApiTimeoutError(`${options.what}: the API server ${this.server} did not answer within ${timeoutMs} ms`, {
          cause: error,
        });
      }
      throw unreachable(this.server, error);
    } finally {
      clearTimeout(timer);
      if (!handedOver) options.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Starts opening a WebSocket to `pathname`; `attach` is called synchronously with the CONNECTING
   * socket so the caller's listeners (including `unexpected-response`) are in place first. Preparing
   * the credentials can take a while (an exec plugin, a token refresh): when `signal` is aborted by
   * then, no socket is opened and the call rejects.
   */
  async websocket(
    pathname: string,
    query: RequestOptions['query'],
    protocols: readonly string[],
    handshakeTimeoutMs: number,
    attach: (socket: WebSocket) => void,
    signal?: AbortSignal,
  ): Promise<WebSocket> {
    const opts: WebSocket.ClientOptions = {};
    const startedAt = performance.now();
    try {
      await this.#applyCredentials(opts, { deadlineMs: handshakeTimeoutMs, signal });
    } catch (error) {
      if (signal?.aborted === true) throw new Error('aborted before the connection was opened', { cause: error });
      throw error;
    }
    if (signal?.aborted === true) throw new Error('aborted before the connection was opened');
    handshakeTimeoutMs = Math.max(1, handshakeTimeoutMs - (performance.now() - startedAt));
    const url = new URL(this.server + buildPath(pathname, query));
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, [...protocols], {
      ...opts,
      handshakeTimeout: Math.max(1, Math.round(handshakeTimeoutMs)),
      perMessageDeflate: false,
      followRedirects: false,
    });
    // Listeners go on before any event can fire (an unhandled 'error' would throw).
    attach(socket);
    return socket;
  }

  /** Destroys keep-alive sockets. Watches and execs must already be aborted by their signals. */
  close(): void {
    this.#closed = true;
    this.#credentials?.close();
    for (const agent of this.#agents) agent.destroy();
    this.#agents.clear();
  }
}
