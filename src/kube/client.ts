/**
 * A connection to one API server: the kubeconfig (kubeconfig.ts), its credentials (credentials.ts,
 * else client-node's `applyToHTTPSOptions`) and the HTTP transport (transport.ts). Exec channels are
 * opened over it by exec-channel-ws.ts; watches read its streams (watch-decoder.ts).
 *
 * client-node supplies what is hard to get right: kubeconfig parsing and merging, in-cluster config,
 * and static credentials (tokens, client certificates) via `applyToHTTPSOptions`; exec plugins,
 * `tokenFile` and the oidc auth-provider are ours (credentials.ts, oidc.ts), bounded by each request.
 * The requests themselves go through node:http(s) and `ws` with those options, because we need the
 * HTTP status *and* the Status body of every failed request (client-node's Watch drops the body, its
 * Exec hides the refused upgrade's body) and agents we can destroy on `close()` (ADR 0003, 0011).
 */
import type http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { checkAuthProvider } from './auth-provider.ts';
import { CredentialSource, TOKEN_FILE_REREAD_MS, boundedWait, type ExecPluginConfig } from './credentials.ts';
import { ClientClosedError, CredentialError, KubeconfigError, errorText } from './errors.ts';
import { defaultWarn, loadKubeConfig, userExtrasOf, type KubeconfigOptions } from './kubeconfig.ts';
import { OidcTokenSource, type OidcProviderConfig } from './oidc.ts';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  HttpTransport,
  type ConnectionLimit,
  type ConnectionOptions,
  type PrepareLimit,
  type RequestOptions,
  type UpgradeHandshakes,
} from './transport.ts';

export interface KubeClientOptions extends KubeconfigOptions {
  /** Deadline for ordinary (non-watch, non-exec) requests. Default 30 s. */
  readonly requestTimeoutMs?: number | undefined;
}

/**
 * What client-node fills in from the kubeconfig alone (CA, client certificate and key, server name,
 * verification, impersonation, a static token): the same for every connection, so prepared once.
 * Material read from files is read again after this long, as client-go re-reads a tokenFile.
 */
export const PREPARED_FILES_REREAD_MS = TOKEN_FILE_REREAD_MS;

interface Prepared {
  readonly options: ConnectionOptions;
  /** When to prepare again (the client's clock); Infinity when nothing came from a file. */
  readonly until: number;
}

/**
 * A connection to one API server. Every method takes an AbortSignal; `close()` destroys the agents so
 * no keep-alive socket outlives the client.
 */
