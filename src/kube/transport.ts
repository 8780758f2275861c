/**
 * Sending requests to one API server over node:http(s): for plain HTTPS our own keep-alive agent for
 * requests (capped) and our own connector for exec upgrades (no agent, one kept TLS session to resume,
 * ADR 0026), one TLS context shared while the credentials' material stays the same, a deadline per
 * request covering the credentials and the headers, and every failure typed (a Status for a non-2xx
 * answer, unreachable, timeout). What the credentials are is not known here: `prepare` (the client's)
 * fills them in.
 *
 * Over 300 lines on purpose: which agent and TLS context a connection gets, and the deadline that
 * covers its credentials and its request, decide together what one request costs and when it ends;
 * they are read in one place.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { ApiTimeoutError, ApiUnreachableError, KubeError, errorForStatus, errorText } from './errors.ts';
import { statusDetails } from './status.ts';

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body?: unknown;
  readonly signal: AbortSignal;
  /** Names the request in error messages, e.g. `list pods in namespace "a"`. */
  readonly what: string;
  readonly timeoutMs?: number;
  /**
   * The answer's body is not wanted (an Event POST): on 2xx it is drained, not read or parsed, and
   * `request` resolves with undefined. Error answers are still read for their Status.
   */
  readonly discardBody?: boolean;
  /**
   * The Accept header (default `application/json`), e.g. `application/json;as=PartialObjectMetadata;
   * g=meta.k8s.io;v=v1` for metadata only (the HookRun watch).
   */
  readonly accept?: string;
}


/** Options for node:https or a WebSocket client: TLS material, an agent, headers (Authorization). */
export type ConnectionOptions = https.RequestOptions;

/** A deadline for preparing credentials, and the caller's signal. */
export interface PrepareLimit {
  readonly deadlineMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** Fills credentials and TLS settings into `opts`; bounded by `limit`. Throws a KubeError. */
export type PrepareConnection = (opts: ConnectionOptions, limit: PrepareLimit) => Promise<void>;

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Upper bound on an error body we read to extract a Status. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

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

export function buildPath(pathname: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (typeof value === 'string') params.append(key, value);
    else for (const v of value) params.append(key, v);
  }
  const qs = params.toString();
  return qs === '' ? pathname : `${pathname}?${qs}`;
}

/**
 * The options a connection may carry that kubehooks' own agents take over. Anything else set by the
 * credentials (pfx, ciphers, a proxy agent…) keeps the per-request options and client-node's agent.
 */
const OWN_AGENT_FIELDS = new Set(['agent', 'headers', 'auth', 'ca', 'cert', 'key', 'passphrase', 'rejectUnauthorized', 'servername']);

type TlsMaterial = string | Buffer | undefined;

interface TlsEntry {
  /** CA, certificate, key as last handed in (compared by identity first: the client hands the same ones). */
  raw: readonly TlsMaterial[];
  readonly material: readonly (Buffer | undefined)[];
  readonly passphrase: string | undefined;
  readonly context: tls.SecureContext;
  /** By `rejectUnauthorized|servername`: the other settings a TLS connection takes from its agent. */
  readonly agents: Map<string, https.Agent>;
  /** By `rejectUnauthorized|servername`: the exec upgrade connector and its one kept session. */
  readonly upgrades: Map<string, UpgradeConnector>;
}

/**
 * A TLS session an upgrade connection may resume (ADR 0026), with the full handshake that checked the
 * server's certificate: a resumed session carries that check, so it is offered only while that check
 * is younger than TLS_SESSION_MAX_AGE_MS and the certificate it saw has not expired.
 */
interface KeptSession {
  readonly ticket: Buffer;
  /**
   * `server name|host:port` of the connection it came from: Node does not check the server's name
   * again on a resumed session, so it is offered to that peer and name only.
   */
  readonly peer: string;
  /** When the full handshake behind this session verified the server (the transport's clock). */
  readonly verifiedAt: number;
  /** The server certificate's notAfter seen by that handshake (epoch ms; the transport's clock). */
  readonly notAfter: number;
}

/** The one kept session of a TLS context, verification setting and server name. */
interface SessionSlot {
  kept: KeptSession | undefined;
}

type UpgradeConnector = NonNullable<https.RequestOptions['createConnection']>;

/**
 * How long a full handshake's check of the server's certificate is carried by resumed sessions: after
 * it, the next exec connection does a full handshake (and checks the certificate against the CA again).
 */
