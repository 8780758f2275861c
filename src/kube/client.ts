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
import { CredentialSource, boundedWait, type ExecPluginConfig } from './credentials.ts';
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
} from './transport.ts';

export interface KubeClientOptions extends KubeconfigOptions {
  /** Deadline for ordinary (non-watch, non-exec) requests. Default 30 s. */
  readonly requestTimeoutMs?: number | undefined;
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

  /** Exec plugins and tokenFile, which client-node gets wrong (see credentials.ts). */
  readonly #credentials: CredentialSource | undefined;

  constructor(kubeConfig: KubeConfig, options: { requestTimeoutMs?: number | undefined; warn?: ((message: string) => void) | undefined } = {}) {
    this.kubeConfig = kubeConfig;
    this.server = (kubeConfig.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
    this.contextName = kubeConfig.getCurrentContext();
    this.#transport = new HttpTransport(this.server, {
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      prepare: (opts, limit) => this.#applyCredentials(opts, limit),
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

  async #applyCredentials(opts: ConnectionOptions, limit: PrepareLimit): Promise<void> {
    if (this.#closed) throw new ClientClosedError('KubeClient is closed');
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