export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  readonly contextName: string;
  readonly #transport: HttpTransport;
  #closed = false;
  readonly #now: () => number;

  /** Exec plugins and tokenFile, which client-node gets wrong (see credentials.ts). */
  readonly #credentials: CredentialSource | undefined;
  /**
   * Whether client-node's part of the credentials depends on the kubeconfig alone: no auth-provider
   * and no authenticator a library caller added (either may rotate a token per call).
   */
  readonly #staticPart: boolean;
  #prepared: Prepared | undefined;

  constructor(
    kubeConfig: KubeConfig,
    options: { requestTimeoutMs?: number | undefined; warn?: ((message: string) => void) | undefined; now?: (() => number) | undefined } = {},
  ) {
    this.kubeConfig = kubeConfig;
    this.server = (kubeConfig.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
    this.contextName = kubeConfig.getCurrentContext();
    this.#now = options.now ?? Date.now;
    this.#transport = new HttpTransport(this.server, {
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      prepare: (opts, limit) => this.#applyCredentials(opts, limit),
      now: this.#now,
    });
    const user = kubeConfig.getCurrentUser();
    // A KubeConfig a library caller built: client-node would run gcp/azure with execSync, unbounded.
    if (user !== null) checkAuthProvider(user, `context "${this.contextName}"`, { allowUnknown: true });
    const exec = (user?.exec ?? undefined) as ExecPluginConfig | undefined;
    const extras = userExtrasOf(kubeConfig);
    const tokenFile = extras?.tokenFile;
    const provider = user?.authProvider as { name?: unknown; config?: OidcProviderConfig } | undefined;
    const oidc =
      user !== null && provider?.name === 'oidc'
        ? new OidcTokenSource({ userName: user.name, config: provider.config ?? {}, persistTo: extras?.definedIn, warn: options.warn ?? defaultWarn })
        : undefined;
    if (user !== null && (exec !== undefined || tokenFile !== undefined || oidc !== undefined)) {
      this.#credentials = new CredentialSource({ userName: user.name, exec, tokenFile, staticToken: user.token, oidc });
    }
    const custom = (kubeConfig as unknown as { custom_authenticators?: readonly unknown[] }).custom_authenticators;
    this.#staticPart = (user?.authProvider ?? undefined) === undefined && (custom === undefined || custom.length === 0);
  }

  static load(options: KubeClientOptions = {}): KubeClient {
    return new KubeClient(loadKubeConfig(options), { requestTimeoutMs: options.requestTimeoutMs, warn: options.warn });
  }

  /**
   * Credentials and TLS settings for one connection (tokens from plugins may rotate, so per connection).
   * Preparing them (an exec plugin, an OIDC refresh) is bounded by `deadlineMs` and ends with `signal`.
   */
  connectionOptions(limit: ConnectionLimit = {}): Promise<ConnectionOptions> {
    return this.#transport.connectionOptions(limit);
  }

  /** Exec upgrade connections so far, by TLS handshake: full, or a resumed session (ADR 0026). */
  upgradeHandshakes(): UpgradeHandshakes {
    return this.#transport.upgradeHandshakes();
  }

  async #applyCredentials(opts: ConnectionOptions, limit: PrepareLimit): Promise<void> {
    if (this.#closed) throw new ClientClosedError('KubeClient is closed');
    const credentials = this.#credentials;
    try {
      if (credentials === undefined && !this.#staticPart) {
        // A library caller's own authenticator or an auth-provider: client-node, per connection, waited for no longer than the request.
        await boundedWait(this.kubeConfig.applyToHTTPSOptions(opts), limit.deadlineMs, limit.signal, () =>
          new CredentialError(`preparing the credentials for ${this.server} took longer than ${limit.deadlineMs} ms`),
        );
        return;
      }
      // The kubeconfig's own part (TLS, impersonation, for static users the token), prepared once.
      const prepared = this.#prepared !== undefined && this.#now() < this.#prepared.until ? this.#prepared : await this.#prepare(credentials === undefined, limit);
      Object.assign(opts, prepared.options);
      if (prepared.options.headers !== undefined) opts.headers = { ...(prepared.options.headers as Record<string, string>) };
      // The Authorization header from a plugin, tokenFile or oidc: per connection (they expire and rotate).
      if (credentials !== undefined) await credentials.apply(opts, limit);
    } catch (error) {
      if (limit.signal?.aborted === true) throw error;
      if (error instanceof CredentialError) throw error;
      throw new KubeconfigError(`cannot prepare credentials for ${this.server}: ${errorText(error)}`, { cause: error });
    }
  }

  /**
   * Runs client-node's option filling once and keeps the result. `whole`: the user's credentials are
   * static (a token, a client certificate, basic auth), so client-node's Authorization header is kept
   * too; else only its TLS settings and impersonation (credentials.ts adds the token per connection).
   */
  async #prepare(whole: boolean, limit: PrepareLimit): Promise<Prepared> {
    const options: ConnectionOptions = {};
    const config = this.kubeConfig as unknown as { applyHTTPSOptions(o: object): void };
    if (whole) {
      await boundedWait(this.kubeConfig.applyToHTTPSOptions(options), limit.deadlineMs, limit.signal, () =>
        new CredentialError(`preparing the credentials for ${this.server} took longer than ${limit.deadlineMs} ms`),
      );
    } else {
      config.applyHTTPSOptions(options);
    }
    const cluster = this.kubeConfig.getCurrentCluster();
    const user = this.kubeConfig.getCurrentUser();
    const fromFiles = [cluster?.caFile, user?.certFile, user?.keyFile].some((f) => f !== undefined && f !== '');
    const prepared: Prepared = { options, until: fromFiles ? this.#now() + PREPARED_FILES_REREAD_MS : Number.POSITIVE_INFINITY };
    if (!this.#closed) this.#prepared = prepared;
    return prepared;
  }

  /** A JSON request. Resolves with the parsed body on 2xx; throws a typed KubeError otherwise. */
  request(method: string, pathname: string, options: RequestOptions): Promise<unknown> {
    return this.#transport.request(method, pathname, options);
  }

  /**
   * A streaming GET (watch). Resolves with the 200 response once the headers arrive; from then on only
   * the caller's signal ends it (the request deadline covers the headers). Non-200 → typed error.
   */
  stream(pathname: string, options: RequestOptions): Promise<http.IncomingMessage> {
    return this.#transport.stream(pathname, options);
  }

  /** Destroys keep-alive sockets. Watches and execs must already be aborted by their signals. */
  close(): void {
    this.#closed = true;
    this.#credentials?.close();
    this.#transport.close();
  }
}