export const TLS_SESSION_MAX_AGE_MS = 5 * 60_000;

/** Exec upgrade connections by TLS handshake kind, since the transport was made (for tests and the bench). */
export interface UpgradeHandshakes {
  readonly full: number;
  readonly resumed: number;
}

/** Connections (and idle keep-alive sockets) per request agent: Events, lists, gets and watches. */
export const REQUEST_POOL_SOCKETS = 16;

/** What a connection is for: a plain request, or an exec that upgrades to a WebSocket. */
export type ConnectionUse = 'request' | 'upgrade';

export interface ConnectionLimit {
  readonly deadlineMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * Default `request`. Upgrades get no agent (nothing to pool: an upgraded socket leaves it) but a
   * `createConnection` of ours that resumes the TLS session of an earlier upgrade (ADR 0026).
   */
  readonly use?: ConnectionUse | undefined;
}

export class HttpTransport {
  readonly server: string;
  readonly #requestTimeoutMs: number;
  readonly #prepare: PrepareConnection;
  readonly #agents = new Set<http.Agent>();
  /** The agents #useOwnAgent made (they carry the TLS settings themselves). */
  readonly #own = new WeakSet<http.Agent>();
  /** One TLS context (and its agents) while the credentials' material stays the same. */
  #tls: TlsEntry | undefined;
  #pool: https.Agent | undefined;
  /** Upgrade sockets not yet closed: close() destroys them, as destroying an agent did. */
  readonly #upgradeSockets = new Set<tls.TLSSocket>();
  readonly #handshakes = { full: 0, resumed: 0 };
  readonly #now: () => number;

  constructor(
    server: string,
    options: { readonly requestTimeoutMs: number; readonly prepare: PrepareConnection; readonly now?: (() => number) | undefined },
  ) {
    this.server = server;
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#prepare = options.prepare;
    this.#now = options.now ?? Date.now;
  }

  /** How many exec upgrade connections did a full TLS handshake and how many resumed a session. */
  upgradeHandshakes(): UpgradeHandshakes {
    return { ...this.#handshakes };
  }

  /**
   * Credentials and TLS settings for one connection (tokens from plugins may rotate, so per connection).
   * Preparing them (an exec plugin, an OIDC refresh) is bounded by `deadlineMs` and ends with `signal`.
   * For plain HTTPS the result carries no TLS options, only the headers and kubehooks' agent for the
   * TLS context (for an upgrade: its connector, `createConnection`).
   */
  async connectionOptions(limit: ConnectionLimit = {}): Promise<ConnectionOptions> {
    const opts: ConnectionOptions = {};
    await this.#prepare(opts, { deadlineMs: limit.deadlineMs ?? this.#requestTimeoutMs, signal: limit.signal });
    if (opts.agent instanceof http.Agent) this.#agents.add(opts.agent);
    this.#useOwnAgent(opts, limit.use ?? 'request');
    return opts;
  }

  /**
   * Node's https.Agent keys its socket pool and its TLS session cache by a name built from every TLS
   * option of the request: with the CA, certificate and key in each request's options that name was
   * several KiB of PEM, built and hashed per exec and per Event, and client-node's agent (keep-alive
   * off) paid a full handshake for each. Here the TLS settings move into an agent of our own per TLS
   * context: the name is host and port, one context is parsed once, and a new connection resumes the
   * TLS session of an earlier one of the same agent. Requests get that agent, with a cap on
   * connections; exec upgrades get no agent (an upgraded socket leaves it, so it pooled nothing and
   * its bookkeeping was CPU per exec) but our own `createConnection` with the same context and one
   * kept session (#connectUpgrade). client-node's agent (and its per-request options) stays only for
   * what we do not take over: a proxy agent, pfx, other TLS options, non-PEM material.
   */
  #useOwnAgent(opts: ConnectionOptions, use: ConnectionUse): void {
    if (!this.server.startsWith('https:')) return;
    if (opts.agent !== undefined && opts.agent.constructor !== https.Agent) return;
    const record = opts as Record<string, unknown>;
    for (const key in record) if (record[key] !== undefined && !OWN_AGENT_FIELDS.has(key)) return;
    const o = opts as tls.SecureContextOptions & tls.ConnectionOptions;
    const raw = [o.ca, o.cert, o.key];
    // Only plain strings or Buffers are compared; anything else (arrays) keeps the per-request options.
    if (!raw.every((v) => v === undefined || typeof v === 'string' || Buffer.isBuffer(v))) return;
    if (o.passphrase !== undefined && typeof o.passphrase !== 'string') return;
    const entry = this.#tlsEntry(raw, o.passphrase);
    const verify = o.rejectUnauthorized !== false;
    const servername = o.servername;
    delete o.ca;
    delete o.cert;
    delete o.key;
    delete o.passphrase;
    delete o.rejectUnauthorized;
    delete o.servername;
    const key = `${verify}|${servername ?? ''}`;
    if (use === 'upgrade') {
      delete opts.agent;
      let connect = entry.upgrades.get(key);
      if (connect === undefined) {
        const slot: SessionSlot = { kept: undefined };
        connect = (args) => this.#connectUpgrade(entry.context, slot, verify, servername, args);
        entry.upgrades.set(key, connect);
      }
      opts.createConnection = connect;
      return;
    }
    let agent = entry.agents.get(key);
    if (agent === undefined) {
      // Requests (Events, lists, watches) share at most REQUEST_POOL_SOCKETS keep-alive connections, as
      // before this agent: uncapped, a burst of Events at 60+ exec slots opened a TLS connection each
      // (bench/README.md, "Re-measure after the CPU changes"). Exec upgrades do not go through an agent.
      agent = new https.Agent({
        secureContext: entry.context,
        rejectUnauthorized: verify,
        ...(servername === undefined ? {} : { servername }),
        keepAlive: true,
        maxSockets: REQUEST_POOL_SOCKETS,
        maxFreeSockets: REQUEST_POOL_SOCKETS,
      });
      entry.agents.set(key, agent);
      this.#agents.add(agent);
      this.#own.add(agent);
    }
    opts.agent = agent;
  }

  /**
   * One exec upgrade connection (ADR 0026). An upgraded socket cannot be pooled, so every exec opens a
   * TLS connection; this one offers the kept session of its slot, so the server's certificate is not
   * sent and checked again and no client certificate signature is made, while the session is young
   * enough. A slot belongs to one TLS context (CA, client certificate and key: rotated credentials make
   * a new context and so new, empty slots), one verification setting and one server name, and keeps
   * one session: the newest ticket of a verified connection, for the host and server name that
   * connection checked (Node skips the name check on a resumed session). A session is kept only once
   * its connection passed verification ('secureConnect' with `authorized`), and dropped when a
   * connection that offered it failed before its handshake completed.
   */
  #connectUpgrade(
    context: tls.SecureContext,
    slot: SessionSlot,
    verify: boolean,
    servername: string | undefined,
    args: { readonly host?: string | null | undefined; readonly port?: number | string | null | undefined },
  ): tls.TLSSocket {
    const host = args.host ?? 'localhost';
    const port = Number(args.port ?? 443);
    // As node:https does: the server name for SNI and the identity check, none for an IP address.
    const name = servername ?? (net.isIP(host) === 0 ? host : '');
    const peer = `${name}|${host}:${port}`;
    const now = this.#now();
    const kept = slot.kept;
    const offer =
      kept !== undefined && kept.peer === peer && now - kept.verifiedAt < TLS_SESSION_MAX_AGE_MS && now < kept.notAfter ? kept : undefined;
    if (offer === undefined) slot.kept = undefined;
    const socket = tls.connect({
      host,
      port,
      secureContext: context,
      rejectUnauthorized: verify,
      servername: name,
      ...(offer === undefined ? {} : { session: offer.ticket }),
    });
    this.#upgradeSockets.add(socket);
    /** The check this connection's sessions carry, once its handshake passed verification. */
    let verified: { readonly verifiedAt: number; readonly notAfter: number } | undefined;
    let early: Buffer | undefined;
    const keep = (ticket: Buffer): void => {
      if (verified !== undefined) slot.kept = { ticket, peer, ...verified };
    };
    socket.on('session', (ticket: Buffer) => {
      // TLS 1.2 may hand the session over before the handshake (and Node's checks) completed.
      if (verified === undefined) early = ticket;
      else keep(ticket);
    });
    socket.once('secureConnect', () => {
      // With verification on, Node has checked the chain and (on a full handshake) the server's name
      // before this event, and destroys the socket when they fail; `authorized` says they passed.
      if (verify && !socket.authorized) return;
      const resumed = offer !== undefined && socket.isSessionReused();
      if (resumed) {
        this.#handshakes.resumed += 1;
        verified = { verifiedAt: offer.verifiedAt, notAfter: offer.notAfter };
      } else {
        this.#handshakes.full += 1;
        const notAfter = socket.getPeerX509Certificate()?.validToDate.getTime();
        verified = { verifiedAt: now, notAfter: notAfter === undefined || Number.isNaN(notAfter) ? now : notAfter };
      }
      if (early !== undefined) keep(early);
      early = undefined;
    });
    socket.once('close', () => {
      this.#upgradeSockets.delete(socket);
      if (verified === undefined && offer !== undefined && slot.kept === offer) slot.kept = undefined;
    });
    return socket;
  }

  /**
   * Building a TLS context parses the CA, certificate and key: per exec that was the largest CPU cost
   * after the handshake, and the contexts' native memory piled up until a major GC (bench/README.md).
   * One context is kept while the material stays the same (a rotated client certificate makes a new one).
   */
  #tlsEntry(raw: readonly TlsMaterial[], passphrase: string | undefined): TlsEntry {
    const current = this.#tls;
    if (current !== undefined && current.passphrase === passphrase) {
      // The client hands in the same strings or Buffers while its credentials stay the same.
      if (current.raw.every((m, i) => m === raw[i])) return current;
      const material = raw.map((v) => (typeof v === 'string' ? Buffer.from(v) : v));
      const same = current.material.every((m, i) => {
        const n = material[i];
        return m === undefined ? n === undefined : n !== undefined && m.equals(n);
      });
      if (same) {
        current.raw = raw;
        return current;
      }
    }
    const material = raw.map((v) => (typeof v === 'string' ? Buffer.from(v) : v));
    const [ca, cert, key] = material;
    const context = tls.createSecureContext({ ca, cert, key, passphrase });
    this.#tls = { raw, material, passphrase, context, agents: new Map(), upgrades: new Map() };
    return this.#tls;
  }

  /**
   * Requests that keep client-node's agent (keep-alive off) go through one keep-alive agent instead,
   * with their TLS options per request (so its pool is keyed by them).
   */
  #pooledAgent(conn: ConnectionOptions): { agent?: https.Agent } {
    if (conn.agent === undefined || conn.agent.constructor !== https.Agent || this.#own.has(conn.agent)) return {};
    if (this.#pool === undefined) {
      this.#pool = new https.Agent({ keepAlive: true, maxSockets: REQUEST_POOL_SOCKETS });
      this.#agents.add(this.#pool);
    }
    return { agent: this.#pool };
  }

  /**
   * A JSON request. Resolves with the parsed body on 2xx (undefined with `discardBody`); throws a typed
   * KubeError otherwise.
   */
  async request(method: string, pathname: string, options: RequestOptions): Promise<unknown> {
    const { res, text } = await this.#send(method, pathname, options, options.discardBody === true ? 'discard' : 'json');
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
    mode: 'json' | 'discard' | 'stream',
  ): Promise<{ res: http.IncomingMessage; text?: string }> {
    options.signal.throwIfAborted();
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    // One deadline for the credentials and the request: an exec plugin's time counts against it.
    const startedAt = performance.now();
    const conn = await this.connectionOptions({ deadlineMs: timeoutMs, signal: options.signal });
    // Prepared credentials resolve in microtasks: the caller may have aborted meanwhile, before the
    // abort listener below exists.
    options.signal.throwIfAborted();
    const url = new URL(this.server + buildPath(pathname, options.query));
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = {
      ...(conn.headers as Record<string, string> | undefined),
      Accept: options.accept ?? 'application/json',
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
      if (mode === 'discard') {
        await drain(res);
        return { res };
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
   * Destroys every agent (and so every keep-alive socket) this transport has used and every exec
   * upgrade socket still open, and forgets the TLS contexts and their kept sessions.
   */
  close(): void {
    for (const agent of this.#agents) agent.destroy();
    this.#agents.clear();
    for (const socket of this.#upgradeSockets) socket.destroy();
    this.#upgradeSockets.clear();
    this.#tls = undefined;
    this.#pool = undefined;
  }
}

/** Reads a body to its end without keeping it (the socket goes back to the pool only once it ended). */
function drain(res: http.IncomingMessage): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    res.once('end', resolve);
    res.once('error', reject);
    res.once('close', () => {
      if (!res.complete) reject(new Error('the answer was cut off'));
    });
    res.resume();
  });
}
